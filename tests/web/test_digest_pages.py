"""The digest pages through the real app and a real SMTP server: double opt-in, no enumeration, one-click
unsubscribe without a session, preferences with per-field messages, and the preview."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi.testclient import TestClient

from paperwire.digest import subscriptions as subs
from paperwire.digest.subscriptions import Preferences
from paperwire.store.schema import subscriptions
from paperwire.web.deps import paperwire_of
from tests.web.accounts_helpers import csrf_of, sign_in

_CONFIRM = re.compile(r"https?://\S+?(/subscribe/confirm/[^\s\"'<>]+)")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def subscribe(client: TestClient, email: str, **preferences: Any) -> Any:
    return client.post("/subscribe", data={"email": email, "csrf_token": csrf_of(client, "/subscribe"), **preferences})


def confirm_path(message: Any) -> str:
    """The path of the confirmation link in a received mail."""
    found = _CONFIRM.search(message.get_body(("plain",)).get_content())
    assert found, "no confirmation link in the mail"
    return found.group(1)


def rows(store: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(subscriptions).order_by(subscriptions.c.id)).mappings()]


def subscribed(client: TestClient, smtp: Any, email: str, **preferences: Any) -> str:
    """Subscribe and confirm through the mailed link; returns the confirmation page's text."""
    assert subscribe(client, email, **preferences).status_code == 200
    path = confirm_path(smtp.to(email)[-1])
    page = client.get(path)
    done = client.post(path, data={"csrf_token": _CSRF.search(page.text).group(1)})
    assert done.status_code == 200, done.text
    return done.text


def test_double_opt_in_from_the_footer_form(client, smtp, site_store) -> None:
    home = client.get("/")
    assert 'action="/subscribe"' in home.text and "Get trending papers in your inbox" in home.text
    token = _CSRF.search(home.text.split('class="footer-subscribe"', 1)[1]).group(1)
    sent = client.post("/subscribe", data={"email": "Ada@Example.org", "csrf_token": token})
    assert sent.status_code == 200 and "Check your inbox" in sent.text
    [mail] = smtp.to("ada@example.org")
    path = confirm_path(mail)
    assert [r["status"] for r in rows(site_store)] == ["pending"]

    page = client.get(path)  # opening the link (a prefetcher, a scanner) confirms nothing
    assert page.status_code == 200 and "Confirm my subscription" in page.text
    assert f'action="{path}" method="post"' in page.text
    assert [r["status"] for r in rows(site_store)] == ["pending"]
    assert client.post(path, data={}).status_code == 403  # the button's POST needs the page's CSRF token

    done = client.post(path, data={"csrf_token": _CSRF.search(page.text).group(1)})
    assert done.status_code == 200 and "Subscribed" in done.text
    [row] = rows(site_store)
    assert row["status"] == "active" and row["email"] == "ada@example.org"
    manage = re.search(r'href="(/digest/manage/[^"]+)"', done.text).group(1)
    page = client.get(manage)
    assert page.status_code == 200 and "ada@example.org" in page.text and "Save preferences" in page.text


def test_the_footer_form_is_on_every_page(client) -> None:
    for path in ("/", "/search", "/signin", "/subscribe", "/papers/2503.12827", "/no-such-page"):
        page = client.get(path)
        assert 'class="footer-subscribe"' in page.text, path
        assert '<label id="footer-subscribe-label" for="footer-email">' in page.text, path


def test_subscribing_twice_makes_one_subscription(client, smtp, site_store) -> None:
    assert subscribe(client, "twice@example.org").status_code == 200
    assert subscribe(client, "TWICE@example.org ").status_code == 200
    assert [r["email"] for r in rows(site_store)] == ["twice@example.org"]
    assert len(smtp.to("twice@example.org")) == 2
    subscribed(client, smtp, "twice@example.org")
    assert [(r["email"], r["status"]) for r in rows(site_store)] == [("twice@example.org", "active")]


def test_known_and_unknown_addresses_get_the_same_answer(client, smtp) -> None:
    subscribed(client, smtp, "known@example.org")
    known = subscribe(client, "known@example.org")
    unknown = subscribe(client, "unknown@example.org")
    assert known.status_code == unknown.status_code == 200

    def masked(text: str, address: str) -> str:
        return text.replace(quote(address), "X").replace(address, "X")

    assert masked(known.text, "known@example.org") == masked(unknown.text, "unknown@example.org")
    assert known.headers.keys() == unknown.headers.keys()


