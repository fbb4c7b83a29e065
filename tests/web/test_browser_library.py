"""The library in Chromium at desktop and phone sizes, without JavaScript doing any of it: a file chosen in
settings and imported, the unmatched hostile entry shown as text (no dialog, no script), "not interested" and its
undo, remove; no sideways scroll; screenshots in test-artifacts/screenshots/library-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.papers.library_helpers import arxiv_reply
from tests.web.test_browser import (  # noqa: F401 - fixtures are found by name
    OVERFLOW,
    TOO_WIDE,
    _expect_ok,
    _signin_link,
    arxiv,
    backend,
    browser,
    listener,
    live_url,
    page,
    shot,
    site_settings,
)

pytestmark = pytest.mark.slow
SIZES = [(1280, 800, "desktop"), (390, 844, "phone")]
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
BIB = (
    "@article{here, title={Industrial-Grade Sensor Simulation}, eprint={2503.11731}}\n"
    "@article{also, title={Safe Vision-Language Models}, eprint={2503.11742}}\n"
    "@article{fetched, title={Calibrated}, eprint={2502.09876}}\n"
    f"@article{{hostile, title={{{HOSTILE} {'averyveryverylongwordwithoutanyspaces' * 3}}}}}\n"
)


@pytest.mark.parametrize(("width", "height", "name"), SIZES)
def test_import_then_not_interested_undo_and_remove(
    page: Any, live_url: str, smtp: Any, arxiv: Any, width: int, height: int, name: str
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.set_viewport_size({"width": width, "height": height})
    email = f"reader-{name}@example.org"
    _expect_ok(page.goto(f"{live_url}/signin?next=/settings"))
    page.fill("#email", email)
    page.click("form[action='/signin'] button[type=submit]")
    _expect_ok(page.goto(_signin_link(smtp, email, live_url)))
    page.click("form[action^='/signin/'] button[type=submit]")
    page.wait_for_url(re.compile(r"/settings"))

    arxiv.script("/api/query", arxiv_reply())
    page.set_input_files(
        "#library-file", files=[{"name": "refs.bib", "mimeType": "text/plain", "buffer": BIB.encode()}]
    )
    page.click("form[action='/library/import'] button[type=submit]")
    report = page.locator("#import-report")
    assert "2 matched, 1 fetched from arXiv, 1 unmatched" in report.inner_text()
    cell = report.locator("table.unmatched td").first
    assert HOSTILE in cell.inner_text()  # shown as the text it is
    assert report.locator("script, img").count() == 0
    items = page.locator("ol.library-papers > li")
    assert items.count() == 3
    assert page.evaluate(OVERFLOW), f"sideways scroll: {page.evaluate(TOO_WIDE)}"
    shot(page, f"library-import-{name}")

    first_title = items.first.locator(".paper-title").inner_text()
    items.first.locator("form[action='/library/dismiss'] button").click()
    page.wait_for_url(re.compile(r"/library#dismissed$"))
    assert page.locator("ol.library-papers > li").count() == 2
    marks = page.locator("#dismissed ul.dismissed li")
    assert marks.count() == 1 and first_title in marks.first.inner_text()
    assert "not interested" in page.locator("p.flash").inner_text()
    shot(page, f"library-dismissed-{name}")
    marks.first.locator("form[action='/library/undismiss'] button").click()
    page.wait_for_url(re.compile(r"/library#dismissed$"))
    assert page.locator("#dismissed ul.dismissed li").count() == 0

    page.locator("ol.library-papers > li").first.locator("form[action='/library/remove'] button").click()
    page.wait_for_url(re.compile(r"/library$"))
    assert page.locator("ol.library-papers > li").count() == 1
    assert page.evaluate(OVERFLOW), f"sideways scroll: {page.evaluate(TOO_WIDE)}"
    assert dialogs == [] and page.problems == []
