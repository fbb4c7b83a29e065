"""The dialect's INSERT, which alone has ON CONFLICT: one choice between PostgreSQL and SQLite for every upsert."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


def insert_for(conn: Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` in the connection's dialect, so on_conflict_do_nothing/do_update are available."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