def test_a_bad_address_is_refused_with_a_message(client, smtp, site_store) -> None:
    for bad in ("not-an-email", "a@b", "x" * 400 + "@example.org", "<b>@example.org"):
        page = subscribe(client, bad)
        assert page.status_code == 400, bad
        assert "not a valid email address" in page.text and 'aria-invalid="true"' in page.text
        assert "<b>@" not in page.text
    empty = subscribe(client, "")
    assert empty.status_code == 400 and "enter your email address" in empty.text
    assert smtp.messages == [] and rows(site_store) == []


def test_subscribe_needs_the_csrf_token(client, smtp, site_store) -> None:
    client.get("/")
    assert client.post("/subscribe", data={"email": "csrf@example.org"}).status_code == 403
    assert client.post("/subscribe", data={"email": "csrf@example.org", "csrf_token": "forged"}).status_code == 403
    assert smtp.messages == [] and rows(site_store) == []


def test_too_many_requests_get_a_clear_429(client, smtp, site_settings) -> None:
    limit = site_settings.subscription_mails_per_address
    assert [subscribe(client, "often@example.org").status_code for _ in range(limit)] == [200] * limit
    page = subscribe(client, "often@example.org")
    assert page.status_code == 429 and "too many" in page.text and int(page.headers["Retry-After"]) > 0
    assert len(smtp.to("often@example.org")) == limit


def test_full_form_saves_preferences(client, smtp, site_store) -> None:
    form = client.get("/subscribe")
    assert form.status_code == 200 and 'name="timezone"' in form.text and 'name="topics"' in form.text
    page = subscribe(
        client,
        "prefs@example.org",
        frequency="weekly",
        weekday="4",
        send_hour="18",
        timezone="Europe/Paris",
        top_n="5",
        topics="diffusion models\n\nspeech recognition\n",
        categories="cs.CV, cs.CL",
        authors="Ada Lovelace",
        use_upvotes="1",
    )
    assert page.status_code == 200, page.text
    [row] = rows(site_store)
    assert (row["frequency"], row["weekday"], row["send_hour"], row["timezone"], row["top_n"]) == (
        "weekly",
        4,
        18,
        "Europe/Paris",
        5,
    )
    assert list(row["topics"]) == ["diffusion models", "speech recognition"]
    assert list(row["categories"]) == ["cs.CV", "cs.CL"] and list(row["authors"]) == ["Ada Lovelace"]

    bad = subscribe(client, "prefs2@example.org", frequency="daily", send_hour="7", timezone="Mars/Olympus", top_n="x")
    assert bad.status_code == 400 and 'id="err-timezone"' in bad.text and 'id="err-top_n"' in bad.text
    assert "Mars/Olympus" in bad.text and len(rows(site_store)) == 1


def _manage_path(client: TestClient, smtp: Any, email: str) -> str:
    done = subscribed(client, smtp, email)
    return re.search(r'href="(/digest/manage/[^"]+)"', done).group(1)


def test_manage_page_saves_and_explains_bad_fields(client, smtp, site_store) -> None:
    path = _manage_path(client, smtp, "manage@example.org")
    page = client.get(path)
    csrf = _CSRF.search(page.text).group(1)
    good = {
        "csrf_token": csrf,
        "frequency": "weekly",
        "weekday": "2",
        "send_hour": "6",
        "timezone": "America/New_York",
        "top_n": "3",
        "topics": "graph neural networks",
        "categories": "cs.LG",
        "authors": "",
    }
    saved = client.post(path, data=good)
    assert saved.status_code == 200 and "Preferences saved" in saved.text
    [row] = rows(site_store)
    assert (row["frequency"], row["weekday"], row["timezone"], row["top_n"], row["use_upvotes"]) == (
        "weekly",
        2,
        "America/New_York",
        3,
        False,
    )
    assert list(row["topics"]) == ["graph neural networks"]
    assert 'value="America/New_York"' in saved.text and '<option value="2" selected>' in saved.text

    bad = client.post(
        path,
        data={
            **good,
            "timezone": "Not/AZone",
            "send_hour": "25",
            "top_n": "lots",
            "topics": "<script>alert(1)</script>",
        },
    )
    assert bad.status_code == 400
    for field in ("timezone", "send_hour", "top_n"):
        assert f'id="err-{field}"' in bad.text, field
    assert bad.text.count('aria-invalid="true"') >= 3
    assert "<script>alert(1)</script>" not in bad.text and "&lt;script&gt;" in bad.text  # escaped, kept as typed
    assert rows(site_store)[0]["timezone"] == "America/New_York"  # nothing saved
    assert client.post(path, data={k: v for k, v in good.items() if k != "csrf_token"}).status_code == 403

    forged = client.get("/digest/manage/forged-token")
    assert forged.status_code == 400 and "flash bad" in forged.text


