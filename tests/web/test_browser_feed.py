"""The home page's navigation in Chromium at desktop and phone sizes: the arrows either side of the heading,
the date picker, the sorts each view offers, and the Trending page from the site nav; screenshots in
test-artifacts/screenshots/nav-*.png."""

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


def _sorts(page: Any) -> list[str]:
    return page.locator("nav.sorts").inner_text().split()


def _fits(page: Any) -> None:
    assert page.evaluate(OVERFLOW), f"sideways scroll: {page.evaluate(TOO_WIDE)}"


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 800, "desktop"), (390, 844, "phone")])
def test_arrows_date_picker_sorts_and_trending(page: Any, live_url: str, width: int, height: int, name: str) -> None:
    page.set_viewport_size({"width": width, "height": height})
    _expect_ok(page.goto(live_url + "/"))
    heading = page.locator(".period-head h1")
    assert heading.inner_text() == "Papers of Tuesday 3 February 2026"
    assert _sorts(page) == ["Votes", "Newest"]  # one day: trending would equal votes
    prev = page.locator(".period-head a[rel=prev]")
    assert prev.is_visible() and not page.locator(".period-head a[rel=next]").count()
    box, arrow = heading.bounding_box(), prev.bounding_box()
    assert arrow["x"] + arrow["width"] <= box["x"] and abs(arrow["y"] - box["y"]) < box["height"]  # left, same row
    _fits(page)
    shot(page, f"nav-{name}-day")

    # The left arrow skips the empty days to the previous day with papers; the right one comes back.
    prev.click()
    page.wait_for_url(re.compile(r"date=2025-03-18$"))
    assert heading.inner_text() == "Papers of Tuesday 18 March 2025"
    page.locator(".period-head a[rel=next]").click()
    page.wait_for_url(re.compile(r"date=2026-02-03$"))

    # The date picker lands on the picked day.
    page.get_by_label("Go to day").fill("2025-03-18")
    page.get_by_role("button", name="Go", exact=True).click()
    page.wait_for_url(re.compile(r"/\?date=2025-03-18$"))
    assert heading.inner_text() == "Papers of Tuesday 18 March 2025"
    assert page.locator("ol.papers > li").count() > 20

    # Week from the nav: the current week is empty, so the latest week with papers, sorted by trending.
    page.locator("header.top").get_by_role("link", name="Week", exact=True).click()
    page.wait_for_url(re.compile(r"/\?view=week$"))
    assert heading.inner_text().startswith("Week 6 of 2026")
    assert "showing the latest week with papers" in page.locator(".list-head [role=status]").inner_text()
    assert _sorts(page) == ["Trending", "Votes", "Newest"]
    page.locator("nav.sorts").get_by_role("link", name="Votes").click()
    page.wait_for_url(re.compile(r"week=2026-W06&sort=votes$"))
    page.get_by_label("Go to the week of").fill("2025-03-18")
    page.get_by_role("button", name="Go", exact=True).click()
    page.wait_for_url(re.compile(r"view=week"))
    assert heading.inner_text().startswith("Week 12 of 2025")
    assert page.locator("nav.sorts [aria-current=page]").inner_text() == "Votes"  # the sort came along
    _fits(page)
    shot(page, f"nav-{name}-week")

    # Trending from the nav.
    page.locator("header.top").get_by_role("link", name="Trending", exact=True).click()
    page.wait_for_url(re.compile(r"/trending$"))
    assert page.locator("h1").inner_text() == "Trending"
    assert "last 7 days" in page.locator(".lede").inner_text()
    assert page.locator("ol.papers > li").count() == 50
    _fits(page)
    shot(page, f"nav-{name}-trending")
    assert not page.problems, page.problems
