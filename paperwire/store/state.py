"""Small named values that sources remember between runs (e.g. the last OAI-PMH datestamp)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from paperwire.store.database import Store
from paperwire.store.schema import source_state


def get_state(store: Store, key: str) -> str | None:
    with store.read() as conn:
        return conn.execute(sa.select(source_state.c.value).where(source_state.c.key == key)).scalar_one_or_none()


def set_state(store: Store, key: str, value: str) -> None:
    now = datetime.now(UTC)
    with store.write() as conn:
        done = conn.execute(
            source_state.update().where(source_state.c.key == key).values(value=value, updated_at=now)
        ).rowcount
        if not done:
            conn.execute(source_state.insert().values(key=key, value=value, updated_at=now))


def delete_state(store: Store, key: str, value: str | None = None) -> bool:
    """Forget a value (only if it is still `value`, when given); True when one was deleted."""
    query = source_state.delete().where(source_state.c.key == key)
    if value is not None:
        query = query.where(source_state.c.value == value)
    with store.write() as conn:
        return conn.execute(query).rowcount > 0
