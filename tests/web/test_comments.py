"""Comments: post, edit, delete by the author; hide by admins; safe links; clear errors (Markdown, math and
replies: test_comment_markdown.py, test_comment_replies.py)."""

from __future__ import annotations

import re

import pytest

from paperwire.accounts.users import add_user, find_user, set_blocked
from paperwire.errors import InvalidInput, NotFound, PaperwireError
from paperwire.feed import comments
from paperwire.web.deps import paperwire_of
from paperwire.web.templating import templates
from tests.web.accounts_helpers import csrf_of, sign_in

PAPER = "2503.11731"


def _post(client, body: str, paper: str = PAPER):
    return client.post(
        f"/papers/{paper}/comments",
        data={"body": body, "csrf_token": csrf_of(client, "/settings")},
        follow_redirects=False,
    )


def _render(app, paper_id: str, viewer) -> str:
    template = templates().get_template("_comments.html")
    return template.render(
        paper_id=paper_id,
        comments=comments.list_comments(paperwire_of(app).store, paper_id, viewer),
        user=viewer,
        csrf="tok",
    )


def test_post_and_list_with_links_escaped(app, client, smtp, site_store) -> None:
    sign_in(client, smtp, "author@example.org", store=site_store, name="Ada")
    done = _post(client, "<script>alert(1)</script> see https://example.org/x?a=1&b=2\nsecond line")
    assert done.status_code == 303 and re.fullmatch(rf"/papers/{PAPER}#comment-\d+", done.headers["location"])
    author = find_user(site_store, "author@example.org")
    [c] = comments.list_comments(site_store, PAPER, author)
    assert c["author"] == "Ada" and c["can_edit"] and c["can_delete"] and not c["can_hide"] and not c["edited"]
    html = _render(app, PAPER, author)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://example.org/x?a=1&amp;b=2" rel="nofollow ugc noopener noreferrer">' in html
    assert "<br>\nsecond line" in html  # a newline in a comment stays a line break
    assert "author@example.org" not in html  # the address is never shown
    assert f'action="/comments/{c["id"]}/delete"' in html and f'href="/comments/{c["id"]}/edit"' in html
    page = client.get(f"/papers/{PAPER}")  # the paper page includes the section
    assert page.status_code == 200 and f'id="comment-{c["id"]}"' in page.text and "&lt;script&gt;" in page.text
    anonymous = _render(app, PAPER, None)
    assert "/edit" not in anonymous and "Sign in</a> to comment" in anonymous


def test_empty_and_too_long_comments_are_explained(client, smtp, site_store) -> None:
    sign_in(client, smtp, "e@example.org", store=site_store)
    empty = _post(client, "   \n ")
    assert empty.status_code == 400 and "the comment is empty" in empty.text
    long = _post(client, "x" * (comments.MAX_COMMENT_CHARS + 1))
    assert long.status_code == 400 and f"at most {comments.MAX_COMMENT_CHARS}" in long.text
    assert 'aria-invalid="true"' in long.text and "x" * 100 in long.text  # the text is kept for fixing
    assert _post(client, "hello", paper="2501.99999").status_code == 404
    assert _post(client, "hello", paper="nonsense").status_code == 400


def test_anonymous_and_csrf(client, smtp, site_store) -> None:
    csrf = csrf_of(client, "/signin")
    anon = client.post(f"/papers/{PAPER}/comments", data={"body": "hi", "csrf_token": csrf}, follow_redirects=False)
    assert anon.status_code == 303 and anon.headers["location"].startswith("/signin?next=/papers/")
    sign_in(client, smtp, "c@example.org", store=site_store)
    assert client.post(f"/papers/{PAPER}/comments", data={"body": "hi"}).status_code == 403
    assert client.post(f"/papers/{PAPER}/comments", data={"body": "hi", "csrf_token": "forged"}).status_code == 403
    assert comments.list_comments(site_store, PAPER, None) == []


