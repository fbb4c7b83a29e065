"""Small named values that sources remember between runs (e.g. the last OAI-PMH datestamp)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Connection

from paperwire.store.database import Store
from paperwire.store.schema import source_state


def get_state(store: Store, key: str) -> str | None:
    with store.read() as conn:
        return read_state(conn, key)


def set_state(store: Store, key: str, value: str) -> None:
    with store.write() as conn:
        write_state(conn, key, value, datetime.now(UTC))


def read_state(conn: Connection, key: str) -> str | None:
    """A value inside the caller's transaction (get_state opens its own)."""
    return conn.execute(sa.select(source_state.c.value).where(source_state.c.key == key)).scalar_one_or_none()


def write_state(conn: Connection, key: str, value: str, now: datetime) -> None:
    """Set a value inside the caller's transaction (set_state opens its own)."""
    done = conn.execute(source_state.update().where(source_state.c.key == key).values(value=value, updated_at=now))
    if not done.rowcount:
        conn.execute(source_state.insert().values(key=key, value=value, updated_at=now))


def delete_state(store: Store, key: str, value: str | None = None) -> bool:
    """Forget a value (only if it is still `value`, when given); True when one was deleted."""
    query = source_state.delete().where(source_state.c.key == key)
    if value is not None:
        query = query.where(source_state.c.value == value)
    with store.write() as conn:
        return conn.execute(query).rowcount > 0
