"""Comments on papers and replies to them (one level deep): Markdown source, written and edited by their author,
deleted by author or admin, hidden by admins. The web layer renders the Markdown; the store keeps the source."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from paperwire.accounts import ratelimit
from paperwire.accounts.users import public_name
from paperwire.config import Settings
from paperwire.errors import Forbidden, InvalidInput, NotFound
from paperwire.store import Store
from paperwire.store import accounts as repo
from paperwire.store import feed as feed_queries

MAX_COMMENT_CHARS = 5000


def is_admin(user: dict[str, Any] | None) -> bool:
    return bool(user) and user.get("role") == "admin" and user.get("blocked_at") is None  # type: ignore[union-attr]


def clean_body(text: str | None) -> str:
    """The comment text without control characters (newlines and tabs kept); InvalidInput if empty or too long."""
    body = "".join(ch for ch in (text or "").replace("\r\n", "\n") if ch.isprintable() or ch in "\n\t").strip()
    if not body:
        raise InvalidInput("the comment is empty: write something first")
    if len(body) > MAX_COMMENT_CHARS:
        raise InvalidInput(f"the comment is too long: {len(body)} characters, at most {MAX_COMMENT_CHARS}")
    return body


def list_comments(store: Store, paper_id: str, viewer: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A paper's top-level comments, oldest first, each with its `replies` oldest first, and what the viewer may
    do to each (admins also see hidden ones). A reply shows only under a comment the viewer sees."""
    admin = is_admin(viewer)
    viewer_id = viewer["id"] if viewer else None
    with store.read() as conn:
        rows = repo.comments_of_paper(conn, paper_id, include_hidden=admin)
    shown = [
        {
            "id": row["id"],
            "parent_id": row["parent_id"],
            "author": public_name(row["author_name"], row["user_id"]),
            "body": row["body"],
            "created_at": repo.utc(row["created_at"]),
            "edited": row["edited_at"] is not None,
            "hidden": row["hidden_at"] is not None or row["author_blocked_at"] is not None,
            "can_edit": row["user_id"] == viewer_id,
            "can_delete": row["user_id"] == viewer_id or admin,
            "can_hide": admin,
            "replies": [],
        }
        for row in rows
    ]
    top = {c["id"]: c for c in shown if c["parent_id"] is None}
    for reply in shown:
        if reply["parent_id"] in top:
            top[reply["parent_id"]]["replies"].append(reply)
    return list(top.values())


def comment_count(store: Store, paper_id: str) -> int:
    """How many comments on a paper everyone sees (not hidden, not deleted, not by a blocked user)."""
    with store.read() as conn:
        return feed_queries.comment_counts(conn, [paper_id]).get(paper_id, 0)


def add_comment(
    store: Store, settings: Settings, user: dict[str, Any], paper_id: str, body: str, *, reply_to: int | None = None
) -> int:
    """Post a comment on a visible paper, or a reply to one of its comments (a reply to a reply answers the
    top-level comment); returns its id. Raises InvalidInput, NotFound, RateLimited."""
    text = clean_body(body)
    with store.read() as conn:
        hidden = repo.paper_hidden(conn, paper_id)
    if hidden is None or (hidden and not is_admin(user)):
        raise NotFound(f"no paper {paper_id}")
    parent_id = None if reply_to is None else _thread_of(store, user, paper_id, reply_to)
    ratelimit.hit(store, ratelimit.comments_per_user(settings), user["id"])
    with store.write() as conn:
        return repo.insert_comment(conn, paper_id, user["id"], text, datetime.now(UTC), parent_id=parent_id)


def _thread_of(store: Store, user: dict[str, Any], paper_id: str, comment_id: int) -> int:
    """The top-level comment a reply to `comment_id` hangs from; NotFound for a comment (or thread) the user
    cannot see, InvalidInput for another paper's."""
    parent = _visible_comment(store, user, comment_id)
    if parent["paper_id"] != paper_id:
        raise InvalidInput(
            f"comment {comment_id} is on another paper ({parent['paper_id']}): reply to it there", field="reply_to"
        )
    if parent["parent_id"] is None:
        return int(parent["id"])
    return int(_visible_comment(store, user, parent["parent_id"])["id"])


def _visible_comment(store: Store, user: dict[str, Any], comment_id: int) -> dict[str, Any]:
    comment = _comment(store, comment_id)
    if comment["hidden_at"] is not None and not is_admin(user):
        raise NotFound(f"no comment {comment_id}")
    return comment


def editable_comment(store: Store, user: dict[str, Any], comment_id: int) -> dict[str, Any]:
    """One's own comment, for its edit form (403 for anyone else's)."""
    comment = _comment(store, comment_id)
    if comment["user_id"] != user["id"]:
        raise Forbidden("only its author can edit a comment")
    return comment


def edit_comment(store: Store, settings: Settings, user: dict[str, Any], comment_id: int, body: str) -> dict[str, Any]:
    """Replace the text of one's own comment; returns the comment."""
    text = clean_body(body)
    comment = editable_comment(store, user, comment_id)
    ratelimit.hit(store, ratelimit.comments_per_user(settings), user["id"])
    with store.write() as conn:
        repo.update_comment(conn, comment_id, body=text, edited_at=datetime.now(UTC))
    return {**comment, "body": text}


def delete_comment(store: Store, user: dict[str, Any], comment_id: int) -> dict[str, Any]:
    """Delete a comment (its author or an admin); returns it."""
    comment = _comment(store, comment_id)
    if comment["user_id"] != user["id"] and not is_admin(user):
        raise Forbidden("only its author or an admin can delete a comment")
    with store.write() as conn:
        repo.update_comment(conn, comment_id, deleted_at=datetime.now(UTC))
    return comment


def hide_comment(store: Store, user: dict[str, Any], comment_id: int, hidden: bool = True) -> dict[str, Any]:
    """Hide a comment from everyone but admins, or show it again (admins only); returns it."""
    if not is_admin(user):
        raise Forbidden("only admins can hide comments")
    comment = _comment(store, comment_id)
    with store.write() as conn:
        repo.update_comment(conn, comment_id, hidden_at=datetime.now(UTC) if hidden else None)
    return comment


def recent_comments(store: Store, *, limit: int = 50) -> list[dict[str, Any]]:
    """The newest comments anywhere, hidden ones included, for the admin page."""
    with store.read() as conn:
        rows = repo.recent_comments(conn, limit=limit)
    for row in rows:
        row["author"] = public_name(row["author_name"], row["user_id"])
        row["created_at"] = repo.utc(row["created_at"])
    return rows


def _comment(store: Store, comment_id: int) -> dict[str, Any]:
    with store.read() as conn:
        comment = repo.get_comment(conn, comment_id)
    if comment is None or comment["deleted_at"] is not None:
        raise NotFound(f"no comment {comment_id}")
    return comment
