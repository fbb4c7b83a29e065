"""A real local HTTP server that replays scripted (recorded) responses and records every request."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Reply:
    """One scripted response; `delay` seconds pass before it is sent (to provoke client timeouts)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it; `at` is time.monotonic() on arrival."""

    path: str
    query: dict[str, list[str]]
    at: float
    client_port: int
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def fixture(name: str) -> bytes:
    """The bytes of a recorded response in tests/sources/fixtures/."""
    return (FIXTURES / name).read_bytes()


class ReplayServer:
    """Serve per-path queues of Replies on 127.0.0.1 (ephemeral port) from a background thread."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[Reply]] = defaultdict(deque)
        self._lock = threading.Lock()
        self.requests: list[Seen] = []
        self.unexpected: list[str] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="replay-server", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, path: str, *replies: Reply) -> None:
        """Queue replies for `path`, answered in order; an unscripted request gets 404 and is noted."""
        with self._lock:
            self._queues[path].extend(replies)

    def seen(self, path: str | None = None) -> list[Seen]:
        """Requests received so far, optionally only those for `path`."""
        with self._lock:
            return [r for r in self.requests if path is None or r.path == path]

    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def _next(self, seen: Seen) -> Reply | None:
        with self._lock:
            self.requests.append(seen)
            queue = self._queues.get(seen.path)
            if queue:
                return queue.popleft()
            self.unexpected.append(seen.path)
            return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable
            timeout = 10  # an idle kept-alive connection's thread ends on its own

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                seen = Seen(
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    at=time.monotonic(),
                    client_port=self.client_address[1],
                    headers=dict(self.headers.items()),
                )
                reply = server._next(seen) or Reply(404, b"no scripted reply for " + parts.path.encode())
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (timeout) before the reply

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
