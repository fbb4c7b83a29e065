"""Hostile e-mail addresses in the sign-in and digest subscribe forms: a 400 with a clear message, no mail sent."""

from __future__ import annotations

from tests.accounts.test_email_addresses import ATTACKS
from tests.web.accounts_helpers import request_link
from tests.web.test_digest_pages import rows, subscribe


def test_the_sign_in_form_refuses_them_and_sends_nothing(client, smtp) -> None:
    for text in ATTACKS:
        response = request_link(client, text)
        assert response.status_code == 400, text
        assert "not an email address" in response.text
    huge = request_link(client, "x" * 100_000 + "@example.org")
    assert huge.status_code == 400 and "x" * 400 not in huge.text
    assert smtp.messages == []


def test_the_subscribe_form_refuses_them_and_sends_nothing(client, smtp, site_store) -> None:
    for text in ATTACKS:
        page = subscribe(client, text)
        assert page.status_code == 400, text
        assert "not a valid email address" in page.text
    huge = subscribe(client, "x" * 100_000 + "@example.org")
    assert huge.status_code == 400 and "x" * 400 not in huge.text
    assert smtp.messages == [] and rows(site_store) == []
    assert subscribe(client, "New.Reader@Example.org").status_code == 200
    assert [row["email"] for row in rows(site_store)] == ["new.reader@example.org"]
