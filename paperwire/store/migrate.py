"""Alembic migrations, applied on start and by `paperwire migrate`; recorded in the database."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from paperwire.errors import ConfigError, PaperwireError
from paperwire.store.database import Store

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK = 0x7061706572  # advisory lock id: several workers starting at once migrate one at a time


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The newest revision the migrations folder holds."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(store: Store, revision: str = "head") -> list[str]:
    """Apply pending migrations; returns the revisions applied (empty when up to date)."""
    before = current_revision(store)
    if before == head_revision() and revision == "head":
        return []
    config = alembic_config()
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK})
            conn.commit()
        try:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
        except sa.exc.DBAPIError as exc:
            conn.rollback()
            raise _migration_error(store, exc) from None
        finally:
            if store.dialect == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK})
                conn.commit()
    after = current_revision(store)
    script = ScriptDirectory.from_config(config)
    applied = [rev.revision for rev in script.iterate_revisions(after, before)] if after != before else []
    return applied[::-1]  # oldest first, the order they ran in


def _migration_error(store: Store, exc: sa.exc.DBAPIError) -> PaperwireError:
    """A failed migration as one clear line; the usual cause on PostgreSQL is a missing pgvector."""
    detail = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0]
    if "vector" in detail and "extension" in detail:
        return ConfigError(
            f"cannot create the pgvector extension in {store.url}: {detail}. Install pgvector on the "
            "server and run CREATE EXTENSION vector; in that database as a superuser once"
        )
    return PaperwireError(f"migrating {store.url} failed: {detail}", status=500)
