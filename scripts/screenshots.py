"""Take the README's screenshots: the home page, a paper page and a search, at desktop and phone sizes.

Loads the bundled demo corpus into a temporary home, serves it with `paperwire serve` on a free loopback port
and drives Debian's Chromium through Playwright; the PNGs go to docs/screenshots/{page}-{size}.png. Dates, the
paper and the query are fixed, and the colour scheme is light, so a rerun after a UI change shows only that change.

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
# The last day of the demo; VGG-T^3 is on it, with LaTeX in its title and abstract and 11 Hugging Face upvotes.
PAGES = {
    "home": "/?date=2026-02-27",
    "paper": "/papers/2602.23361",
    "search": "/search?q=diffusion+models+for+video",
}
# Elements sticking out sideways: a page that scrolls sideways on a phone is a bug worth a look.
TOO_WIDE = (
    "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)"
    ".map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')).slice(0, 5)"
)
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Poll /healthz until the server answers 200; fail if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"paperwire serve exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"no answer from {url}/healthz within {timeout:.0f} s")


def take(url: str, out: Path) -> tuple[list[Path], list[str]]:
    """Screenshot every page at every size (viewport only); returns the files written and what looked wrong."""
    written: list[Path] = []
    problems: list[str] = []
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for size, (width, height) in SIZES.items():
            context = browser.new_context(
                viewport={"width": width, "height": height},
                color_scheme="light",
                reduced_motion="reduce",
                locale="en-GB",
                timezone_id="UTC",
            )
            page = context.new_page()
            page.on("pageerror", lambda exc, size=size: problems.append(f"{size}: page error: {exc}"))
            page.on(
                "console",
                lambda msg, size=size: msg.type == "error" and problems.append(f"{size}: console error: {msg.text}"),
            )
            for name, path in PAGES.items():
                reply = page.goto(url + path, wait_until="networkidle")
                if reply is None or reply.status != 200:
                    raise SystemExit(f"{path}: HTTP {reply.status if reply else 'no reply'}")
                if wide := page.evaluate(TOO_WIDE):
                    problems.append(f"{name}-{size}: wider than the viewport: {', '.join(wide)}")
                target = out / f"{name}-{size}.png"
                page.screenshot(path=str(target), full_page=False, animations="disabled", caret="hide")
                written.append(target)
            context.close()
        browser.close()
    return written, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="Folder for the PNGs.")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")

    with tempfile.TemporaryDirectory(prefix="paperwire-shots-") as home:
        env = {k: v for k, v in os.environ.items() if k not in _PROXY_VARS and not k.startswith("PAPERWIRE_")}
        env |= {"PAPERWIRE_HOME": home, "PAPERWIRE_SCHEDULER_ENABLED": "false", "PAPERWIRE_LOG_LEVEL": "WARNING"}
        cli = [sys.executable, "-m", "paperwire"]
        subprocess.run([*cli, "demo", "--no-serve"], env=env, check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*cli, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env)
        try:
            wait_healthy(url, server)
            written, problems = take(url, args.out)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    for path in written:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KB")
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()
