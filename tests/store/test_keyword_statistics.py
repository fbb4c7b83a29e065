"""Migration 0010's keyword statistics on PostgreSQL: after every kind of write to papers, the triggers' queue
folded in, the document frequencies and totals equal a recount from the papers themselves, and the migration
fills them from the papers already there."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from alembic import command

from paperwire.papers.load import ingest_paths
from paperwire.store import Store
from paperwire.store.bm25_rows import fold_changes
from paperwire.store.migrate import alembic_config, upgrade
from tests.conftest import FIXTURES

RECORDS = [json.loads(line) for line in (FIXTURES / "papers-300.jsonl").open(encoding="utf-8")]


@pytest.fixture
def pg_store(store: Store, backend: str) -> Store:
    if backend != "postgresql":
        pytest.skip("the keyword statistics are PostgreSQL's (tantivy keeps its own)")
    return store


def _kept(store: Store) -> tuple[dict[str, int], tuple[int, int]]:
    """The statistics once the changes queued since the last fold are folded in."""
    with store.write() as conn:
        fold_changes(conn)
    with store.read() as conn:
        terms = dict(conn.execute(sa.text("SELECT lexeme, papers FROM keyword_terms WHERE papers <> 0")).all())
        totals = conn.execute(sa.text("SELECT papers, characters FROM keyword_stats")).one()
    return terms, tuple(totals)


def _recount(store: Store) -> tuple[dict[str, int], tuple[int, int]]:
    with store.read() as conn:
        terms = dict(
            conn.execute(
                sa.text(
                    "SELECT lexeme, count(*) FROM papers, unnest(tsvector_to_array(search_tsv)) AS lexeme GROUP BY lexeme"
                )
            ).all()
        )
        totals = conn.execute(
            sa.text("SELECT count(*), coalesce(sum(octet_length(title) + octet_length(abstract)), 0) FROM papers")
        ).one()
    return terms, tuple(totals)


def test_statistics_follow_inserts_updates_and_deletes(pg_store: Store, tmp_path) -> None:
    assert _kept(pg_store) == ({}, (0, 0))
    half = tmp_path / "half.jsonl"
    half.write_text("".join(json.dumps(r) + "\n" for r in RECORDS[:150]))
    ingest_paths(pg_store, [half])
    assert _kept(pg_store) == _recount(pg_store)
    assert _kept(pg_store)[1][0] == 150
    changed = [dict(r, abstract="Quokkas photosynthesise marmalade. " + r["abstract"]) for r in RECORDS[:20]]
    everything = tmp_path / "all.jsonl"
    everything.write_text("".join(json.dumps(r) + "\n" for r in changed + RECORDS[20:]))
    ingest_paths(pg_store, [everything])  # 130 papers updated in place (20 with new words), 150 added
    kept = _kept(pg_store)
    assert kept == _recount(pg_store)
    assert kept[0]["quokka"] == 20 and kept[1][0] == len(RECORDS)
    with pg_store.write() as conn:  # a write that leaves the text alone changes nothing
        conn.execute(sa.text("UPDATE papers SET hidden = NOT hidden WHERE id = :id"), {"id": RECORDS[0]["id"]})
    assert _kept(pg_store) == kept
    with pg_store.write() as conn:
        conn.execute(sa.text("DELETE FROM papers WHERE id = ANY(:ids)"), {"ids": [r["id"] for r in RECORDS[:30]]})
    assert _kept(pg_store) == _recount(pg_store)
    assert "quokka" not in _kept(pg_store)[0]


def test_the_migration_counts_the_papers_already_there(pg_store: Store) -> None:
    ingest_paths(pg_store, [FIXTURES / "papers-300.jsonl"])
    before = _kept(pg_store)
    config = alembic_config()
    with pg_store.engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0008")
        conn.commit()
    with pg_store.read() as conn:
        assert conn.execute(sa.text("SELECT to_regclass('keyword_terms')")).scalar() is None
    upgrade(pg_store)
    assert _kept(pg_store) == before == _recount(pg_store)


def test_changes_wait_in_the_queue_until_folded_and_fold_once(pg_store: Store) -> None:
    ingest_paths(pg_store, [FIXTURES / "papers-300.jsonl"])
    with pg_store.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM keyword_changes")).scalar() == len(RECORDS)
        assert conn.execute(sa.text("SELECT papers FROM keyword_stats")).scalar() == 0
    with pg_store.write() as conn:
        assert fold_changes(conn) == len(RECORDS)
    with pg_store.write() as conn:
        assert fold_changes(conn) == 0
    assert _kept(pg_store) == _recount(pg_store)
