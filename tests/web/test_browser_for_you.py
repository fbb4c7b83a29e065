"""The For you tab in Chromium at desktop and phone sizes: reached from the home page's tabs once signed in, its
picks each saying which library paper they are close to, the private feed linked; no sideways scroll;
screenshots in test-artifacts/screenshots/for-you-*.png."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from paperwire.accounts.users import find_user
from paperwire.store import library as library_repo
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
SPLATTING = ["2503.11731", "2503.11981", "2503.12001"]  # a reader of Gaussian splatting


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 800, "desktop"), (390, 844, "phone")])
def test_for_you_tab(page: Any, live_url: str, smtp: Any, site_store: Any, width: int, height: int, name: str) -> None:
    page.set_viewport_size({"width": width, "height": height})
    email = f"for-you-{name}@example.org"
    _expect_ok(page.goto(f"{live_url}/signin?next=/?date=2025-03-18"))
    page.fill("#email", email)
    page.click("form[action='/signin'] button[type=submit]")
    _expect_ok(page.goto(_signin_link(smtp, email, live_url)))
    page.click("form[action^='/signin/'] button[type=submit]")
    page.wait_for_url(re.compile(r"date=2025-03-18"))
    with site_store.write() as conn:
        library_repo.add_to_library(conn, find_user(site_store, email)["id"], SPLATTING, "ids", datetime.now(UTC))

    page.locator("nav.list-tabs a", has_text="For you").click()
    page.wait_for_url(re.compile(r"/for-you$"))
    assert page.locator("nav.list-tabs [aria-current=page]").inner_text() == "For you"
    assert page.locator("h1").inner_text().startswith("For you")
    items = page.locator("ol.papers > li")
    assert items.count() == 30
    first = items.first
    why = first.locator("p.why")
    assert why.inner_text().startswith("Because you saved ")
    assert why.locator("a").first.get_attribute("href") in {f"/papers/{pid}" for pid in SPLATTING}
    assert "splat" in first.locator("h2").inner_text().lower() + first.inner_text().lower()
    feed = page.locator("a[href^='/feeds/for-you/']")
    assert feed.count() == 1 and feed.get_attribute("href").endswith(".atom")
    assert page.evaluate(OVERFLOW), f"sideways scroll: {page.evaluate(TOO_WIDE)}"
    shot(page, f"for-you-{name}")
    # the reason's link opens the library paper
    why.locator("a").first.click()
    page.wait_for_url(re.compile(r"/papers/2503\."))
    assert not page.problems, page.problems
