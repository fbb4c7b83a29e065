"""Online backup of a live SQLite database (SQLite's backup API): a consistent copy while the site keeps running."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from paperwire.errors import Conflict, InvalidInput, NotFound, PaperwireError
from paperwire.store.database import Store


def backup_sqlite(store: Store, target: Path, *, force: bool = False) -> int:
    """Copy the store's SQLite database to `target` (refused if it exists, unless `force`); returns its size in bytes.

    The copy is one consistent snapshot: in WAL mode writers carry on meanwhile. It is written beside
    `target`, checked with PRAGMA quick_check, then moved into place, so `target` is never half-written.
    """
    if store.dialect != "sqlite":
        raise InvalidInput(
            "backup copies SQLite databases only; for PostgreSQL use pg_dump, "
            'e.g. pg_dump --format=custom --file=paperwire.dump "$PAPERWIRE_DATABASE_URL"'
        )
    source_path = store.engine.url.database
    if not source_path or source_path == ":memory:" or not Path(source_path).is_file():
        raise NotFound(f"no SQLite database file at {store.url}")
    target = Path(target)
    if target.exists() and not force:
        raise Conflict(f"{target} already exists; choose another path or pass --force to overwrite it")
    if target.exists() and target.resolve() == Path(source_path).resolve():
        raise InvalidInput(f"{target} is the live database itself")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    raw = store.engine.raw_connection()
    try:
        copy = sqlite3.connect(partial)
        try:
            driver = raw.driver_connection
            assert driver is not None, "the connection was closed"
            driver.backup(copy)  # one step: a snapshot that writers in WAL mode do not wait for
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            copy.close()
    except (OSError, sqlite3.Error) as exc:
        partial.unlink(missing_ok=True)
        raise PaperwireError(f"backup to {target} failed: {exc}", status=500) from None
    finally:
        raw.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise PaperwireError(f"the backup copy failed its integrity check: {verdict}", status=500)
    os.replace(partial, target)
    return target.stat().st_size