def test_edit_and_delete_only_by_the_author(app, client, smtp, site_store, site_settings) -> None:
    other = add_user(site_store, "other@example.org")
    other_id = comments.add_comment(site_store, site_settings, other, PAPER, "not yours")
    sign_in(client, smtp, "mine@example.org", store=site_store)
    location = _post(client, "first draft").headers["location"]
    mine = int(location.rsplit("-", 1)[1])
    form = client.get(f"/comments/{mine}/edit")
    assert form.status_code == 200 and "first draft" in form.text
    csrf = csrf_of(client, "/settings")
    edited = client.post(f"/comments/{mine}/edit", data={"body": "final", "csrf_token": csrf}, follow_redirects=False)
    assert edited.status_code == 303
    bad_edit = client.post(f"/comments/{mine}/edit", data={"body": "", "csrf_token": csrf})
    assert bad_edit.status_code == 400 and "empty" in bad_edit.text
    assert client.get(f"/comments/{other_id}/edit").status_code == 403
    assert client.post(f"/comments/{other_id}/edit", data={"body": "hijack", "csrf_token": csrf}).status_code == 403
    assert client.post(f"/comments/{other_id}/delete", data={"csrf_token": csrf}).status_code == 403
    assert client.post(f"/comments/{other_id}/hide", data={"csrf_token": csrf}).status_code == 403
    listed = {c["id"]: c for c in comments.list_comments(site_store, PAPER, None)}
    assert listed[mine]["body"] == "final" and listed[mine]["edited"] and listed[other_id]["body"] == "not yours"
    gone = client.post(f"/comments/{mine}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == f"/papers/{PAPER}#comments"
    assert [c["id"] for c in comments.list_comments(site_store, PAPER, None)] == [other_id]
    assert client.post(f"/comments/{mine}/delete", data={"csrf_token": csrf}).status_code == 404
    assert client.get("/comments/999999/edit").status_code == 404


def test_admins_hide_and_show(app, client, smtp, site_store, site_settings) -> None:
    writer = add_user(site_store, "w@example.org")
    cid = comments.add_comment(site_store, site_settings, writer, PAPER, "spam spam")
    sign_in(client, smtp, "admin@example.org", store=site_store, admin=True)
    csrf = csrf_of(client, "/settings")
    assert (
        client.post(
            f"/comments/{cid}/hide", data={"csrf_token": csrf, "hidden": "1"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert comments.list_comments(site_store, PAPER, writer) == []  # hidden from everyone else
    admin = find_user(site_store, "admin@example.org")
    [seen] = comments.list_comments(site_store, PAPER, admin)
    assert seen["hidden"] and seen["can_hide"] and seen["can_delete"] and not seen["can_edit"]
    assert "hidden from others" in _render(app, PAPER, admin)
    client.post(f"/comments/{cid}/hide", data={"csrf_token": csrf, "hidden": "0"})
    assert len(comments.list_comments(site_store, PAPER, writer)) == 1


def test_blocked_authors_comments_disappear(site_store, site_settings) -> None:
    troll = add_user(site_store, "troll@example.org")
    comments.add_comment(site_store, site_settings, troll, PAPER, "noise")
    set_blocked(site_store, troll["id"], True)
    assert comments.list_comments(site_store, PAPER, None) == []


def test_comment_rate_limit_and_domain_errors(site_store, site_settings) -> None:
    user = add_user(site_store, "r@example.org")
    tight = site_settings.model_copy(update={"comments_per_hour": 2})
    comments.add_comment(site_store, tight, user, PAPER, "one")
    comments.add_comment(site_store, tight, user, PAPER, "two")
    with pytest.raises(PaperwireError, match="too many comments") as caught:
        comments.add_comment(site_store, tight, user, PAPER, "three")
    assert caught.value.status == 429
    with pytest.raises(NotFound):
        comments.add_comment(site_store, site_settings, user, "2501.99999", "x")
    with pytest.raises(InvalidInput):
        comments.clean_body("\x00\x01  ")
    assert comments.clean_body("a\r\nb\x07") == "a\nb"
