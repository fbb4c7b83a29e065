"""Sign-in by emailed link through the real app and a real SMTP server: the link works once, in time, unforged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from paperwire.store.schema import login_tokens, users
from paperwire.web.deps import paperwire_of
from tests.web.accounts_helpers import csrf_of, link_token, request_link, sign_in


def _confirm(client, token: str):
    page = client.get(f"/signin/{token}")
    return page, client.post(
        f"/signin/{token}", data={"csrf_token": csrf_of(client, "/signin")}, follow_redirects=False
    )


def test_mailed_link_signs_in_and_returns_to_next(client, smtp, site_store) -> None:
    response = request_link(client, "Ada@Example.org", next_url="/settings")
    assert response.status_code == 200
    assert "a sign-in link is on its way" in response.text
    [mail] = smtp.to("ada@example.org")
    assert mail["Subject"] == "Your Paperwire sign-in link"
    token = link_token(mail)
    assert "http://testserver/signin/" in mail.get_body(("plain",)).get_content()
    page = client.get(f"/signin/{token}")
    assert page.status_code == 200 and "ada@example.org" in page.text
    assert client.get("/settings", follow_redirects=False).status_code == 303  # the GET did not sign in
    done = client.post(f"/signin/{token}", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/settings"
    settings_page = client.get("/settings")
    assert settings_page.status_code == 200 and "Signed in as ada@example.org" in settings_page.text
    with site_store.read() as conn:
        assert conn.execute(sa.select(users.c.email)).scalars().all() == ["ada@example.org"]
        stored = conn.execute(sa.select(login_tokens.c.token_hash)).scalars().all()
    assert token not in stored and all(len(h) == 64 for h in stored)  # only a hash is kept


def test_link_works_once(client, smtp) -> None:
    request_link(client, "once@example.org")
    token = link_token(smtp.to("once@example.org")[-1])
    _, first = _confirm(client, token)
    assert first.status_code == 303
    client.post("/signout", data={"csrf_token": csrf_of(client, "/")})
    page, second = _confirm(client, token)
    assert page.status_code == 400 and "already been used" in page.text
    assert second.status_code == 400 and "already been used" in second.text
    assert client.get("/settings", follow_redirects=False).status_code == 303


def test_expired_link_is_refused(client, smtp, site_store) -> None:
    request_link(client, "late@example.org")
    token = link_token(smtp.to("late@example.org")[-1])
    with site_store.write() as conn:
        conn.execute(login_tokens.update().values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    page, done = _confirm(client, token)
    assert page.status_code == 400 and "expired" in page.text
    assert done.status_code == 400 and "expired" in done.text


def test_forged_and_tampered_links_are_refused(client, smtp) -> None:
    request_link(client, "real@example.org")
    token = link_token(smtp.to("real@example.org")[-1])
    for bad in ("forged", token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x" * 200):
        page, done = _confirm(client, bad)
        assert page.status_code == 400 and "not valid" in page.text
        assert done.status_code == 400
    # A well-signed token that was never issued (signed with another key) is refused too.
    from itsdangerous import URLSafeSerializer

    other = URLSafeSerializer("another-key", salt="paperwire.signin").dumps("whatever")
    assert _confirm(client, other)[1].status_code == 400


def test_confirm_needs_csrf(client, smtp) -> None:
    request_link(client, "csrf@example.org")
    token = link_token(smtp.to("csrf@example.org")[-1])
    client.get(f"/signin/{token}")
    assert client.post(f"/signin/{token}", data={}).status_code == 403
    assert client.post(f"/signin/{token}", data={"csrf_token": "forged"}).status_code == 403
    assert client.post("/signin", data={"email": "x@example.org"}).status_code == 403
    assert smtp.to("x@example.org") == []


def test_known_and_unknown_addresses_get_the_same_answer(client, smtp, site_store) -> None:
    sign_in(client, smtp, "known@example.org", store=site_store)
    client.post("/signout", data={"csrf_token": csrf_of(client, "/")})
    known = request_link(client, "known@example.org")
    unknown = request_link(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("known@", "X@") == unknown.text.replace("nobody@", "X@")
    assert len(smtp.to("nobody@example.org")) == 1  # the first sign-in creates the account


def test_bad_address_is_explained(client, smtp) -> None:
    response = request_link(client, "not an address")
    assert response.status_code == 400
    assert "not an email address" in response.text and 'aria-invalid="true"' in response.text
    assert smtp.messages == []


def test_rate_limit_per_address(app, client, smtp) -> None:
    paperwire_of(app).settings = paperwire_of(app).settings.model_copy(update={"signin_mails_per_address": 2})
    assert [request_link(client, "spam@example.org").status_code for _ in range(3)] == [200, 200, 429]
    assert len(smtp.to("spam@example.org")) == 2
    limited = request_link(client, "spam@example.org")
    assert "too many sign-in mails" in limited.text and int(limited.headers["Retry-After"]) > 0
    assert request_link(client, "other@example.org").status_code == 200  # other addresses are unaffected


def test_rate_limit_per_ip(app, client, smtp) -> None:
    paperwire_of(app).settings = paperwire_of(app).settings.model_copy(update={"signin_mails_per_ip": 3})
    codes = [request_link(client, f"u{i}@example.org").status_code for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert len(smtp.messages) == 3


def test_unreachable_mail_server_is_explained(app, client, smtp) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    paperwire_of(app).settings = paperwire_of(app).settings.model_copy(update={"smtp_port": closed_port})
    response = request_link(client, "mail@example.org")
    assert response.status_code == 503 and "could not send mail" in response.text


def test_next_cannot_leave_the_site(client, smtp) -> None:
    request_link(client, "next@example.org", next_url="https://evil.example/")
    token = link_token(smtp.to("next@example.org")[-1])
    assert _confirm(client, token)[1].headers["location"] == "/"


def test_signout_and_blocked_users(client, smtp, site_store) -> None:
    sign_in(client, smtp, "gone@example.org", store=site_store)
    assert client.get("/settings").status_code == 200
    assert client.post("/signout", data={"csrf_token": "forged"}).status_code == 403
    out = client.post("/signout", data={"csrf_token": csrf_of(client, "/settings")}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/settings", follow_redirects=False).headers["location"] == "/signin?next=/settings"
    from paperwire.accounts.users import find_user, set_blocked

    sign_in(client, smtp, "gone@example.org")
    set_blocked(site_store, find_user(site_store, "gone@example.org")["id"], True)
    assert client.get("/settings", follow_redirects=False).status_code == 303  # signed out at once
    request_link(client, "gone@example.org")
    _page, done = _confirm(client, link_token(smtp.to("gone@example.org")[-1]))
    assert done.status_code == 403
