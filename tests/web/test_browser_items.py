"""Thumbnails and comments in Chromium at desktop and phone sizes: a listed paper's first-page image beside its
entry (lazy, sized, hidden on a phone), and a comment in Markdown with maths answered by a reply through the
inline form, without JavaScript; screenshots in test-artifacts/screenshots/items-*.png."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from paperwire.papers.thumbnails import HEIGHT, WIDTH, render_first_page
from paperwire.store import thumbnails as files
from tests.papers.pdfs import one_page_pdf
from tests.web.feed_helpers import add_paper
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
DAY = date(2026, 2, 3)


@pytest.mark.parametrize(("width", "height", "name"), SIZES)
def test_a_thumbnail_shows_beside_its_entry_on_a_desktop_only(
    page: Any, live_url: str, site_store: Any, site_settings: Any, width: int, height: int, name: str
) -> None:
    add_paper(site_store, "2602.09991", "Drawn first page", day=DAY, upvotes=500)
    files.write(site_settings, "2602.09991", render_first_page(one_page_pdf()))
    page.set_viewport_size({"width": width, "height": height})
    _expect_ok(page.goto(f"{live_url}/?date={DAY.isoformat()}"))
    entries = page.locator("ol.papers > li")
    image = entries.first.locator(".thumb img")
    assert image.count() == 1 and entries.locator(".thumb img").count() == 1  # only the paper that has one
    assert image.get_attribute("loading") == "lazy" and image.get_attribute("alt")
    assert (image.get_attribute("width"), image.get_attribute("height")) != (None, None)
    if name == "desktop":
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        natural = page.evaluate("img => [img.naturalWidth, img.naturalHeight]", image.element_handle())
        assert natural == [WIDTH, HEIGHT]
        box = image.bounding_box()
        assert box is not None and 0 < box["width"] <= width / 4
    else:
        assert not image.is_visible()  # a phone keeps the width for the text
    assert page.evaluate(OVERFLOW), f"sideways scroll: {page.evaluate(TOO_WIDE)}"
    assert page.problems == []
    shot(page, f"items-thumbnail-{name}")


@pytest.mark.parametrize(("width", "height", "name"), SIZES)
def test_a_markdown_comment_with_maths_and_a_reply(
    page: Any, live_url: str, smtp: Any, site_store: Any, width: int, height: int, name: str
) -> None:
    add_paper(site_store, "2602.09992", "A paper to discuss", day=DAY, upvotes=1)
    page.set_viewport_size({"width": width, "height": height})
    email = f"commenter-{name}@example.org"
    _expect_ok(page.goto(f"{live_url}/signin?next=/papers/2602.09992"))
    page.fill("#email", email)
    page.click("form[action='/signin'] button[type=submit]")
    _expect_ok(page.goto(_signin_link(smtp, email, live_url)))
    page.click("form[action^='/signin/'] button[type=submit]")
    page.wait_for_url(re.compile(r"/papers/2602\.09992"))

    page.fill("#new-comment", "The **bound** $a*b*c \\le n^2$ holds.\n\n- see [notes](https://example.org/n)\n- `code`")
    page.click("form.comment-new button[type=submit]")
    comment = page.locator(".comment-list .comment").first
    body = comment.locator(".comment-body").first
    playwright_expect(body.locator("strong")).to_have_text("bound")
    assert body.locator("math").count() == 1 and body.locator("li").count() == 2
    link = body.locator("a[href='https://example.org/n']")
    assert "nofollow" in (link.get_attribute("rel") or "")

    # Reply through the inline <details> form: a click opens it, no script needed.
    comment.locator("details.comment-reply-form summary").click()
    comment.locator("textarea[name=body]").fill("Agreed, *for* $n > 1$.")
    comment.locator("form.comment-reply-new button[type=submit]").click()
    reply = page.locator(".comment-list .comment-reply")
    playwright_expect(reply).to_have_count(1)
    reply_body = reply.locator(".comment-body")
    assert reply_body.locator("em").inner_text() == "for" and reply_body.locator("math").count() == 1
    box, parent = reply.bounding_box(), page.locator(".comment-list .comment").first.bounding_box()
    assert box is not None and parent is not None and box["x"] > parent["x"]  # indented under its comment
    assert page.evaluate(OVERFLOW), f"sideways scroll: {page.evaluate(TOO_WIDE)}"
    assert page.problems == []
    shot(page, f"items-comments-{name}")


def playwright_expect(locator: Any) -> Any:
    from playwright.sync_api import expect

    return expect(locator)