def test_one_click_unsubscribe_works_without_a_session(app, client, smtp, site_store, site_settings) -> None:
    subscribed(client, smtp, "leave@example.org")
    [row] = rows(site_store)
    url = subs.unsubscribe_url(site_settings, site_store, row)
    path = url.removeprefix("http://testserver")
    with TestClient(app) as mail_client:  # a mail client: no cookie, no CSRF token, RFC 8058 form body
        page = mail_client.get(path)
        assert page.status_code == 200 and rows(site_store)[0]["status"] == "active"  # GET changes nothing
        first = mail_client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert first.status_code == 200 and "Unsubscribed" in first.text
        assert rows(site_store)[0]["status"] == "unsubscribed"
        again = mail_client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert again.status_code == 200 and rows(site_store)[0]["status"] == "unsubscribed"
        assert mail_client.post("/unsubscribe/forged", data={"List-Unsubscribe": "One-Click"}).status_code == 400


def test_confirm_with_a_bad_token_explains(client) -> None:
    page = client.get("/subscribe/confirm/forged")
    done = client.post("/subscribe/confirm/forged", data={"csrf_token": _CSRF.search(page.text).group(1)})
    assert done.status_code == 400 and "flash bad" in done.text and "Subscribe again" in done.text


def test_preview_shows_picks_with_reasons(client, smtp, site_store, site_settings) -> None:
    path = _manage_path(client, smtp, "preview@example.org")
    token = path.rsplit("/", 1)[1]
    with site_store.read() as conn:
        row = conn.execute(sa.select(subscriptions)).mappings().one()
    subs.update_preferences(site_store, row["id"], Preferences(topics=("diffusion models",), categories=("cs.CV",)))
    page = client.get("/digest/preview", params={"token": token, "date": "2025-03-18"})
    assert page.status_code == 200, page.text
    assert "Picked for you" in page.text and page.text.count('<p class="why">') >= 1
    assert "diffusion models" in page.text

    quiet = client.get("/digest/preview", params={"token": token, "date": "2025-03-16"})  # a Sunday: nothing new
    assert quiet.status_code == 200 and 'id="skip-reason"' in quiet.text
    assert client.get("/digest/preview", params={"token": "forged"}).status_code == 400
    assert client.get("/digest/preview", params={"token": token, "date": "2025-13-40"}).status_code == 400


def test_settings_section_for_signed_in_users(client, smtp, site_store) -> None:
    sign_in(client, smtp, "member@example.org", store=site_store)
    page = client.get("/settings")
    assert page.status_code == 200 and "Email digest" in page.text and "coming soon" not in page.text
    assert "Send trending papers to member@example.org" in page.text
    assert client.get("/digest/manage", follow_redirects=False).headers["location"] == "/subscribe"
    token = _CSRF.search(page.text).group(1)
    done = client.post("/digest/subscribe", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/digest/manage/")
    [row] = rows(site_store)
    assert (row["email"], row["status"]) == ("member@example.org", "active") and row["user_id"] is not None
    page = client.get("/settings")
    assert "Trending papers go to <strong>member@example.org</strong> every day" in page.text
    assert f'href="{done.headers["location"]}"' in page.text
    own = client.get("/digest/manage", follow_redirects=False)
    assert own.status_code == 303 and own.headers["location"] == done.headers["location"]
    preview = client.get("/digest/preview", params={"date": "2025-03-18"})
    assert preview.status_code == 200 and "member@example.org" in preview.text
    assert client.post("/digest/subscribe", data={}).status_code == 403


def test_a_mail_server_that_is_down_gets_a_503_with_a_message(app, client, smtp, site_store) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    paperwire_of(app).settings = paperwire_of(app).settings.model_copy(update={"smtp_port": closed})
    page = subscribe(client, "later@example.org")
    assert page.status_code == 503 and "could not send mail" in page.text and 'value="later@example.org"' in page.text
