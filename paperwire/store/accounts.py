"""Reads and writes of users, sign-in links, sessions, rate-limit counters, votes, comments and moderation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paperwire.store.papers import insert_ignore
from paperwire.store.schema import comments, listings, login_tokens, papers, rate_limits, user_sessions, users, votes
from paperwire.store.upsert import insert_for

_CHUNK = 500


def utc(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime (SQLite hands back naive ones)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _dicts(result: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in result]


# --- users ---------------------------------------------------------------------------------------


def get_user(conn: Connection, user_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    return dict(row._mapping) if row else None


def get_user_by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.email == email)).first()
    return dict(row._mapping) if row else None


def get_user_by_token_hash(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.api_token_hash == token_hash)).first()
    return dict(row._mapping) if row else None


def ensure_user(
    conn: Connection, email: str, *, now: datetime, display_name: str | None = None, role: str = "user"
) -> tuple[dict[str, Any], bool]:
    """The user with this (normalised) email, created if missing; True when created. Safe under races."""
    before = conn.execute(sa.select(users.c.id).where(users.c.email == email)).scalar_one_or_none()
    if before is None:
        insert_ignore(conn, users, [{"email": email, "display_name": display_name, "role": role, "created_at": now}])
    user = get_user_by_email(conn, email)
    assert user is not None
    return user, before is None


def update_user(conn: Connection, user_id: int, **values: Any) -> bool:
    """Set columns of one user; False when there is no such user."""
    query = users.update().where(users.c.id == user_id).values(**values).returning(users.c.id)
    return conn.execute(query).first() is not None


def list_users(conn: Connection, *, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """Users, newest first, with how many comments and votes they made."""
    n_comments = sa.select(sa.func.count()).where(comments.c.user_id == users.c.id).scalar_subquery()
    n_votes = sa.select(sa.func.count()).where(votes.c.user_id == users.c.id).scalar_subquery()
    query = (
        sa.select(users, n_comments.label("comments"), n_votes.label("votes"))
        .order_by(users.c.created_at.desc(), users.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return _dicts(conn.execute(query))


# --- sign-in links -------------------------------------------------------------------------------


def insert_login_token(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(login_tokens.insert().values(**row))


def get_login_token(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(login_tokens).where(login_tokens.c.token_hash == token_hash)).first()
    return dict(row._mapping) if row else None


def use_login_token(conn: Connection, token_hash: str, now: datetime) -> bool:
    """Mark a link used if it is still unused and unexpired; True for exactly one caller."""
    query = login_tokens.update().where(
        login_tokens.c.token_hash == token_hash, login_tokens.c.used_at.is_(None), login_tokens.c.expires_at > now
    )
    return conn.execute(query.values(used_at=now).returning(login_tokens.c.token_hash)).first() is not None


def prune_login_tokens(conn: Connection, before: datetime) -> int:
    """Forget links that expired before `before`."""
    return conn.execute(login_tokens.delete().where(login_tokens.c.expires_at < before)).rowcount


# --- sessions ------------------------------------------------------------------------------------


def insert_session(conn: Connection, id_hash: str, user_id: int, now: datetime, expires_at: datetime) -> None:
    conn.execute(user_sessions.insert().values(id_hash=id_hash, user_id=user_id, created_at=now, expires_at=expires_at))


def user_of_session(conn: Connection, id_hash: str, now: datetime) -> dict[str, Any] | None:
    """The user of an unexpired session (blocked or not), or None: one query per request."""
    query = (
        sa.select(users)
        .join(user_sessions, user_sessions.c.user_id == users.c.id)
        .where(user_sessions.c.id_hash == id_hash, user_sessions.c.expires_at > now)
    )
    row = conn.execute(query).first()
    return dict(row._mapping) if row else None


def delete_session(conn: Connection, id_hash: str) -> bool:
    return conn.execute(user_sessions.delete().where(user_sessions.c.id_hash == id_hash)).rowcount > 0


def delete_sessions_of(conn: Connection, user_id: int) -> int:
    """End every session of a user; how many there were."""
    return conn.execute(user_sessions.delete().where(user_sessions.c.user_id == user_id)).rowcount


def prune_sessions(conn: Connection, before: datetime) -> int:
    """Forget sessions that expired before `before`."""
    return conn.execute(user_sessions.delete().where(user_sessions.c.expires_at < before)).rowcount


# --- rate limits ---------------------------------------------------------------------------------


def bump_counter(conn: Connection, key: str, window_start: int) -> int:
    """Add one to a fixed-window counter in one atomic statement; returns the new count."""
    insert = insert_for(conn, rate_limits).values(key=key, window_start=window_start, count=1)
    stmt = insert.on_conflict_do_update(
        index_elements=[rate_limits.c.key, rate_limits.c.window_start], set_={"count": rate_limits.c.count + 1}
    ).returning(rate_limits.c.count)
    count = conn.execute(stmt).scalar_one()
    conn.execute(rate_limits.delete().where(rate_limits.c.key == key, rate_limits.c.window_start < window_start))
    return int(count)


# --- votes ---------------------------------------------------------------------------------------


def add_vote(conn: Connection, user_id: int, paper_id: str, now: datetime) -> bool:
    """Insert a vote unless it exists; True when inserted."""
    stmt = insert_for(conn, votes).values(user_id=user_id, paper_id=paper_id, created_at=now).on_conflict_do_nothing()
    return conn.execute(stmt.returning(votes.c.user_id)).first() is not None


def remove_vote(conn: Connection, user_id: int, paper_id: str) -> bool:
    query = votes.delete().where(votes.c.user_id == user_id, votes.c.paper_id == paper_id).returning(votes.c.user_id)
    return conn.execute(query).first() is not None


def paper_upvotes(conn: Connection, ids: Sequence[str]) -> dict[str, int]:
    """Upvotes of each paper: the most a source reported for any of its listings (0 if none) plus local votes.

    Every id asked for is in the result. The web pages, the API and the feeds all count votes this way.
    """
    wanted = list(dict.fromkeys(ids))
    result = dict.fromkeys(wanted, 0)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        imported = (
            sa.select(listings.c.paper_id, sa.func.max(listings.c.source_upvotes))
            .where(listings.c.paper_id.in_(chunk))
            .group_by(listings.c.paper_id)
        )
        for paper_id, value in conn.execute(imported):
            result[paper_id] += int(value or 0)
        local = (
            sa.select(votes.c.paper_id, sa.func.count()).where(votes.c.paper_id.in_(chunk)).group_by(votes.c.paper_id)
        )
        for paper_id, value in conn.execute(local):
            result[paper_id] += int(value)
    return result


def voted_by(conn: Connection, user_id: int | None, ids: Sequence[str]) -> set[str]:
    """Those of `ids` the user has voted for (empty for nobody)."""
    if user_id is None or not ids:
        return set()
    wanted = list(dict.fromkeys(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        query = sa.select(votes.c.paper_id).where(
            votes.c.user_id == user_id, votes.c.paper_id.in_(wanted[start : start + _CHUNK])
        )
        found.update(conn.execute(query).scalars())
    return found


# --- comments ------------------------------------------------------------------------------------

_COMMENT_COLUMNS = (
    *comments.c,
    users.c.display_name.label("author_name"),
    users.c.blocked_at.label("author_blocked_at"),
)


def insert_comment(
    conn: Connection, paper_id: str, user_id: int, body: str, now: datetime, *, parent_id: int | None = None
) -> int:
    values = {"paper_id": paper_id, "user_id": user_id, "body": body, "created_at": now, "parent_id": parent_id}
    result = conn.execute(comments.insert().values(**values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def get_comment(conn: Connection, comment_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(comments).where(comments.c.id == comment_id)).first()
    return dict(row._mapping) if row else None


def update_comment(conn: Connection, comment_id: int, **values: Any) -> None:
    conn.execute(comments.update().where(comments.c.id == comment_id).values(**values))


def comments_of_paper(conn: Connection, paper_id: str, *, include_hidden: bool) -> list[dict[str, Any]]:
    """A paper's comments, oldest first, with author names; deleted ones left out, hidden ones on request."""
    query = (
        sa.select(*_COMMENT_COLUMNS)
        .join(users, users.c.id == comments.c.user_id)
        .where(comments.c.paper_id == paper_id, comments.c.deleted_at.is_(None))
        .order_by(comments.c.created_at, comments.c.id)
    )
    if not include_hidden:
        query = query.where(comments.c.hidden_at.is_(None), users.c.blocked_at.is_(None))
    return _dicts(conn.execute(query))


