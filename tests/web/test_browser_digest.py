"""Double opt-in end to end in Chromium: subscribe from the home page's footer, open the mailed link, confirm,
change preferences, preview, and unsubscribe; screenshots in test-artifacts/screenshots/digest-*.png."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.web.test_browser import (  # noqa: F401 - fixtures are found by name
    FAILED_LOAD,
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


def _confirm_link(smtp: Any, email: str, base: str) -> str:
    deadline = time.monotonic() + 10
    while not smtp.to(email):
        assert time.monotonic() < deadline, "no confirmation mail arrived"
        time.sleep(0.05)
    body = smtp.to(email)[-1].get_body(preferencelist=("plain",)).get_content()
    found = re.search(re.escape(base) + r"/subscribe/confirm/\S+", body)
    assert found, body
    return found.group(0)


def test_double_opt_in_in_the_browser(page: Any, live_url: str, smtp: Any) -> None:
    email = "digest-reader@example.org"
    _expect_ok(page.goto(live_url + "/"))
    footer = page.locator("footer form.footer-subscribe")
    assert footer.get_by_label("Trending papers by email, daily or weekly").is_visible()
    footer.get_by_label("Trending papers by email, daily or weekly").fill(email)
    shot(page, "digest-01-home-footer")
    footer.get_by_role("button", name="Get trending papers in your inbox").click()
    page.wait_for_url(re.compile(r"/subscribe$"))
    assert page.locator("h1").inner_text() == "Check your inbox"
    assert email in page.locator("[role=status]").inner_text()
    shot(page, "digest-02-check-inbox")

    link = _confirm_link(smtp, email, live_url)
    _expect_ok(page.goto(link))
    assert smtp.to(email) and page.locator("h1").inner_text() == "Email digest"
    shot(page, "digest-03-confirm")
    page.get_by_role("button", name="Confirm my subscription").click()
    status = page.locator("[role=status]").first
    assert "Subscribed" in status.inner_text() and email in status.inner_text()
    shot(page, "digest-04-confirmed")

    page.get_by_role("link", name="Manage your digest").click()
    page.wait_for_url(re.compile(r"/digest/manage/"))
    assert email in page.locator("main").inner_text() and page.locator(".status-active").count() == 1
    page.get_by_role("radio", name="Weekly").check()
    page.select_option("#weekday", label="Friday")
    page.fill("#timezone", "Europe/Paris")
    page.fill("#topics", "diffusion models\nspeech recognition")
    page.get_by_role("button", name="Save preferences").click()
    assert "Preferences saved" in page.locator("[role=status]").first.inner_text()
    assert page.locator("#weekday").input_value() == "4" and page.locator("#timezone").input_value() == "Europe/Paris"
    shot(page, "digest-05-manage-saved")

    page.fill("#timezone", "Atlantis/Capital")
    page.get_by_role("button", name="Save preferences").click()
    assert "is not a time zone" in page.locator("#err-timezone").inner_text()
    assert page.locator("#timezone").get_attribute("aria-invalid") == "true"
    shot(page, "digest-06-manage-error")
    assert page.problems == [FAILED_LOAD.format("400 (Bad Request)")]
    page.problems.clear()  # that 400 was the point of the step

    page.get_by_role("link", name="Preview the next digest").click()
    page.wait_for_url(re.compile(r"/digest/preview\?token="))
    assert page.locator("h1").inner_text() == "Digest preview"
    assert "arXiv announced nothing" in page.locator("#skip-reason").inner_text()  # the fixtures end in Feb 2026
    shot(page, "digest-07-preview-nothing")
    page.fill("#preview-week", "2025-W12")  # the week of the fixtures' arXiv listing of 2025-03-18
    page.get_by_role("button", name="Preview", exact=True).click()
    page.wait_for_url(re.compile(r"week=2025-W12"))
    assert page.locator("ol.digest-list > li").count() >= 5
    assert "matches your topic 'diffusion models'" in page.locator("main").inner_text()
    shot(page, "digest-08-preview-picks")

    page.get_by_role("link", name="Change preferences").click()
    page.wait_for_url(re.compile(r"/digest/manage/"))
    page.get_by_role("link", name="Unsubscribe").click()
    page.wait_for_url(re.compile(r"/unsubscribe/"))
    page.get_by_role("button", name="Unsubscribe").click()
    assert "Unsubscribed" in page.locator("[role=status]").first.inner_text()
    shot(page, "digest-09-unsubscribed")

    page.set_viewport_size({"width": 390, "height": 844})
    _expect_ok(page.goto(live_url + "/subscribe"))
    assert not page.evaluate(TOO_WIDE), f"sideways scroll on mobile: {page.evaluate(TOO_WIDE)}"
    shot(page, "digest-10-subscribe-mobile")
    assert not page.problems, page.problems
