"""Who is signed in: the session cookie holds a user id; the user row decides (a blocked user is signed out)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import sqlalchemy as sa

from paperwire.store import Store
from paperwire.store.schema import users


def load_user(store: Store, session: MutableMapping[str, Any]) -> dict[str, Any] | None:
    """The signed-in user of a session, or None (unknown or blocked users are dropped from the session)."""
    user_id = session.get("user_id")
    if not isinstance(user_id, int):
        return None
    with store.read() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    if row is None or row.blocked_at is not None:
        session.pop("user_id", None)
        return None
    return dict(row._mapping)
