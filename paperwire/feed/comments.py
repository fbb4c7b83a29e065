"""Comments on papers: plain text, written and edited by their author, deleted by author or admin, hidden by admins."""

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
    """A paper's comments, oldest first, with what the viewer may do to each (admins also see hidden ones)."""
    admin = is_admin(viewer)
    viewer_id = viewer["id"] if viewer else None
    with store.read() as conn:
        rows = repo.comments_of_paper(conn, paper_id, include_hidden=admin)
    return [
        {
            "id": row["id"],
            "author": public_name(row["author_name"], row["user_id"]),
            "body": row["body"],
            "created_at": repo.utc(row["created_at"]),
            "edited": row["edited_at"] is not None,
            "hidden": row["hidden_at"] is not None or row["author_blocked_at"] is not None,
            "can_edit": row["user_id"] == viewer_id,
            "can_delete": row["user_id"] == viewer_id or admin,
            "can_hide": admin,
        }
        for row in rows
    ]


def comment_count(store: Store, paper_id: str) -> int:
    """How many comments on a paper everyone sees (not hidden, not deleted, not by a blocked user)."""
    with store.read() as conn:
        return feed_queries.comment_counts(conn, [paper_id]).get(paper_id, 0)


def add_comment(store: Store, settings: Settings, user: dict[str, Any], paper_id: str, body: str) -> int:
    """Post a comment on a visible paper; returns its id. Raises InvalidInput, NotFound, RateLimited."""
    text = clean_body(body)
    with store.read() as conn:
        hidden = repo.paper_hidden(conn, paper_id)
    if hidden is None or (hidden and not is_admin(user)):
        raise NotFound(f"no paper {paper_id}")
    ratelimit.hit(store, ratelimit.comments_per_user(settings), user["id"])
    with store.write() as conn:
        return repo.insert_comment(conn, paper_id, user["id"], text, datetime.now(UTC))


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
