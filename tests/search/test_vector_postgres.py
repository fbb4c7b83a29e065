"""pgvector search against exact brute force: on pgvector 0.8 an iterative index scan inside every filter, and
below 0.8 (forced here on the same server) a selective filter falls back to an exact scan, every time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command

from paperwire.config import Settings
from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import PaperRecord, ParsedItem
from paperwire.search.query import Filters
from paperwire.search.vector_postgres import PostgresVectorIndex
from paperwire.store import Store
from paperwire.store.accounts import set_paper_hidden
from paperwire.store.embeddings import pending_papers, save_vectors
from paperwire.store.migrate import alembic_config, upgrade
from paperwire.store.vector_rows import has_half_vectors, has_iterative_scans, parse_version, vector_literal

MODEL = "test/random-16"
DIM = 16
PAPERS = 3000
RARE = "q-fin.XX"  # on 1% of the papers


@pytest.fixture
def loaded(
    store: Store, settings: Settings, backend: str
) -> tuple[PostgresVectorIndex, dict[str, np.ndarray], set[str]]:
    """3,000 papers with random unit vectors (enough for the planner to choose the HNSW index), 30 of them RARE."""
    if backend != "postgresql":
        pytest.skip("pgvector is PostgreSQL's")
    rng = np.random.default_rng(3)
    records = [
        PaperRecord(
            f"2401.{n:05d}",
            f"Paper {n}",
            categories=(RARE,) if n % 100 == 7 else ("cs.CL",),
            published=date(2024, 1, 1) + timedelta(days=n % 700),
        )
        for n in range(PAPERS)
    ]
    ingest_items(store, [ParsedItem(r, "test", i) for i, r in enumerate(records)], source="test")
    with store.write() as conn:
        rows = pending_papers(conn, MODEL, PAPERS)
        vectors = rng.standard_normal((len(rows), DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        save_vectors(conn, MODEL, rows, vectors)
    with store.write() as conn:
        conn.execute(sa.text("ANALYZE"))
    index = PostgresVectorIndex(store, settings, MODEL)
    index.sync()
    rare = {r.arxiv_id for r in records if RARE in r.categories}
    return index, {row["id"]: v for row, v in zip(rows, vectors, strict=True)}, rare


def _exact(vectors: dict[str, np.ndarray], ids: set[str], query: np.ndarray, limit: int) -> list[str]:
    ordered = sorted(ids)
    scores = np.vstack([vectors[pid] for pid in ordered]) @ query
    return [ordered[i] for i in np.argsort(-scores, kind="stable")[:limit]]


@pytest.mark.parametrize(
    ("text", "iterative"),
    [("0.5.1", False), ("0.6.2", False), ("0.7.4", False), ("0.8.0", True), ("0.8.2", True), ("1.0.0", True)],
)
def test_iterative_scans_from_pgvector_0_8_on(text: str, iterative: bool) -> None:
    assert has_iterative_scans(parse_version(text)) is iterative


def test_a_version_with_a_suffix_and_none_at_all() -> None:
    assert parse_version("0.7.0-dev") == (0, 7, 0)
    assert not has_iterative_scans(None)
    assert has_half_vectors((0, 7, 0)) and not has_half_vectors((0, 6, 2)) and not has_half_vectors(None)


def test_the_index_holds_half_precision_copies_and_scores_stay_float32(loaded, store: Store) -> None:
    """From pgvector 0.7 the HNSW index is over halfvec (half the size); returned scores are float32 cosines."""
    index, vectors, _rare = loaded
    if not index.half:
        pytest.skip("this server's pgvector has no halfvec (0.7 and later)")
    with store.read() as conn:
        definitions = (
            conn.execute(
                sa.text(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = 'embeddings' AND indexname LIKE 'ix_embeddings_hnsw_%'"
                )
            )
            .scalars()
            .all()
        )
    assert len(definitions) == 1 and "halfvec_cosine_ops" in definitions[0]
    query = np.random.default_rng(2).standard_normal(DIM).astype(np.float32)
    query /= np.linalg.norm(query)
    found = index.search(query, 10, Filters())
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    assert np.allclose([s for _, s in found], [float(vectors[pid] @ query) for pid, _ in found], atol=1e-6)


def test_the_server_s_pgvector_decides_the_scan(loaded, store: Store) -> None:
    index, _vectors, _rare = loaded
    with store.read() as conn:
        text = conn.execute(sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).scalar_one()
    assert index.pgvector == parse_version(text)
    assert index.iterative is has_iterative_scans(parse_version(text))


@pytest.mark.parametrize("iterative", [True, False], ids=["iterative-scan", "exact-fallback"])
def test_a_selective_filter_gives_the_exact_answer_on_every_repetition(loaded, store: Store, iterative: bool) -> None:
    index, vectors, rare = loaded
    if iterative and not index.iterative:
        pytest.skip("this server's pgvector has no iterative index scans (0.8 and later)")
    index.iterative = iterative  # below 0.8 the approximate scan stops at ef_search rows and the exact one follows
    index.exact_below = 0  # no exact search up front: the approximate scan runs and its fallback is what is checked
    assert len(rare) == 30
    with store.write() as conn:  # what PostgreSQL may choose by itself after a prepared statement's fifth run
        conn.execute(
            sa.text(
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET plan_cache_mode = force_generic_plan', "
                "current_database()); END $$"
            )
        )
    store.engine.dispose()
    queries = np.random.default_rng(11).standard_normal((12, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    kind = "halfvec" if index.half else "vector"
    with store.read() as conn:  # the approximate query does use the HNSW index, so the fallback is exercised
        plan = "\n".join(
            conn.execute(
                sa.text(
                    f"EXPLAIN SELECT e.paper_id FROM embeddings e WHERE e.dim = 16 ORDER BY (e.embedding::{kind}(16)) "
                    f"<=> CAST('{vector_literal(queries[0])}' AS {kind}(16)) LIMIT 10"
                )
            ).scalars()
        )
    assert "ix_embeddings_hnsw_" in plan
    # Twelve runs of each statement: psycopg prepares a statement after five, and PostgreSQL then runs a generic plan.
    recent = {pid for pid in vectors if int(pid[5:]) % 700 >= 679}  # published in the last 3 weeks: 3%
    for filters, inside in ((Filters(categories=(RARE,)), rare), (Filters(since=date(2025, 11, 10)), recent)):
        for query in queries:
            found = index.search(query, 10, filters)
            assert [pid for pid, _ in found] == _exact(vectors, inside, query, 10)
            assert np.allclose([s for _, s in found], [float(vectors[pid] @ query) for pid, _ in found], atol=1e-5)


def test_an_iterative_scan_inside_a_broad_filter_finds_the_exact_neighbours(loaded, store: Store) -> None:
    """A filter keeping 14 % of the papers: the iterative HNSW scan, not the exact fallback, answers it."""
    index, vectors, _rare = loaded
    if not index.iterative:
        pytest.skip("this server's pgvector has no iterative index scans (0.8 and later)")
    since = date(2024, 1, 1) + timedelta(days=600)
    inside = {pid for pid in vectors if int(pid[5:]) % 700 >= 600}
    index.exact_below = 0  # 420 papers would be searched exactly up front (EXACT_BELOW)
    statements: list[str] = []
    settings: list[object] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: settings.append(args[3]))
    queries = np.random.default_rng(5).standard_normal((20, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    recalls = []
    for query in queries:
        found = [pid for pid, _ in index.search(query, 21, Filters(since=since))]
        assert len(found) == 21
        recalls.append(len(set(found) & set(_exact(vectors, inside, query, 21))) / 21)
    assert np.mean(recalls) >= 0.95
    assert any(isinstance(p, dict) and "relaxed_order" in p.values() for p in settings)
    assert not any("score DESC LIMIT" in s and "AS found" not in s for s in statements)  # no exact search ran


def test_a_filter_keeping_few_papers_is_searched_exactly_up_front(loaded, store: Store) -> None:
    """Thirty papers in RARE: counted, then searched exactly, without an index scan first."""
    index, vectors, rare = loaded
    statements: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    query = np.random.default_rng(8).standard_normal(DIM).astype(np.float32)
    query /= np.linalg.norm(query)
    found = index.search(query, 10, Filters(categories=(RARE,)))
    assert [pid for pid, _ in found] == _exact(vectors, rare, query, 10)
    assert not any("AS found" in s for s in statements)  # the approximate query never ran


def _filter_copies(store: Store, paper_id: str) -> tuple:
    with store.read() as conn:
        return tuple(
            conn.execute(
                sa.text("SELECT published, hidden, categories FROM embeddings WHERE paper_id = :id"), {"id": paper_id}
            ).one()
        )


def test_each_vector_row_carries_its_paper_s_filters_and_follows_their_changes(loaded, store: Store) -> None:
    """Migration 0011: the copies the index scan filters on are filled on insert and follow the paper's date,
    categories and visibility; a write that changes none of them leaves the vector row as it was."""
    index, vectors, rare = loaded
    paper = sorted(rare)[0]
    assert _filter_copies(store, paper) == (date(2024, 1, 1) + timedelta(days=int(paper[5:]) % 700), False, [RARE])
    with store.write() as conn:
        before = conn.execute(sa.text("SELECT xmin::text FROM embeddings WHERE paper_id = :id"), {"id": paper}).scalar()
        conn.execute(sa.text("UPDATE papers SET title = 'Renamed', updated_at = now() WHERE id = :id"), {"id": paper})
        after = conn.execute(sa.text("SELECT xmin::text FROM embeddings WHERE paper_id = :id"), {"id": paper}).scalar()
    assert after == before
    query = vectors[paper]
    assert index.search(query, 1, Filters())[0][0] == paper
    with store.write() as conn:
        conn.execute(
            sa.text(
                "UPDATE papers SET categories = CAST(:cats AS jsonb), published = DATE '2020-02-02' WHERE id = :id"
            ),
            {"id": paper, "cats": '["math.XX", "cs.CL"]'},
        )
    assert _filter_copies(store, paper) == (date(2020, 2, 2), False, ["math.XX", "cs.CL"])
    index.exact_below = 0  # the approximate scan, which reads the copies
    assert index.search(query, 1, Filters(categories=("math.XX",)))[0][0] == paper
    assert paper not in {pid for pid, _ in index.search(query, 10, Filters(since=date(2021, 1, 1)))}
    assert paper not in {pid for pid, _ in index.search(query, 29, Filters(categories=(RARE,)))}
    with store.write() as conn:
        set_paper_hidden(conn, paper, True, datetime.now(UTC))
    assert _filter_copies(store, paper)[1] is True
    assert paper not in {pid for pid, _ in index.search(query, 10, Filters())}
    assert paper not in {pid for pid, _ in index.search(query, 10, Filters(categories=("math.XX",)))}


def test_0011_fills_the_copies_from_the_papers_already_there(loaded, store: Store) -> None:
    _index, vectors, rare = loaded
    with store.write() as conn:
        conn.execute(sa.text("UPDATE papers SET hidden = true WHERE id = :id"), {"id": sorted(rare)[1]})
    config = alembic_config()
    with store.engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0010")
        conn.commit()
    with store.read() as conn:
        assert "published" not in {c["name"] for c in sa.inspect(conn).get_columns("embeddings")}
    assert upgrade(store) == ["0011"]
    assert _filter_copies(store, sorted(rare)[1])[1:] == (True, [RARE])
    with store.read() as conn:
        unfilled = conn.execute(
            sa.text(
                "SELECT count(*) FROM embeddings e JOIN papers p ON p.id = e.paper_id WHERE e.published "
                "IS DISTINCT FROM p.published OR e.hidden <> p.hidden OR e.categories <> "
                "ARRAY(SELECT jsonb_array_elements_text(p.categories))"
            )
        ).scalar_one()
    assert unfilled == 0 and len(vectors) == PAPERS


def test_a_filter_s_size_is_counted_once_a_minute(loaded, store: Store) -> None:
    """Whether a filter keeps few papers is read once and reused: repeated searches in a category pay no count."""
    index, _vectors, rare = loaded
    statements: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    query = np.random.default_rng(9).standard_normal(DIM).astype(np.float32)
    for _ in range(3):
        assert {pid for pid, _ in index.search(query, 10, Filters(categories=(RARE,)))} <= rare
    assert sum("SELECT least(" in s for s in statements) == 1


def test_a_model_without_vectors_is_looked_up_once_per_sync_not_per_search(
    store: Store, settings: Settings, backend: str
) -> None:
    """Before its first vector, searches take the last answer instead of scanning every vector row again; a sync
    asks again, and finds the vectors once they are there."""
    if backend != "postgresql":
        pytest.skip("pgvector is PostgreSQL's")
    ingest_items(store, [ParsedItem(PaperRecord("2401.00001", "Paper"), "test", 0)], source="test")
    index = PostgresVectorIndex(store, settings, MODEL)
    statements: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    query = np.ones(DIM, dtype=np.float32) / np.sqrt(DIM)
    assert index.search(query, 5, Filters()) == [] and index.search(query, 5, Filters()) == []
    assert sum("SELECT dim FROM embeddings" in s for s in statements) == 1
    with store.write() as conn:
        save_vectors(conn, MODEL, pending_papers(conn, MODEL, 10), query[None, :])
    assert index.search(query, 5, Filters()) == []  # the answer of a moment ago
    index.sync()
    assert [pid for pid, _ in index.search(query, 5, Filters())] == ["2401.00001"]
