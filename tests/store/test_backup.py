"""Online SQLite backup: a consistent, intact copy taken while another connection writes."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperwire.config import load_settings
from paperwire.errors import Conflict, InvalidInput
from paperwire.papers.load import ingest_paths
from paperwire.store import Store
from paperwire.store.backup import backup_sqlite
from paperwire.store.database import make_engine
from paperwire.store.migrate import current_revision, head_revision
from tests.conftest import FIXTURES

TABLES = ("papers", "paper_authors", "paper_categories", "paper_versions", "paper_sources", "listings")


def _counts(conn: sqlite3.Connection, tables: tuple[str, ...]) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_backup_while_another_connection_writes(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "home")
    store = Store.open(settings)
    ingest_paths(store, [FIXTURES / "papers-300.jsonl"])
    with store.write() as conn:
        conn.execute(sa.text("CREATE TABLE scratch (n INTEGER NOT NULL)"))
    writer_store = Store(make_engine(f"sqlite:///{tmp_path / 'home' / 'paperwire.db'}"))
    stop, written = threading.Event(), threading.Event()
    rows = 0

    def write_forever() -> None:
        nonlocal rows
        while not stop.is_set():
            with writer_store.write() as conn:
                conn.execute(sa.text("INSERT INTO scratch (n) VALUES (:n)"), {"n": rows})
            rows += 1
            if rows >= 20:
                written.set()

    writer = threading.Thread(target=write_forever)
    writer.start()
    try:
        assert written.wait(10)
        before = rows
        copies = [backup_sqlite(store, tmp_path / f"copy{i}.db") for i in range(3)]
        after = rows
    finally:
        stop.set()
        writer.join()
        writer_store.close()
    assert after > before, "the writer kept writing during the backups"
    assert all(size > 0 for size in copies)

    live = sqlite3.connect(tmp_path / "home" / "paperwire.db")
    expected = _counts(live, TABLES)
    live.close()
    assert expected["papers"] == 300
    for i in range(3):
        copy = sqlite3.connect(tmp_path / f"copy{i}.db")
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert _counts(copy, TABLES) == expected
        scratch = copy.execute("SELECT count(*), coalesce(max(n), -1) FROM scratch").fetchone()
        assert before <= scratch[0] <= after and scratch[1] == scratch[0] - 1  # a snapshot: a prefix of the writes
        copy.close()
    assert not list(tmp_path.glob(".*.partial"))

    restored = Store.open(
        load_settings(home=tmp_path / "other", database_url=f"sqlite:///{tmp_path / 'copy0.db'}"), migrate=False
    )
    assert current_revision(restored) == head_revision()
    with restored.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM papers")).scalar() == 300
    restored.close()
    store.close()


def test_backup_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    store = Store.open(load_settings(home=tmp_path / "home"))
    target = tmp_path / "copy.db"
    target.write_text("precious")
    with pytest.raises(Conflict, match="--force"):
        backup_sqlite(store, target)
    assert target.read_text() == "precious"
    backup_sqlite(store, target, force=True)
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()


def test_postgresql_is_pointed_to_pg_dump(tmp_path: Path) -> None:
    store = Store(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/paperwire"))
    with pytest.raises(InvalidInput, match="pg_dump"):
        backup_sqlite(store, tmp_path / "copy.db")
    assert not (tmp_path / "copy.db").exists()


def test_cli_backup_refuses_overwrite_and_postgresql(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from paperwire.cli import app

    runner = CliRunner()
    Store.open(load_settings(home=tmp_path / "home")).close()
    home = ["--home", str(tmp_path / "home")]
    first = runner.invoke(app, [*home, "backup", str(tmp_path / "copy.db")])
    assert first.exit_code == 0, first.output
    assert f"to {tmp_path / 'copy.db'}" in first.stdout
    again = runner.invoke(app, [*home, "backup", str(tmp_path / "copy.db")])
    assert again.exit_code == 1 and "already exists" in again.stderr and "Traceback" not in again.output
    assert runner.invoke(app, [*home, "backup", str(tmp_path / "copy.db"), "--force"]).exit_code == 0
    pg = runner.invoke(app, ["--db", "postgresql://nobody@127.0.0.1:1/x", "backup", str(tmp_path / "pg.db")])
    assert pg.exit_code == 1 and "use pg_dump" in pg.stderr
