"""Replies one level deep: a reply to a reply answers the top-level comment; replies show indented under their
comment, oldest first, and count on the list (linking to the thread) and in the API; bad targets are 400/404."""

from __future__ import annotations

import re

from paperwire.accounts.users import add_user, find_user
from paperwire.feed import comments
from paperwire.web.deps import paperwire_of
from paperwire.web.templating import templates
from tests.web.accounts_helpers import csrf_of, sign_in
from tests.web.feed_helpers import HF_DAY, SECOND, TOP


def _post(client, body: str, reply_to: int | str | None = None, paper: str = TOP):
    data = {"body": body, "csrf_token": csrf_of(client, "/settings")}
    if reply_to is not None:
        data["reply_to"] = str(reply_to)
    return client.post(f"/papers/{paper}/comments", data=data, follow_redirects=False)


def _id(response) -> int:
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("#comment-", 1)[1])


def test_replies_nest_one_level_in_time_order(app, client, smtp, site_store, site_settings) -> None:
    other = add_user(site_store, "other@example.org", display_name="Other")
    sign_in(client, smtp, "reader@example.org", store=site_store, name="Reader")
    top = _id(_post(client, "What about *ablations*?"))
    first = comments.add_comment(site_store, site_settings, other, TOP, "See table 3.", reply_to=top)
    second = _id(_post(client, "Thanks, and $a*b$?", reply_to=first))  # a reply to a reply answers the top
    later = _id(_post(client, "A new thread."))
    reader = find_user(site_store, "reader@example.org")
    thread = comments.list_comments(site_store, TOP, reader)
    assert [(c["id"], [r["id"] for r in c["replies"]]) for c in thread] == [(top, [first, second]), (later, [])]

    html = (
        templates()
        .get_template("_comments.html")
        .render(
            paper_id=TOP, comments=comments.list_comments(paperwire_of(app).store, TOP, reader), user=reader, csrf="t"
        )
    )
    assert "Comments (4)" in html
    replies = html.split(f'id="comment-{top}"', 1)[1].split(f'id="comment-{later}"', 1)[0]
    assert '<ol class="comment-list comment-replies"' in replies
    assert replies.index(f'id="comment-{first}"') < replies.index(f'id="comment-{second}"')
    assert "<mo>*</mo>" in replies and "<em>ablations</em>" in html
    # A reply form (no script: <details>) under each top-level comment only, answering that comment.
    assert re.findall(r'name="reply_to" value="(\d+)"', html) == [str(top), str(later)]
    assert html.count("<details") == 2 and "<summary>Reply" in html

    page = client.get(f"/papers/{TOP}")
    assert page.status_code == 200 and f'id="comment-{second}"' in page.text


def test_replying_to_a_missing_hidden_or_foreign_comment_is_explained(client, smtp, site_store, site_settings) -> None:
    writer = add_user(site_store, "w@example.org")
    elsewhere = comments.add_comment(site_store, site_settings, writer, SECOND, "On another paper.")
    hidden = comments.add_comment(site_store, site_settings, writer, TOP, "Hidden soon.")
    admin = add_user(site_store, "admin@example.org", admin=True)
    comments.hide_comment(site_store, admin, hidden)
    sign_in(client, smtp, "r@example.org", store=site_store)

    foreign = _post(client, "hi", reply_to=elsewhere)
    assert foreign.status_code == 400 and f"comment {elsewhere} is on another paper ({SECOND})" in foreign.text
    assert 'name="reply_to"' in foreign.text and "hi</textarea>" in foreign.text  # kept for fixing
    missing = _post(client, "hi", reply_to=999_999)
    assert missing.status_code == 404 and "no comment 999999" in missing.text
    assert _post(client, "hi", reply_to=hidden).status_code == 404
    bad = _post(client, "hi", reply_to="12abc")
    assert bad.status_code == 400 and "not a comment number" in bad.text
    assert _post(client, "hi", reply_to="").status_code == 303  # a blank reply_to is a new comment
    assert _post(client, "hi", reply_to="²").status_code == 400


def test_counts_include_replies_and_link_to_the_thread(client, smtp, site_store, site_settings) -> None:
    writer = add_user(site_store, "w@example.org")
    top = comments.add_comment(site_store, site_settings, writer, TOP, "Top.")
    comments.add_comment(site_store, site_settings, writer, TOP, "Reply one.", reply_to=top)
    comments.add_comment(site_store, site_settings, writer, TOP, "Reply two.", reply_to=top)
    assert comments.comment_count(site_store, TOP) == 3

    listing = client.get("/", params={"date": HF_DAY}).text
    assert f'<a href="/papers/{TOP}#comments">3 comments</a>' in listing
    api = {item["paper"]["id"]: item for item in client.get("/api/daily_papers", params={"date": HF_DAY}).json()}
    assert api[TOP]["numComments"] == 3

    comments.delete_comment(site_store, writer, top)  # the thread goes with its comment
    assert comments.comment_count(site_store, TOP) == 0 and comments.list_comments(site_store, TOP, None) == []
    assert client.get("/api/daily_papers", params={"date": HF_DAY}).json()[0]["numComments"] == 0
