"""The home page's navigation in Chromium at desktop and phone sizes: the arrows either side of the heading,
the date picker, the sorts each view offers, the Trending page from the site nav, and the tab pair between
Daily papers and New on arXiv; screenshots in test-artifacts/screenshots/nav-*.png and tabs-*.png."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from tests.web.feed_helpers import add_paper, listed_ids
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
def test_arrows_date_picker_sorts_and_trending(
    page: Any, live_url: str, site_store: Any, width: int, height: int, name: str
) -> None:
    add_paper(site_store, "2601.99999", "Listed a week earlier", day=date(2026, 1, 27), upvotes=1)
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
    page.wait_for_url(re.compile(r"date=2026-01-27$"))
    assert heading.inner_text() == "Papers of Tuesday 27 January 2026"
    page.locator(".period-head a[rel=next]").click()
    page.wait_for_url(re.compile(r"date=2026-02-03$"))

    # The date picker lands on the picked day.
    page.get_by_label("Go to day").fill("2026-01-27")
    page.get_by_role("button", name="Go", exact=True).click()
    page.wait_for_url(re.compile(r"/\?date=2026-01-27$"))
    assert heading.inner_text() == "Papers of Tuesday 27 January 2026"
    assert page.locator("ol.papers > li").count() == 1

    # Week from the nav: the current week is empty, so the latest week with papers, sorted by trending.
    page.locator("header.top").get_by_role("link", name="Week", exact=True).click()
    page.wait_for_url(re.compile(r"/\?view=week$"))
    assert heading.inner_text().startswith("Week 6 of 2026")
    assert "showing the latest week with papers" in page.locator(".list-head [role=status]").inner_text()
    assert _sorts(page) == ["Trending", "Votes", "Newest"]
    page.locator("nav.sorts").get_by_role("link", name="Votes").click()
    page.wait_for_url(re.compile(r"week=2026-W06&sort=votes$"))
    page.get_by_label("Go to the week of").fill("2026-01-28")
    page.get_by_role("button", name="Go", exact=True).click()
    page.wait_for_url(re.compile(r"view=week"))
    assert heading.inner_text().startswith("Week 5 of 2026")
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


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 800, "desktop"), (390, 844, "phone")])
def test_the_tab_pair_switches_between_daily_papers_and_new_on_arxiv(
    page: Any, live_url: str, site_store: Any, width: int, height: int, name: str
) -> None:
    add_paper(site_store, "2503.99990", "Picked on the arXiv day", day=date(2025, 3, 18), upvotes=4)
    page.set_viewport_size({"width": width, "height": height})
    _expect_ok(page.goto(live_url + "/?date=2025-03-18"))
    tabs = page.locator("nav.list-tabs")
    heading = page.locator(".period-head h1")
    assert tabs.locator("[aria-current=page]").inner_text() == "Daily papers"
    assert listed_ids(page.content()) == ["2503.99990"]
    _fits(page)
    shot(page, f"tabs-{name}-daily")

    tabs.get_by_role("link", name="New on arXiv").click()
    page.wait_for_url(re.compile(r"/new\?date=2025-03-18$"))
    assert tabs.locator("[aria-current=page]").inner_text() == "New on arXiv"
    assert heading.inner_text() == "New papers of Tuesday 18 March 2025"
    ids = listed_ids(page.content())
    assert len(ids) == 50 and "2503.99990" not in ids and ids == sorted(ids, reverse=True)
    assert _sorts(page) == ["Newest", "Relevance"]
    _fits(page)
    shot(page, f"tabs-{name}-new")

    tabs.get_by_role("link", name="Daily papers").click()
    page.wait_for_url(re.compile(r"/\?date=2025-03-18$"))
    assert listed_ids(page.content()) == ["2503.99990"]
    assert not page.problems, page.problems
