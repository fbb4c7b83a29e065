"""The store: migrations match the schema, run once, and SQLite gets its connection settings."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from paperwire.config import load_settings
from paperwire.errors import ConfigError
from paperwire.store import Store
from paperwire.store.database import database_url
from paperwire.store.migrate import current_revision, head_revision, upgrade
from paperwire.store.schema import metadata

# PostgreSQL-only search objects of migrations 0003, 0010 and 0011, kept by the database and absent from schema.py.
POSTGRES_ONLY = {
    ("column", "papers.search_tsv"),
    ("column", "embeddings.published"),
    ("column", "embeddings.hidden"),
    ("column", "embeddings.categories"),
    ("index", "ix_papers_search_tsv"),
    ("index", "ix_paper_authors_name_tsv"),
    ("table", "keyword_terms"),
    ("table", "keyword_stats"),
    ("table", "keyword_changes"),
}


def _in_metadata(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "column":
        name = f"{obj.table.name}.{name}"
    return (type_, name) not in POSTGRES_ONLY


def test_migrations_create_exactly_the_schema(store: Store) -> None:
    opts = {"compare_type": True, "include_object": _in_metadata}
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts=opts), metadata)
    assert diffs == []
    assert current_revision(store) == head_revision()


def test_upgrade_is_recorded_and_applied_once(store: Store) -> None:
    assert upgrade(store) == []
    with store.read() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    assert versions == [head_revision()]


def test_sqlite_runs_in_wal_with_foreign_keys_and_busy_timeout(tmp_path) -> None:
    store = Store.open(load_settings(home=tmp_path, sqlite_busy_timeout_ms=1234))
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
    assert (tmp_path / "paperwire.db").exists()


def test_foreign_keys_are_enforced(store: Store) -> None:
    from sqlalchemy.exc import IntegrityError

    from paperwire.store.schema import paper_versions

    with pytest.raises(IntegrityError), store.write() as conn:
        conn.execute(paper_versions.insert().values(paper_id="0000.00000", version=1, first_seen_at=sa.func.now()))


def test_database_url_accepts_postgres_forms_and_refuses_others(tmp_path) -> None:
    assert database_url(load_settings(database_url="postgresql://u@h/db")) == "postgresql+psycopg://u@h/db"
    assert database_url(load_settings(database_url="postgres://u@h/db")) == "postgresql+psycopg://u@h/db"
    assert database_url(load_settings(home=tmp_path)).endswith("/paperwire.db")
    with pytest.raises(ConfigError, match="unsupported database URL"):
        database_url(load_settings(database_url="mysql://u@h/db"))


def test_settings_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("PAPERWIRE_INGEST_BATCH_SIZE", "77")
    assert load_settings().ingest_batch_size == 77
    monkeypatch.setenv("PAPERWIRE_INGEST_BATCH_SIZE", "zero")
    with pytest.raises(ConfigError, match="ingest_batch_size"):
        load_settings()


def test_a_missing_pgvector_extension_is_one_clear_error(postgres_url) -> None:
    """A database owner who is not a superuser cannot create pgvector: say what to do, no traceback."""
    if postgres_url is None:
        pytest.skip("no PostgreSQL available")
    from paperwire.store.database import make_engine
    from tests.conftest import _database_url, _psycopg_url

    admin = make_engine(_psycopg_url(postgres_url)).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("DROP DATABASE IF EXISTS paperwire_noext"))
        conn.execute(sa.text("DROP ROLE IF EXISTS paperwire_owner"))
        conn.execute(sa.text("CREATE ROLE paperwire_owner LOGIN"))
        conn.execute(sa.text("CREATE DATABASE paperwire_noext OWNER paperwire_owner"))
    url = sa.engine.make_url(_database_url(postgres_url, "paperwire_noext")).set(
        username="paperwire_owner", password=None
    )
    owner = Store(make_engine(url.render_as_string(hide_password=False)))
    try:
        with pytest.raises(ConfigError, match=r"cannot create the pgvector extension .* permission denied"):
            upgrade(owner)
    finally:
        owner.close()
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS paperwire_noext WITH (FORCE)"))
            conn.execute(sa.text("DROP ROLE IF EXISTS paperwire_owner"))
        admin.dispose()


def test_applied_revisions_are_listed_oldest_first(tmp_path) -> None:
    fresh = Store.open(load_settings(home=tmp_path), migrate=False)
    try:
        applied = upgrade(fresh)
        assert applied == sorted(applied) and applied[0] == "0001" and applied[-1] == head_revision()
    finally:
        fresh.close()


def test_postgresql_fold_is_unchanged_by_its_ascii_fast_path(store: Store) -> None:
    """Migration 0006 only skips translate() for ASCII text: the folded text is the same either way."""
    if store.dialect != "postgresql":
        pytest.skip("paperwire_fold exists only on PostgreSQL")
    samples = [
        "Plain ASCII: $\\alpha$-stable (2019), x_1 + y^2",
        "Gödel, Erdős and Łukasiewicz on café naïveté",
        "Ångström-scale ÿ ıi",
        "",
        "tab\there\nnewline",
    ]
    with store.read() as conn:
        for text in samples:
            fast, slow, expected_ascii = conn.execute(
                sa.text("SELECT paperwire_fold(:t), translate(:t, 'öőŁéïÅÿı', 'ooLeiAyi'), :t !~ '[^\\x01-\\x7f]'"),
                {"t": text},
            ).one()
            assert fast == slow if not expected_ascii else fast == text
    assert _fold(store, samples[1]) == "Godel, Erdos and Lukasiewicz on cafe naivete"


def _fold(store: Store, text: str) -> str:
    with store.read() as conn:
        return conn.execute(sa.text("SELECT paperwire_fold(:t)"), {"t": text}).scalar_one()
