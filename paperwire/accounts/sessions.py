"""Who is signed in: the session cookie holds a random session id; a row in the database makes it valid.

Signing out deletes that row, so a copy of the cookie taken before is worth nothing after it; "sign out
everywhere" deletes every row of the user. The row (not the cookie) also decides the user, so a blocked
user is signed out at once. API tokens are a separate credential and are not sessions: they are replaced
or revoked on their own.
"""

from __future__ import annotations

import secrets
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

from paperwire.accounts.users import hash_token
from paperwire.store import Store
from paperwire.store import accounts as repo

SESSION_DAYS = 30  # a session ends this long after signing in (the cookie lives as long)
_SID = "sid"


def start_session(store: Store, session: MutableMapping[str, Any], user_id: int) -> None:
    """Sign `user_id` in: a fresh session (new id, new CSRF token) recorded on the server."""
    raw = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with store.write() as conn:
        repo.prune_sessions(conn, now)
        repo.insert_session(conn, hash_token(raw), user_id, now, now + timedelta(days=SESSION_DAYS))
    session.clear()
    session[_SID] = raw
    session["csrf"] = secrets.token_urlsafe(32)


def end_session(store: Store, session: MutableMapping[str, Any]) -> None:
    """Sign out: the session's row is deleted, so the cookie (and any copy of it) no longer signs anyone in."""
    raw = session.get(_SID)
    if isinstance(raw, str):
        with store.write() as conn:
            repo.delete_session(conn, hash_token(raw))
    session.clear()


def end_all_sessions(store: Store, user_id: int) -> int:
    """Sign a user out in every browser; how many sessions ended. API tokens are left as they are."""
    with store.write() as conn:
        return repo.delete_sessions_of(conn, user_id)


def load_user(store: Store, session: MutableMapping[str, Any]) -> dict[str, Any] | None:
    """The signed-in user of a session, or None (ended, expired or unknown sessions and blocked users are dropped)."""
    session.pop("user_id", None)  # a cookie from before server-side sessions: it cannot be ended, so it is not honoured
    raw = session.get(_SID)
    if not isinstance(raw, str):
        return None
    with store.read() as conn:
        user = repo.user_of_session(conn, hash_token(raw), datetime.now(UTC))
    if user is None or user["blocked_at"] is not None:
        session.pop(_SID, None)
        return None
    return user
