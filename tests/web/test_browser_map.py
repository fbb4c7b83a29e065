"""The map of a week in Chromium at desktop and phone sizes: dots drawn inside the page's width, cluster words
readable, a dot's link opens its paper, no script or CSP error; screenshots in test-artifacts/screenshots/map-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.test_browser import (  # noqa: F401 - fixtures are found by name
    OVERFLOW,
    TOO_WIDE,
    _expect_ok,
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


@pytest.mark.parametrize(("width", "height", "name"), SIZES)
def test_the_map_of_a_week_renders_its_dots_and_opens_a_paper(
    page: Any, live_url: str, width: int, height: int, name: str
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    _expect_ok(page.goto(f"{live_url}/new?week=2025-W12"))
    page.click("a.map-link")
    page.wait_for_url(re.compile(r"/map\?week=2025-W12"))
    dots = page.locator("#field-map circle")
    assert dots.count() == 300
    svg = page.locator("#field-map").bounding_box()
    assert svg is not None and svg["height"] > 0.5 * svg["width"]
    if name == "desktop":
        assert 0 < svg["width"] <= width
    else:  # too small to read at a phone's width: the map keeps 640 px and its frame scrolls sideways
        assert svg["width"] >= 640 and page.evaluate("document.querySelector('.map-scroll').scrollWidth") >= 640
    inside = page.evaluate(
        """() => { const box = document.getElementById('field-map').getBoundingClientRect();
        return [...document.querySelectorAll('#field-map circle')].every(c => { const r = c.getBoundingClientRect();
        return r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1
        && r.bottom <= box.bottom + 1; }); }"""
    )
    assert inside
    labels = page.locator("#field-map text")
    assert labels.count() >= 5 and all(re.fullmatch(r"\w+, \w+, \w+", t) for t in labels.all_text_contents())
    assert page.evaluate(OVERFLOW), f"sideways scroll: {page.evaluate(TOO_WIDE)}"
    shot(page, f"map-{name}")
    first = page.locator("#field-map a").first
    title = first.locator("title").text_content()
    first.dispatch_event("click")  # a dot may lie under a label (labels let clicks through; this clicks the link)
    page.wait_for_url(re.compile(r"/papers/2503\.\d{5}"))
    assert page.locator("h1").first.inner_text().strip() == (title or "").strip()
    assert not page.problems, page.problems
