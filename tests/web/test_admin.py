"""The admin area: who may enter, hiding papers (gone from the lists), moderating comments, blocking users."""

from __future__ import annotations

import sqlalchemy as sa

from paperwire.accounts.users import add_user, find_user
from paperwire.feed import comments
from paperwire.store.schema import papers
from tests.web.accounts_helpers import csrf_of, sign_in

HF_PAPER = "2602.00919"
DAY = "/?date=2026-02-03"


def test_only_admins_enter(client, smtp, site_store) -> None:
    anonymous = client.get("/admin", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/signin?next=/admin"
    csrf = csrf_of(client)
    assert (
        client.post(
            "/admin/papers", data={"paper_id": HF_PAPER, "csrf_token": csrf}, follow_redirects=False
        ).status_code
        == 303
    )
    sign_in(client, smtp, "user@example.org", store=site_store)
    assert client.get("/admin").status_code == 403
    csrf = csrf_of(client, "/settings")
    for path in ("/admin/papers", "/admin/comments/1", "/admin/users/1"):
        assert client.post(path, data={"paper_id": HF_PAPER, "csrf_token": csrf}).status_code == 403
    with site_store.read() as conn:
        assert conn.execute(sa.select(papers.c.hidden).where(papers.c.id == HF_PAPER)).scalar_one() is False
    client.post("/signout", data={"csrf_token": csrf})
    sign_in(client, smtp, "boss@example.org", store=site_store, admin=True)
    page = client.get("/admin")
    assert page.status_code == 200 and "user@example.org" in page.text and "Recent comments" in page.text


def test_hiding_a_paper_removes_it_from_the_home_page(client, smtp, site_store) -> None:
    assert f"/papers/{HF_PAPER}" in client.get(DAY).text
    sign_in(client, smtp, "boss@example.org", store=site_store, admin=True)
    with site_store.read() as conn:
        before = conn.execute(sa.select(papers.c.updated_at).where(papers.c.id == HF_PAPER)).scalar_one()
    csrf = csrf_of(client, "/admin")
    assert client.post("/admin/papers", data={"paper_id": HF_PAPER, "action": "hide"}).status_code == 403  # no CSRF
    done = client.post(
        "/admin/papers",
        data={"paper_id": f"arXiv:{HF_PAPER}", "action": "hide", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin"
    admin_page = client.get("/admin").text
    assert f"Paper {HF_PAPER} is now hidden." in admin_page and f'href="/papers/{HF_PAPER}"' in admin_page
    with site_store.read() as conn:
        row = conn.execute(sa.select(papers.c.hidden, papers.c.updated_at).where(papers.c.id == HF_PAPER)).one()
    assert row.hidden is True and row.updated_at > before  # the search indexes' sync sees it
    assert f"/papers/{HF_PAPER}" not in client.get(DAY).text
    client.post("/admin/papers", data={"paper_id": HF_PAPER, "action": "unhide", "csrf_token": csrf})
    assert f"/papers/{HF_PAPER}" in client.get(DAY).text
    missing = client.post("/admin/papers", data={"paper_id": "2501.99999", "action": "hide", "csrf_token": csrf})
    assert missing.status_code == 200 and "no paper 2501.99999" in missing.text  # shown as a message on /admin
    assert (
        client.post("/admin/papers", data={"paper_id": HF_PAPER, "action": "explode", "csrf_token": csrf}).status_code
        == 400
    )


def test_moderating_comments_and_users(client, smtp, site_store, site_settings) -> None:
    writer = add_user(site_store, "writer@example.org", display_name="Writer")
    first = comments.add_comment(site_store, site_settings, writer, HF_PAPER, "first <b>comment</b>")
    second = comments.add_comment(site_store, site_settings, writer, HF_PAPER, "second")
    sign_in(client, smtp, "boss@example.org", store=site_store, admin=True)
    page = client.get("/admin")
    assert "first &lt;b&gt;comment&lt;/b&gt;" in page.text and "<b>comment" not in page.text
    csrf = csrf_of(client, "/admin")
    assert client.post(f"/admin/comments/{first}", data={"action": "hide", "csrf_token": csrf}).status_code == 200
    assert client.post(f"/admin/comments/{second}", data={"action": "delete", "csrf_token": csrf}).status_code == 200
    assert comments.list_comments(site_store, HF_PAPER, None) == []
    assert client.post("/admin/comments/999999", data={"action": "hide", "csrf_token": csrf}).status_code == 404
    blocked = client.post(f"/admin/users/{writer['id']}", data={"action": "block", "csrf_token": csrf})
    assert blocked.status_code == 200 and "blocked" in blocked.text
    assert find_user(site_store, "writer@example.org")["blocked_at"] is not None
    client.post(f"/admin/users/{writer['id']}", data={"action": "unblock", "csrf_token": csrf})
    assert find_user(site_store, "writer@example.org")["blocked_at"] is None
    me = find_user(site_store, "boss@example.org")
    assert client.post(f"/admin/users/{me['id']}", data={"action": "block", "csrf_token": csrf}).status_code == 400
    assert client.post("/admin/users/999999", data={"action": "block", "csrf_token": csrf}).status_code == 404
