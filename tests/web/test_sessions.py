"""Sessions end on the server: a cookie copied before sign-out is worth nothing after it, and "sign out
everywhere" ends every browser's session of the user (API tokens are separate and keep working)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from paperwire.accounts.users import create_api_token, find_user
from tests.web.accounts_helpers import csrf_of, sign_in

COOKIE = "paperwire_session"
HF_PAPER = "2602.00919"  # 280 upvotes imported from the Hugging Face list of 2026-02-03


def _replay(app, cookie: str) -> TestClient:
    """Another browser (the attacker's) holding a copy of a session cookie."""
    other = TestClient(app)
    other.cookies.set(COOKIE, cookie)
    return other


def _signed_in(client: TestClient) -> bool:
    return client.get("/settings", follow_redirects=False).status_code == 200


def test_a_cookie_copied_before_signout_is_anonymous_after_it(app, client, smtp, site_store) -> None:
    sign_in(client, smtp, "copied@example.org", store=site_store)
    stolen = client.cookies.get(COOKIE)
    with _replay(app, stolen) as attacker:
        assert _signed_in(attacker)  # a copy works while the session lives: it is the session
        token = csrf_of(attacker, "/settings")
        assert (
            client.post("/signout", data={"csrf_token": csrf_of(client, "/")}, follow_redirects=False).status_code
            == 303
        )
        attacker.cookies.set(COOKIE, stolen)  # the copy taken before sign-out, as it was
        assert not _signed_in(attacker)
        attacker.cookies.set(COOKIE, stolen)
        renamed = attacker.post(
            "/settings", data={"csrf_token": token, "action": "name", "display_name": "pwned"}, follow_redirects=False
        )
        assert renamed.status_code == 303 and renamed.headers["location"].startswith("/signin")
        attacker.cookies.set(COOKIE, stolen)
        vote = attacker.post(f"/api/papers/{HF_PAPER}/vote", headers={"X-CSRF-Token": token})
        assert vote.status_code == 401
    assert find_user(site_store, "copied@example.org")["display_name"] is None


def test_sign_out_everywhere_ends_every_browsers_session(app, client, smtp, site_store) -> None:
    sign_in(client, smtp, "two@example.org", store=site_store)
    with TestClient(app) as other:
        sign_in(other, smtp, "two@example.org")
        kept = other.cookies.get(COOKIE)
        token = create_api_token(site_store, find_user(site_store, "two@example.org")["id"])
        assert _signed_in(client) and _signed_in(other)
        settings_page = client.get("/settings").text
        assert "Sign out everywhere" in settings_page
        forged = client.post("/settings", data={"csrf_token": "forged", "action": "signout_everywhere"})
        assert forged.status_code == 403 and _signed_in(other)
        done = client.post(
            "/settings",
            data={"csrf_token": csrf_of(client, "/settings"), "action": "signout_everywhere"},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert not _signed_in(client)
        assert not _signed_in(other)
        other.cookies.set(COOKIE, kept)
        assert not _signed_in(other)
    with TestClient(app) as script:  # the API token is a separate credential: revoked on its own, in settings
        voted = script.post(f"/api/papers/{HF_PAPER}/vote", headers={"Authorization": f"Bearer {token}"})
        assert voted.status_code == 200 and voted.json()["voted"] is True
    sign_in(client, smtp, "two@example.org")  # signing in again works as before
    assert _signed_in(client)


def test_signing_in_again_starts_a_new_session_and_keeps_the_others(app, client, smtp, site_store) -> None:
    sign_in(client, smtp, "again@example.org", store=site_store)
    first = client.cookies.get(COOKIE)
    sign_in(client, smtp, "again@example.org")
    assert client.cookies.get(COOKIE) != first
    with _replay(app, first) as old:  # the earlier session was not ended: only sign-out ends one
        assert _signed_in(old)