def recent_comments(conn: Connection, *, limit: int = 50) -> list[dict[str, Any]]:
    """The newest comments on any paper (hidden ones too), with author email and paper title, for moderation."""
    query = (
        sa.select(*_COMMENT_COLUMNS, users.c.email.label("author_email"), papers.c.title.label("paper_title"))
        .join(users, users.c.id == comments.c.user_id)
        .join(papers, papers.c.id == comments.c.paper_id)
        .where(comments.c.deleted_at.is_(None))
        .order_by(comments.c.created_at.desc(), comments.c.id.desc())
        .limit(limit)
    )
    return _dicts(conn.execute(query))


# --- papers: visibility and submissions ----------------------------------------------------------


def paper_hidden(conn: Connection, paper_id: str) -> bool | None:
    """Whether a paper is hidden; None when there is no such paper."""
    return conn.execute(sa.select(papers.c.hidden).where(papers.c.id == paper_id)).scalar_one_or_none()


def lock_paper(conn: Connection, paper_id: str) -> bool | None:
    """Like paper_hidden, but holds the paper's row lock (PostgreSQL) until the transaction ends, so votes on
    one paper apply one after another and each sees the count it produced. SQLite's writer lock does this already."""
    query = sa.select(papers.c.hidden).where(papers.c.id == paper_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return conn.execute(query).scalar_one_or_none()


def set_paper_hidden(conn: Connection, paper_id: str, hidden: bool, now: datetime) -> bool:
    """Hide or show a paper; bumps updated_at so the search indexes' sync picks it up. False if no such paper."""
    query = papers.update().where(papers.c.id == paper_id).values(hidden=hidden, updated_at=now)
    return conn.execute(query.returning(papers.c.id)).first() is not None


def hidden_papers(conn: Connection, *, limit: int = 100) -> list[dict[str, Any]]:
    query = (
        sa.select(papers.c.id, papers.c.title, papers.c.updated_at)
        .where(papers.c.hidden.is_(True))
        .order_by(papers.c.updated_at.desc())
        .limit(limit)
    )
    return _dicts(conn.execute(query))


def submissions_since(conn: Connection, user_id: int, since: datetime) -> int:
    """How many daily-list entries the user submitted since a moment (for the daily quota)."""
    query = (
        sa.select(sa.func.count())
        .select_from(listings)
        .where(listings.c.submitted_by == user_id, listings.c.created_at >= since)
    )
    return int(conn.execute(query).scalar_one())
