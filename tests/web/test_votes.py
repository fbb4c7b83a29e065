"""Votes: one per user per paper, toggled from the page (with and without JS) or the API; exact under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from paperwire.accounts.moderation import hide_paper
from paperwire.accounts.users import add_user, create_api_token
from paperwire.feed.votes import toggle_vote, vote_state
from paperwire.web.deps import paperwire_of
from tests.web.accounts_helpers import csrf_of, sign_in

HF_PAPER = "2602.00919"  # 280 upvotes imported from the Hugging Face list of 2026-02-03
PLAIN_PAPER = "2503.11731"  # no imported upvotes
JSON = {"Accept": "application/json"}


def test_form_vote_without_js_redirects_back(client, smtp, site_store) -> None:
    sign_in(client, smtp, "v@example.org", store=site_store)
    csrf = csrf_of(client, "/settings")
    done = client.post(
        f"/papers/{HF_PAPER}/vote", data={"csrf_token": csrf, "next": "/?date=2026-02-03"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/?date=2026-02-03"
    assert vote_state(site_store, HF_PAPER, None) == {"voted": False, "upvotes": 281}
    evil = client.post(
        f"/papers/{HF_PAPER}/vote", data={"csrf_token": csrf, "next": "//evil.example/"}, follow_redirects=False
    )
    assert evil.headers["location"] == "/"


def test_js_vote_toggles_and_returns_json(client, smtp, site_store) -> None:
    sign_in(client, smtp, "js@example.org", store=site_store)
    headers = {**JSON, "X-CSRF-Token": csrf_of(client, "/settings")}
    first = client.post(f"/papers/{HF_PAPER}/vote", headers=headers)
    assert first.status_code == 200 and first.json() == {"voted": True, "upvotes": 281}
    second = client.post(f"/papers/{HF_PAPER}/vote", headers=headers)
    assert second.json() == {"voted": False, "upvotes": 280}
    assert client.post(f"/papers/{PLAIN_PAPER}/vote", headers=headers).json() == {"voted": True, "upvotes": 1}


def test_anonymous_votes_are_refused(client) -> None:
    csrf = csrf_of(client, "/signin")
    js = client.post(f"/papers/{HF_PAPER}/vote", headers={**JSON, "X-CSRF-Token": csrf})
    assert js.status_code == 401 and js.json() == {"error": "sign in to vote"}
    form = client.post(
        f"/papers/{HF_PAPER}/vote", data={"csrf_token": csrf, "next": "/?date=2026-02-03"}, follow_redirects=False
    )
    assert form.status_code == 303 and form.headers["location"].startswith("/signin?next=/%3Fdate")
    api = client.post(f"/api/papers/{HF_PAPER}/vote")
    assert api.status_code == 401 and "sign in" in api.json()["error"]


def test_csrf_is_required_with_a_session(client, smtp, site_store) -> None:
    sign_in(client, smtp, "c@example.org", store=site_store)
    assert client.post(f"/papers/{HF_PAPER}/vote", headers=JSON).status_code == 403
    assert client.post(f"/papers/{HF_PAPER}/vote", headers={**JSON, "X-CSRF-Token": "forged"}).status_code == 403
    api = client.post(f"/api/papers/{HF_PAPER}/vote")
    assert api.status_code == 403 and api.json()["error"]
    ok = client.post(f"/api/papers/{HF_PAPER}/vote", headers={"X-CSRF-Token": csrf_of(client, "/settings")})
    assert ok.json() == {"voted": True, "upvotes": 281}


def test_api_token_votes_without_csrf(app, site_store) -> None:
    from fastapi.testclient import TestClient

    user = add_user(site_store, "bot@example.org")
    token = create_api_token(site_store, user["id"])
    with TestClient(app) as bare:  # no session, no cookies
        auth = {"Authorization": f"Bearer {token}"}
        assert bare.post(f"/api/papers/{HF_PAPER}/vote", headers=auth).json() == {"voted": True, "upvotes": 281}
        assert bare.post(f"/api/papers/{HF_PAPER}/vote", headers=auth).json() == {"voted": False, "upvotes": 280}
        bad = bare.post(f"/api/papers/{HF_PAPER}/vote", headers={"Authorization": "Bearer pw_forged"})
        assert bad.status_code == 401 and bad.json() == {"error": "invalid or revoked API token"}
        assert bare.post(f"/api/papers/{HF_PAPER}/vote", headers={"Authorization": f"Basic {token}"}).status_code == 401
        missing = bare.post("/api/papers/2501.99999/vote", headers=auth)
        assert missing.status_code == 404 and "2501.99999" in missing.json()["error"]
        assert bare.post("/api/papers/not-an-id/vote", headers=auth).status_code == 400


def test_hidden_papers_cannot_be_voted(site_settings, site_store) -> None:
    user = add_user(site_store, "h@example.org")
    hide_paper(site_store, HF_PAPER)
    from paperwire.errors import NotFound

    with pytest.raises(NotFound):
        toggle_vote(site_store, site_settings, user["id"], HF_PAPER)


def test_vote_rate_limit(app, client, smtp, site_store) -> None:
    paperwire_of(app).settings = paperwire_of(app).settings.model_copy(update={"votes_per_hour": 3})
    sign_in(client, smtp, "fast@example.org", store=site_store)
    headers = {**JSON, "X-CSRF-Token": csrf_of(client, "/settings")}
    codes = [client.post(f"/papers/{PLAIN_PAPER}/vote", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_concurrent_votes_are_all_counted(site_settings, site_store) -> None:
    ids = [add_user(site_store, f"crowd{i}@example.org")["id"] for i in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda uid: toggle_vote(site_store, site_settings, uid, HF_PAPER), ids))
    assert all(r["voted"] for r in results)
    assert sorted(r["upvotes"] for r in results) == list(range(281, 301))  # each saw the count it made
    assert vote_state(site_store, HF_PAPER, ids[0]) == {"voted": True, "upvotes": 300}
    # Everyone withdraws at once: back to the imported count exactly.
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda uid: toggle_vote(site_store, site_settings, uid, HF_PAPER), ids))
    assert not any(r["voted"] for r in results)
    assert sorted(r["upvotes"] for r in results) == list(range(280, 300))
    assert vote_state(site_store, HF_PAPER, None)["upvotes"] == 280


def test_concurrent_api_votes_through_the_app(app, site_store) -> None:
    from fastapi.testclient import TestClient

    tokens = [create_api_token(site_store, add_user(site_store, f"api{i}@example.org")["id"]) for i in range(20)]
    with TestClient(app) as bare:

        def vote(token: str) -> int:
            return bare.post(
                f"/api/papers/{PLAIN_PAPER}/vote", headers={"Authorization": f"Bearer {token}"}
            ).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            assert set(pool.map(vote, tokens)) == {200}
    assert vote_state(site_store, PLAIN_PAPER, None)["upvotes"] == 20


def test_the_token_scheme_is_declared_in_openapi(client) -> None:
    spec = client.get("/api/openapi.json").json()
    assert spec["components"]["securitySchemes"]["apiToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token from the settings page or `paperwire user token`.",
    }
    vote = spec["paths"]["/api/papers/{paper_id}/vote"]["post"]
    assert vote["security"] == [{"apiToken": []}]


def test_api_reads_and_sets_a_vote_idempotently(app, site_store) -> None:
    from fastapi.testclient import TestClient

    user = add_user(site_store, "reader@example.org")
    auth = {"Authorization": f"Bearer {create_api_token(site_store, user['id'])}"}
    url = f"/api/papers/{HF_PAPER}/vote"
    with TestClient(app) as bare:
        assert bare.get(url, headers=auth).json() == {"voted": False, "upvotes": 280}
        for _ in range(3):  # a retried PUT counts once
            assert bare.put(url, headers=auth, json={"voted": True}).json() == {"voted": True, "upvotes": 281}
        assert bare.get(url, headers=auth).json() == {"voted": True, "upvotes": 281}
        assert bare.put(url, headers=auth, json={"voted": False}).json() == {"voted": False, "upvotes": 280}
        assert bare.put(url, headers=auth, json={"voted": False}).json() == {"voted": False, "upvotes": 280}
        bad = bare.put(url, headers=auth, json={"voted": "maybe"})
        assert bad.status_code == 400 and "voted" in bad.json()["error"]
        assert bare.get("/api/papers/2501.99999/vote", headers=auth).status_code == 404
        assert bare.get(url).status_code == 401
        assert bare.put(url, json={"voted": True}).status_code == 401


def test_a_session_put_needs_the_csrf_header(client, smtp, site_store) -> None:
    sign_in(client, smtp, "csrf@example.org", store=site_store)
    url = f"/api/papers/{HF_PAPER}/vote"
    assert client.put(url, json={"voted": True}).status_code == 403
    assert client.get(url).json() == {"voted": False, "upvotes": 280}  # reading needs no CSRF header
    ok = client.put(url, json={"voted": True}, headers={"X-CSRF-Token": csrf_of(client, "/settings")})
    assert ok.json() == {"voted": True, "upvotes": 281}
