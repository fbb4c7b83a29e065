"""`paperwire migrate-db`: a real SQLite instance (rows in every table, made by the domain functions) copied
into a fresh PostgreSQL database, compared row by row; reruns, changes, interruptions, search, bad targets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from paperwire.accounts.sessions import start_session
from paperwire.accounts.signin import request_link
from paperwire.accounts.users import add_user, create_api_token
from paperwire.cli import app
from paperwire.config import Settings, load_settings
from paperwire.digest.send import send_due
from paperwire.digest.subscriptions import Preferences, add_subscriber, remove_subscriber
from paperwire.feed.comments import add_comment
from paperwire.feed.lists import Period
from paperwire.feed.votes import toggle_vote
from paperwire.mail import Mailer
from paperwire.papers.library import add_paper, dismiss_paper
from paperwire.papers.load import ingest_paths
from paperwire.search.engine import SearchEngine
from paperwire.search.indexer import import_vectors
from paperwire.store import Store
from paperwire.store import accounts as accounts_repo
from paperwire.store.database import make_engine
from paperwire.store.embeddings import iter_vectors
from paperwire.store.jobs import enqueue
from paperwire.store.schema import metadata
from paperwire.store.state import set_state
from paperwire.store.transfer import (
    SKIPPED,
    TransferMismatch,
    migrate_database,
    open_source,
    open_target,
    plan_tables,
)
from tests.conftest import _TEMPLATE, FIXTURES, _database_url, _psycopg_url

REPO = Path(__file__).resolve().parents[2]
DAY = Period.day(date(2026, 2, 3))  # the Hugging Face list in the fixtures
runner = CliRunner()
_made = iter(range(1_000_000))


# ---------------------------------------------------------------- the source instance and the targets


def _build_instance(home: Path, embedder: Any, smtp_port: int) -> None:
    """An SQLite instance with real rows in every table, each made the way the product makes it."""
    settings = load_settings(
        home=home,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        digest_rate=0.0,
        secret_key="transfer-test",
        site_url="http://testserver",
    )
    store = Store.open(settings)
    ingest_paths(
        store,
        [FIXTURES / "papers-300.jsonl", FIXTURES / "snapshot-first200.jsonl", FIXTURES / "hf-archive-2026-02-03.json"],
    )
    import_vectors(store, FIXTURES / "papers-300.vectors.npz", embedder.name)
    ada = add_user(store, "ada@example.org", display_name="Ada", admin=True)
    bob = add_user(store, "bob@example.org")
    create_api_token(store, bob["id"])
    start_session(store, {}, ada["id"])  # a signed-in browser: it stays signed in on the new database
    with store.read() as conn:
        listed = [
            row[0]
            for row in conn.execute(sa.text("SELECT paper_id FROM listings ORDER BY source_upvotes DESC LIMIT 4"))
        ]
    for user in (ada, bob):
        for paper_id in listed[:3]:
            toggle_vote(store, settings, user["id"], paper_id)
    add_paper(store, bob["id"], listed[3])  # a library entry and a "not interested" mark
    dismiss_paper(store, bob["id"], listed[2])
    first = add_comment(store, settings, ada, listed[0], "A clear paper, with $x^2$ in it.")
    reply = add_comment(store, settings, bob, listed[0], "Agreed.\nSecond line\twith a tab and a \\ backslash.")
    with store.write() as conn:
        accounts_repo.update_comment(conn, reply, parent_id=first)
    add_subscriber(store, "reader@example.org", Preferences(top_n=3, topics=("diffusion",)), confirmed=True)
    add_subscriber(store, "weekly@example.org", Preferences(frequency="weekly", weekday=0), user_id=ada["id"])
    engine = SearchEngine(settings, store, embedder=embedder)
    engine.sync()
    assert send_due(store, settings, engine, period=DAY).sent == 1
    request_link(store, settings, Mailer(settings), "carol@example.org", secret="transfer-test", ip="203.0.113.9")
    set_state(store, "oai:cs:last_datestamp", "2026-02-03")
    with store.write() as conn:
        enqueue(conn, "embed", datetime.now(UTC), key="embed@2026-02-03T10:00:00+00:00", payload={"limit": 5})
    store.close()


@pytest.fixture(scope="module")
def built_instance(tmp_path_factory: pytest.TempPathFactory, default_embedder: Any, smtp_server: Any) -> Path:
    home = tmp_path_factory.mktemp("transfer-source") / "home"
    _build_instance(home, default_embedder, smtp_server.port)
    return home


@pytest.fixture
def source_settings(built_instance: Path, tmp_path: Path) -> Settings:
    """A private copy of the built SQLite instance (database and index folder)."""
    home = tmp_path / "source"
    shutil.copytree(built_instance, home)
    return load_settings(home=home)


@pytest.fixture
def source(source_settings: Settings) -> Iterator[Store]:
    store = open_source(f"sqlite:///{source_settings.home / 'paperwire.db'}")
    yield store
    store.close()


@pytest.fixture
def server(postgres_template: str | None) -> str:
    if postgres_template is None:
        pytest.skip("no PostgreSQL available (set PAPERWIRE_TEST_POSTGRES_URL or install pgserver)")
    return postgres_template


def _new_database(server: str, *, template: str | None = None) -> str:
    name = f"paperwire_transfer_{os.getpid()}_{next(_made)}"
    admin = make_engine(_psycopg_url(server)).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))
    admin.dispose()
    return _database_url(server, name)


@pytest.fixture
def target_url(server: str) -> str:
    """A new, bare PostgreSQL database: no pgvector, no schema (migrate-db sets both up)."""
    return _new_database(server)


@pytest.fixture
def target(target_url: str) -> Iterator[Store]:
    store = open_target(target_url)
    yield store
    store.close()


# ---------------------------------------------------------------- comparing two instances


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def contents(store: Store) -> dict[str, Any]:
    """Every copied table's rows as comparable values (times in UTC), plus every vector's float32 bytes."""
    found: dict[str, Any] = {}
    with store.read() as conn:
        for plan in plan_tables():
            columns = [
                c for c in plan.table.columns if not (plan.name == "embeddings" and c.name in ("vector", "embedding"))
            ]
            rows = [tuple(_value(v) for v in row) for row in conn.execute(sa.select(*columns))]
            found[plan.name] = sorted(rows, key=repr)
        models = conn.execute(sa.text("SELECT DISTINCT model FROM embeddings")).scalars().all()
        found["vectors"] = {
            pid: vector.tobytes()
            for model in models
            for ids, matrix, _ in iter_vectors(conn, model)
            for pid, vector in zip(ids, matrix, strict=True)
        }
    return found


def _row_versions(store: Store) -> dict[str, set[tuple[str, str]]]:
    """(ctid, xmin) of every row: any insert, update or delete changes them."""
    with store.read() as conn:
        return {
            plan.name: set(conn.execute(sa.text(f'SELECT ctid::text, xmin::text FROM "{plan.name}"')).all())
            for plan in plan_tables()
        }


# ---------------------------------------------------------------- tests


def test_every_table_is_copied_or_skipped_with_a_reason(store: Store) -> None:
    copied = {plan.name for plan in plan_tables()}
    assert copied.isdisjoint(SKIPPED) and all(reason.strip() for reason in SKIPPED.values())
    assert copied | set(SKIPPED) == set(metadata.tables)
    # and the migrated database (each backend) holds no table that schema.py does not declare
    tables = set(sa.inspect(store.engine).get_table_names()) - {"alembic_version"}
    # PostgreSQL's keyword statistics (migration 0010) are derived: its triggers fill them as papers are copied
    tables -= {"keyword_terms", "keyword_stats", "keyword_changes"} if store.dialect == "postgresql" else set()
    assert tables == copied | set(SKIPPED), "a table made by a migration is missing from schema.py"


def test_copies_every_row_then_a_rerun_writes_nothing(source: Store, target: Store) -> None:
    first = migrate_database(source, target, batch_size=97)
    expected = contents(source)  # now with the instance id that the first run keeps in source_state
    assert all(expected[plan.name] for plan in plan_tables()), "the source must hold rows in every copied table"
    assert first.fresh and not first.skipped
    assert {t.name: t.inserted for t in first.tables} == {
        name: len(rows) for name, rows in expected.items() if name != "vectors"
    }
    assert contents(target) == expected
    with target.read() as conn:  # the vectors landed in the pgvector column, none in the SQLite blob column
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM embeddings WHERE vector IS NULL AND embedding IS NOT NULL")
            ).scalar()
            == 300
        )
        # COPY fires migration 0010's triggers: folded, the keyword statistics count every copied paper
        conn.execute(sa.text("SELECT paperwire_keyword_fold()"))
        assert (
            conn.execute(sa.text("SELECT papers FROM keyword_stats")).scalar()
            == conn.execute(sa.text("SELECT count(*) FROM papers")).scalar()
        )
        assert conn.execute(sa.text("SELECT count(*) FROM papers WHERE search_tsv IS NOT NULL")).scalar() == len(
            expected["papers"]
        )
    written = _row_versions(target)
    again = migrate_database(source, target, batch_size=1000)
    assert not again.fresh
    assert [(t.inserted, t.updated, t.deleted) for t in again.tables] == [(0, 0, 0)] * len(again.tables)
    assert _row_versions(target) == written, "a rerun over an unchanged source wrote rows"
    assert contents(target) == expected


def test_new_rows_on_the_target_get_ids_after_the_copied_ones(
    source: Store, target: Store, target_url: str, source_settings: Settings
) -> None:
    migrate_database(source, target)
    with source.read() as conn:
        top_user = conn.execute(sa.text("SELECT max(id) FROM users")).scalar()
        top_comment = conn.execute(sa.text("SELECT max(id) FROM comments")).scalar()
    settings = load_settings(home=source_settings.home / "pg", database_url=target_url)
    new = add_user(target, "dave@example.org")
    assert new["id"] == top_user + 1
    with target.read() as conn:
        paper_id = conn.execute(sa.text("SELECT id FROM papers ORDER BY id LIMIT 1")).scalar()
    assert add_comment(target, settings, new, paper_id, "first on PostgreSQL") == top_comment + 1


def test_a_rerun_brings_the_sources_changes_and_removals(
    source: Store, target: Store, source_settings: Settings, tmp_path: Path
) -> None:
    migrate_database(source, target)
    settings = source_settings
    changed = tmp_path / "changed.jsonl"
    changed.write_text(
        json.dumps(
            {
                "id": "2503.11731v2",
                "title": "A new title for version two",
                "abstract": "Shorter.",
                "authors": ["Xianming Zeng"],
                "categories": ["cs.CV"],
                "published": "2025-03-18",
            }
        )
        + "\n"
    )
    assert ingest_paths(source, [changed]).updated == 1  # one author instead of sixteen: 15 author rows go
    with source.read() as conn:
        voter, paper_id = conn.execute(sa.text("SELECT user_id, paper_id FROM votes LIMIT 1")).one()
    toggle_vote(source, settings, voter, paper_id)  # withdrawn: the row is deleted
    remove_subscriber(source, "reader@example.org")  # and back under a new id: same email, another key
    add_subscriber(source, "reader@example.org", Preferences(top_n=5), confirmed=True)
    expected = contents(source)
    report = {t.name: t for t in migrate_database(source, target, batch_size=50).tables}
    assert contents(target) == expected
    assert (report["papers"].updated, report["paper_versions"].inserted, report["paper_authors"].deleted) == (1, 1, 15)
    assert (
        report["votes"].deleted == 1 and report["subscriptions"].inserted == 1 and report["subscriptions"].deleted == 1
    )
    assert report["digest_deliveries"].deleted == 1  # went with the old subscription (ON DELETE CASCADE)
    assert sum(t.inserted + t.updated + t.deleted for t in migrate_database(source, target).tables) == 0


def test_an_interrupted_copy_then_a_rerun_ends_identical(source: Store, target: Store) -> None:
    class Stop(Exception):
        pass

    def stop_midway(table: str, done: int, total: int) -> None:
        if table == "paper_authors" and done >= 1000:
            raise Stop

    with pytest.raises(Stop):
        migrate_database(source, target, batch_size=200, on_progress=stop_midway)
    with target.read() as conn:
        assert 1000 <= conn.execute(sa.text("SELECT count(*) FROM paper_authors")).scalar() < 2000
        assert conn.execute(sa.text("SELECT count(*) FROM paper_categories")).scalar() == 0
    report = migrate_database(source, target, batch_size=200)
    assert not report.fresh and {t.name: t.inserted for t in report.tables}["paper_authors"] > 0
    assert contents(target) == contents(source)


def test_a_target_written_during_the_copy_fails_verification_naming_the_table(source: Store, target: Store) -> None:
    def meddle(table: str, done: int, total: int) -> None:
        if table == "paper_sources" and done == 0:
            with target.write() as conn:
                conn.execute(
                    sa.text(
                        "UPDATE paper_categories SET category = 'xx.YY' WHERE category = 'cs.CV' "
                        "AND paper_id = (SELECT min(paper_id) FROM paper_categories WHERE category = 'cs.CV')"
                    )
                )

    with pytest.raises(TransferMismatch) as caught:
        migrate_database(source, target, on_progress=meddle)
    assert caught.value.table == "paper_categories" and "different keys" in str(caught.value)

    def add_paper(table: str, done: int, total: int) -> None:
        if table == "votes" and done == 0:
            with target.write() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO papers (id, title, authors, categories, content_hash, created_at, updated_at) "
                        "VALUES ('9999.99999', 't', '[]', '[]', 'x', now(), now())"
                    )
                )

    with pytest.raises(
        TransferMismatch
    ) as caught:  # a rerun deletes rows the source lacks only when reading that table
        migrate_database(source, target, on_progress=add_paper)
    assert caught.value.table == "papers" and "the target" in str(caught.value)


def test_search_gives_the_same_top_papers_on_the_migrated_instance(
    source_settings: Settings, source: Store, target: Store, target_url: str, default_embedder: Any
) -> None:
    migrate_database(source, target)
    pg_settings = load_settings(home=source_settings.home / "pg", database_url=target_url)
    on_sqlite = SearchEngine(source_settings, source, embedder=default_embedder)
    on_postgres = SearchEngine(pg_settings, target, embedder=default_embedder)
    on_sqlite.sync(), on_postgres.sync()

    def top(engine: SearchEngine, query: str, mode: str, n: int = 10) -> list[str]:
        return [hit.id for hit in engine.search(query, mode=mode, limit=n).hits]

    # the same vectors: the same nearest papers (the two vector indexes are exact at this size)
    for query in ("gaussian splatting sensor simulation", "video diffusion", "retrieval augmented generation"):
        assert top(on_postgres, query, "semantic") == top(on_sqlite, query, "semantic"), query
    # keyword search (tantivy BM25 on SQLite, the generated tsvector on PostgreSQL) finds each paper by its title
    with source.read() as conn:
        titles = conn.execute(sa.text("SELECT id, title FROM papers WHERE id LIKE '2503.%' ORDER BY id LIMIT 8")).all()
    for paper_id, title in titles:
        for mode in ("keyword", "hybrid"):
            assert top(on_postgres, title, mode, 1) == top(on_sqlite, title, mode, 1) == [paper_id], (mode, title)


def _cli(*args: str, home: Path | None = None, db: str = "") -> Any:
    env = {"PAPERWIRE_HOME": str(home or "/nonexistent"), "PAPERWIRE_DATABASE_URL": db}
    return runner.invoke(app, ["migrate-db", *args], env=env)


def test_the_command_copies_and_prints_a_summary(source_settings: Settings, target_url: str) -> None:
    result = _cli(
        "--to", target_url.replace("postgresql+psycopg://", "postgresql://"), "--json", home=source_settings.home
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (
        summary["fresh"]
        and summary["verified"]
        and summary["tables"]["papers"]["inserted"] == summary["tables"]["papers"]["rows"] > 0
    )
    assert any("tantivy" in note for note in summary["derived"])
    again = _cli("--to", target_url, home=source_settings.home)
    assert again.exit_code == 0, again.output
    assert "again (a rerun" in again.stdout and "verified: row counts and key checksums" in again.stdout
    assert "not copied (derived)" in again.stdout


def test_bad_sources_and_targets_are_one_clear_line(source_settings: Settings, server: str, tmp_path: Path) -> None:
    home = source_settings.home
    other = tmp_path / "other"
    other_store = Store.open(load_settings(home=other))
    ingest_paths(other_store, [FIXTURES / "snapshot-first200.jsonl"])
    other_store.close()
    filled = _new_database(server, template=_TEMPLATE)
    assert _cli("--to", filled, home=other).exit_code == 0
    missing = _database_url(server, "no_such_database")
    newer = _new_database(server, template=_TEMPLATE)
    later = make_engine(newer)
    with later.begin() as conn:  # as if a later Paperwire had migrated it
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    later.dispose()
    cases = [
        (_cli("--to", "sqlite:///elsewhere.db", home=home), "--to must be a PostgreSQL URL"),
        (_cli("--to", "mysql://u@h/d", home=home), "--to must be a PostgreSQL URL"),
        (_cli("--to", missing, home=home), "cannot reach the target database"),
        (
            _cli("--to", "postgresql://paperwire:s3cret@127.0.0.1:1/paperwire", home=home),
            "cannot reach the target database",
        ),
        (_cli("--to", filled, home=home), "already holds data (200 papers"),
        (_cli("--to", newer, home=home), "has a schema this version of Paperwire does not know"),
        (_cli("--to", filled, "--from", str(tmp_path / "none.db"), home=home), "no SQLite database at"),
        (_cli("--to", filled, home=home, db=filled), "the source must be an SQLite database"),
        (_cli("--to", filled, "--batch-size", "0", home=home), "--batch-size must be at least 1"),
    ]
    for result, message in cases:
        assert result.exit_code == 1, (message, result.output)
        assert message in result.stderr and "Traceback" not in result.output, result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "s3cret" not in result.stderr


@pytest.mark.slow
def test_kill_9_mid_copy_then_rerun_ends_identical(tmp_path: Path, target_url: str) -> None:
    total = 12_000
    corpus = tmp_path / "big.jsonl"
    with corpus.open("w") as out:
        for n in range(1, total + 1):
            out.write(
                json.dumps(
                    {
                        "id": f"2501.{n:05d}",
                        "title": f"Paper number {n}",
                        "abstract": "words " * 60,
                        "authors": [f"A. Author{n % 97}", "B. Author"],
                        "categories": ["cs.CL", "cs.LG"],
                        "published": "2025-01-02",
                    }
                )
                + "\n"
            )
    home = tmp_path / "home"
    store = Store.open(load_settings(home=home))
    ingest_paths(store, [corpus], batch_size=5000)
    command = [sys.executable, "-m", "paperwire", "migrate-db", "--to", target_url, "--batch-size", "300", "--json"]
    env = {**os.environ, "PAPERWIRE_HOME": str(home), "PAPERWIRE_DATABASE_URL": ""}
    watcher = Store(make_engine(target_url))
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def copied() -> int:
        try:
            with watcher.read() as conn:
                return conn.execute(sa.text("SELECT count(*) FROM paper_authors")).scalar()
        except sa.exc.DBAPIError:  # the schema is not there yet
            return 0

    deadline = time.monotonic() + 120
    while copied() < 3000 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the copy finished before it could be killed"
    killed_at = copied()
    assert 3000 <= killed_at < 2 * total and killed_at % 300 == 0  # whole batches only
    rerun = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)["tables"]
    assert not json.loads(rerun.stdout)["fresh"]
    assert (summary["papers"]["inserted"], summary["papers"]["updated"]) == (0, 0)
    assert (summary["paper_authors"]["inserted"], summary["paper_authors"]["updated"]) == (2 * total - killed_at, 0)
    assert contents(watcher) == contents(store)
    watcher.close()
    store.close()
