"""A real `paperwire serve` in a child process for tests that need sockets and separate processes."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(env: dict[str, str], *args: str, timeout: float = 120) -> Iterator[str]:
    """Run `paperwire serve ARGS` with `env` until /healthz answers; yields its base URL, stops it after."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "paperwire", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.communicate(timeout=60)
