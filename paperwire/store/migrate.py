"""Alembic migrations, applied on start and by `paperwire migrate`; recorded in the database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from paperwire.store.database import Store

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK = 0x7061706572  # advisory lock id: several workers starting at once migrate one at a time


def alembic_config(store: Store) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision(store: Store) -> str | None:
    return ScriptDirectory.from_config(alembic_config(store)).get_current_head()


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(store: Store, revision: str = "head") -> list[str]:
    """Apply pending migrations; returns the revisions applied (empty when up to date)."""
    before = current_revision(store)
    if before == head_revision(store) and revision == "head":
        return []
    config = alembic_config(store)
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK})
            conn.commit()
        try:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
        finally:
            if store.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK})
                conn.commit()
    after = current_revision(store)
    script = ScriptDirectory.from_config(config)
    return [rev.revision for rev in script.iterate_revisions(after, before)] if after != before else []
