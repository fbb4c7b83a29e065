"""End to end in a real browser: the real app under uvicorn on loopback, SQLite, mail through the SMTP sink.

A new visitor browses the latest day and a past week, searches, opens a paper, signs in through the
emailed link, upvotes, comments and submits a paper (arXiv replayed locally). Each page is saved as a
full-page screenshot in test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paperwire.config import Settings
from tests.sources.replay import ReplayServer, Reply

pytestmark = pytest.mark.slow
playwright = pytest.importorskip("playwright.sync_api")

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
GSBAK = "2503.12827"  # its title has LaTeX: "GSBAK$^K$: $top$-$K$ Geometric Score-based Black-box Attack"
FAILED_LOAD = "console error: Failed to load resource: the server responded with a status of {}"
TOO_WIDE = (
    "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)"
    ".map(e => e.tagName + '.' + e.className).slice(0, 5)"
)  # elements sticking out sideways
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The browser tests run on SQLite only (the pages are the same on both; the HTTP tests cover PostgreSQL)."""
    return request.param


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A bound loopback socket, so the site's own URL (for mailed links) is known before the server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture
def arxiv(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    """The arXiv API, replayed on loopback."""
    for var in _PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    server = ReplayServer().start()
    yield server
    server.stop()


@pytest.fixture
def site_settings(site_settings: Settings, listener: socket.socket, arxiv: ReplayServer) -> Settings:
    port = listener.getsockname()[1]
    return site_settings.model_copy(
        update={
            "site_url": f"http://127.0.0.1:{port}",
            "arxiv_api_url": f"{arxiv.url}/api/query",
            "request_interval": 0.0,
            "http_timeout": 5.0,
            "secure_cookies": False,
        }
    )


@pytest.fixture
def live_url(app: Any, listener: socket.socket, site_settings: Settings) -> Iterator[str]:
    """The app served by uvicorn from a background thread; stopped after the test."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield site_settings.site_url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    problems: list[str] = []
    opened.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    opened.on("console", lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text}"))
    opened.problems = problems  # CSP violations and script errors show up here
    yield opened
    context.close()


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot; the file name says which step it shows."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _expect_ok(response: Any) -> None:
    assert response is not None and response.status == 200, (response.status if response else None, response.url)


def test_search_in_the_browser(page: Any, live_url: str) -> None:
    _expect_ok(page.goto(f"{live_url}/search"))
    assert page.locator("h2#syntax-heading").is_visible()
    shot(page, "search-empty")

    page.fill("#q", "diffusion models")
    page.click(".search-form button[type=submit]")
    page.wait_for_url(re.compile(r"/search\?q=diffusion\+models"))
    results = page.locator("ol.search-results > li")
    assert results.count() == 20
    assert page.locator("ol.search-results mark").count() >= 20
    assert page.locator("ol.search-results h3 mark").first.inner_text().lower().startswith(("diffusion", "model"))
    shot(page, "search-results")

    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r"page=2"))
    assert page.locator("ol.search-results").get_attribute("start") == "21"
    page.click("nav[aria-label='Search mode'] >> text=keyword")
    page.wait_for_url(re.compile(r"mode=keyword"))
    assert "page=" not in page.url and page.locator("#results-heading").inner_text().endswith("(keyword search)")

    page.fill("#q", '"unbalanced phrase')
    page.click(".search-form button[type=submit]")
    alert = page.locator("#search-error")
    assert "unbalanced quote" in alert.inner_text()
    shot(page, "search-error")
    assert page.problems == [FAILED_LOAD.format("400 (Bad Request)")]
    page.problems.clear()  # that 400 was the point of the step

    page.set_viewport_size({"width": 390, "height": 844})
    _expect_ok(page.goto(f"{live_url}/search?q=geometric+attack&category=cs.CV"))
    assert not page.evaluate(TOO_WIDE), f"sideways scroll on mobile: {page.evaluate(TOO_WIDE)}"
    shot(page, "search-mobile")
    assert not page.problems, page.problems


def test_visitor_journey(page: Any, live_url: str, smtp: Any, arxiv: ReplayServer) -> None:
    # Today's feed: the latest day with papers (the Hugging Face list of 2026-02-03).
    _expect_ok(page.goto(live_url + "/"))
    assert "3 February 2026" in page.locator("h1").inner_text()
    assert page.locator("ol.papers > li").count() > 20
    shot(page, "01-home-latest-day")

    # A past week of New on arXiv: ISO week 12 of 2025 holds the arXiv listing of 2025-03-18.
    _expect_ok(page.goto(live_url + "/new?week=2025-W12"))
    assert page.locator("ol.papers > li").count() > 20
    shot(page, "02-past-week")

    # Search from the box in the navigation bar (hybrid is the default) and see the words marked.
    page.fill("#nav-q", "geometric black-box attack")
    page.press("#nav-q", "Enter")
    page.wait_for_url(re.compile(r"/search\?q=geometric"))
    assert page.locator("#results-heading").inner_text().endswith("(hybrid search)")
    first = page.locator("ol.search-results > li").first
    assert first.locator("h3 mark").count() >= 2
    shot(page, "03-search")

    # Open the paper: its LaTeX title is drawn as MathML.
    page.click(f"ol.search-results h3 a[href='/papers/{GSBAK}']")
    page.wait_for_url(re.compile(GSBAK))
    assert page.locator("h1#paper-title math").count() >= 1
    assert "$" not in page.locator("h1#paper-title").inner_text()
    paper_url = page.url
    shot(page, "04-paper")

    # Upvoting while signed out leads to the sign-in page, which mails a link to the SMTP sink.
    page.click("form[data-vote] button")
    page.wait_for_url(re.compile(r"/signin\?next="))
    assert page.problems == [FAILED_LOAD.format("401 (Unauthorized)")]
    page.problems.clear()  # the vote's 401 is what sent us here
    email = "reader@example.org"
    page.fill("#email", email)
    page.click("form[action='/signin'] button[type=submit]")
    assert page.locator("[role=status]").first.inner_text().startswith("If")
    shot(page, "05-signin-sent")
    link = _signin_link(smtp, email, live_url)
    _expect_ok(page.goto(link))
    shot(page, "06-signin-confirm")
    page.click("form[action^='/signin/'] button[type=submit]")
    page.wait_for_url(re.compile(GSBAK))
    assert page.locator(".nav-user").inner_text().count("Sign out") == 1

    # Upvote: the count changes without a reload, and is still there after one.
    vote = page.locator("form[data-vote]").first
    before = int(vote.locator("[data-count]").inner_text())
    assert vote.locator("button").get_attribute("aria-pressed") == "false"
    page.evaluate("window.__noReload = true")
    vote.locator("button").click()
    playwright.expect(vote.locator("[data-count]")).to_have_text(str(before + 1))
    assert page.evaluate("window.__noReload === true") and page.url == paper_url
    assert vote.locator("button").get_attribute("aria-pressed") == "true"
    page.reload()
    vote = page.locator("form[data-vote]").first
    assert int(vote.locator("[data-count]").inner_text()) == before + 1
    assert vote.locator("button").get_attribute("aria-pressed") == "true"
    shot(page, "07-upvoted")

    # Comment.
    text = "Does the attack transfer to multi-label models? See https://example.org/notes"
    page.fill("#new-comment", text)
    page.click("form.comment-new button[type=submit]")
    page.wait_for_url(re.compile(GSBAK))
    comment = page.locator(".comment-list .comment").last
    assert "multi-label models" in comment.inner_text()
    assert comment.locator("a[href='https://example.org/notes']").count() == 1
    shot(page, "08-commented")

    # Submit a fresh paper: its metadata comes from the (replayed) arXiv API.
    new_id = "2611.01234"
    arxiv.script("/api/query", Reply(200, _atom_entry(new_id), {"Content-Type": "application/atom+xml"}))
    _expect_ok(page.goto(live_url + "/submit"))
    page.fill("#arxiv", f"https://arxiv.org/abs/{new_id}v1")
    page.click("form[action='/submit'] button[type=submit]")
    flash = page.locator(".flash[role=status]")
    assert new_id in flash.inner_text() and "Sparse Autoencoders" in flash.inner_text()
    assert arxiv.seen("/api/query")[0].param("id_list") == new_id
    shot(page, "09-submitted")
    _expect_ok(page.goto(live_url + "/"))
    assert page.locator(f"ol.papers a[href='/papers/{new_id}']").count() >= 1
    shot(page, "10-home-with-submission")
    assert not page.problems, page.problems


def _signin_link(smtp: Any, email: str, base: str) -> str:
    deadline = time.monotonic() + 10
    while not smtp.to(email):
        assert time.monotonic() < deadline, "no sign-in mail arrived"
        time.sleep(0.05)
    message = smtp.to(email)[-1]
    body = message.get_body(preferencelist=("plain",)).get_content()
    found = re.search(re.escape(base) + r"/signin/\S+", body)
    assert found, body
    return found.group(0)


def _atom_entry(arxiv_id: str) -> bytes:
    """An arXiv API answer for one paper published yesterday (so it may be submitted today)."""
    day = datetime.now(UTC) - timedelta(days=1)
    stamp = day.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <title>ArXiv Query: id_list={arxiv_id}</title>
  <id>http://arxiv.org/api/test</id>
  <updated>{stamp}</updated>
  <opensearch:totalResults>1</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v1</id>
    <updated>{stamp}</updated>
    <published>{stamp}</published>
    <title>Sparse Autoencoders Find Features of $\\alpha$-Stable Noise</title>
    <summary>We train sparse autoencoders on the activations of language models and find features
that track heavy-tailed noise with index $\\alpha &lt; 2$.</summary>
    <author><name>Ada Lovelace</name></author>
    <author><name>Alan Turing</name></author>
    <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <link href="http://arxiv.org/abs/{arxiv_id}v1" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/{arxiv_id}v1" rel="related" type="application/pdf"/>
  </entry>
</feed>""".encode()


BACKGROUND = "getComputedStyle(document.body).backgroundColor"
OVERFLOW = "document.documentElement.scrollWidth <= innerWidth"


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 800, "desktop"), (390, 844, "phone")])
def test_list_items_expand_badge_fit_and_dark_scheme(
    page: Any, live_url: str, width: int, height: int, name: str
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    _expect_ok(page.goto(f"{live_url}/?date=2026-02-03&sort=votes"))
    first = page.locator("ol.papers > li").first
    badge = first.locator(".rank-badge")
    assert badge.is_visible() and badge.inner_text() == "#1 paper of the day"
    assert page.locator(".rank-badge").count() == 3
    details = first.locator("details.abstract-more")
    full = details.locator(".abstract-full")
    assert first.locator(".snippet").is_visible() and not full.is_visible()
    snippet_height = first.locator(".snippet").bounding_box()["height"]
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.snippet')).lineHeight)")
    assert snippet_height <= 2 * line + 2  # two lines at most
    details.locator("summary").click()
    assert details.get_attribute("open") is not None and full.is_visible()
    assert not first.locator(".snippet").is_visible()
    assert page.evaluate(OVERFLOW), f"sideways scroll: {page.evaluate(TOO_WIDE)}"
    shot(page, f"items-{name}-light")

    light = page.evaluate(BACKGROUND)
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate(BACKGROUND)
    assert dark != light, (light, dark)
    assert page.evaluate(OVERFLOW)
    shot(page, f"items-{name}-dark")
    assert not page.problems, page.problems


def test_admin_tables_fit_a_phone(page: Any, live_url: str, smtp: Any, site_store: Any) -> None:
    from tests.web.accounts_helpers import add_user

    email = "admin@example.org"
    add_user(site_store, email, admin=True)
    page.set_viewport_size({"width": 390, "height": 844})
    _expect_ok(page.goto(f"{live_url}/signin"))
    page.fill("#email", email)
    page.click("form[action='/signin'] button[type=submit]")
    _expect_ok(page.goto(_signin_link(smtp, email, live_url)))
    page.click("form[action^='/signin/'] button[type=submit]")
    page.wait_for_load_state()
    _expect_ok(page.goto(f"{live_url}/admin"))
    assert page.locator(".table-wrap table").count() >= 1
    assert page.evaluate(OVERFLOW), f"sideways scroll: {page.evaluate(TOO_WIDE)}"
    shot(page, "admin-phone")
    page.emulate_media(color_scheme="dark")
    shot(page, "admin-phone-dark")
    assert not page.problems, page.problems
