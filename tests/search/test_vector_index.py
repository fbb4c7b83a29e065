"""The embedded vector index against exact brute force: rankings, filters inside the search, sync, persistence."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from paperwire.config import Settings
from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import PaperRecord, ParsedItem
from paperwire.search.query import Filters
from paperwire.search.vector_index import BinaryVectorIndex
from paperwire.store import Store
from paperwire.store.embeddings import pending_papers, save_vectors
from paperwire.store.schema import papers

MODEL = "test/random-64"
DIM = 64
RARE = "q-bio.XX"  # on 5% of the papers
COMMON = [f"cs.C{chr(ord('A') + i)}" for i in range(19)]  # cs.CA .. cs.CS: real arXiv categories have no digits


@dataclass
class Corpus:
    """What the test wrote to the database, for computing the exact answer."""

    vectors: dict[str, np.ndarray]
    published: dict[str, date | None]
    categories: dict[str, tuple[str, ...]]
    hidden: set[str]

    def exact(
        self, query: np.ndarray, limit: int, filters: Filters = Filters(), allowed: set[str] | None = None
    ) -> list[tuple[str, float]]:
        ids = [pid for pid in sorted(self.vectors) if self._passes(pid, filters, allowed)]
        if not ids:
            return []
        scores = np.vstack([self.vectors[pid] for pid in ids]) @ (query / np.linalg.norm(query))
        order = np.argsort(-scores, kind="stable")[:limit]
        return [(ids[i], float(scores[i])) for i in order]

    def _passes(self, pid: str, filters: Filters, allowed: set[str] | None) -> bool:
        day = self.published[pid]
        return (
            pid not in self.hidden
            and (allowed is None or pid in allowed)
            and (not filters.categories or bool(set(filters.categories) & set(self.categories[pid])))
            and (not filters.since or (day is not None and day >= filters.since))
            and (not filters.until or (day is not None and day <= filters.until))
        )


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _record(number: int, rng: np.random.Generator, title: str = "") -> PaperRecord:
    categories = (RARE, COMMON[number % 19]) if number % 20 == 7 else (COMMON[number % 19], COMMON[(number * 7) % 19])
    published = None if number % 50 == 3 else date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 700)))
    return PaperRecord(
        f"2401.{number:05d}",
        title or f"Paper {number}",
        categories=tuple(dict.fromkeys(categories)),
        published=published,
        authors=(f"Author {number % 7}",),
    )


def _add_papers(store: Store, corpus: Corpus, numbers: range, rng: np.random.Generator) -> None:
    records = [_record(n, rng) for n in numbers]
    ingest_items(store, [ParsedItem(r, "test", i) for i, r in enumerate(records)], source="test")
    for r in records:
        corpus.published[r.arxiv_id] = r.published
        corpus.categories[r.arxiv_id] = r.categories
    _embed_pending(store, corpus, rng)


def _embed_pending(store: Store, corpus: Corpus, rng: np.random.Generator) -> None:
    with store.write() as conn:
        rows = pending_papers(conn, MODEL, 100_000)
        vectors = _unit(rng, len(rows))
        save_vectors(conn, MODEL, rows, vectors)
    corpus.vectors.update({row["id"]: v for row, v in zip(rows, vectors, strict=True)})


def _replace_vectors(store: Store, corpus: Corpus, ids: list[str], rng: np.random.Generator) -> None:
    with store.write() as conn:
        hashes = dict(conn.execute(sa.select(papers.c.id, papers.c.content_hash).where(papers.c.id.in_(ids))).all())
        vectors = _unit(rng, len(ids))
        save_vectors(conn, MODEL, [{"id": i, "content_hash": hashes[i]} for i in ids], vectors)
    corpus.vectors.update(dict(zip(ids, vectors, strict=True)))


def _set_hidden(store: Store, corpus: Corpus, ids: list[str], hidden: bool = True) -> None:
    with store.write() as conn:
        conn.execute(papers.update().where(papers.c.id.in_(ids)).values(hidden=hidden, updated_at=datetime.now(UTC)))
    corpus.hidden.update(ids) if hidden else corpus.hidden.difference_update(ids)


@pytest.fixture
def corpus(store: Store) -> Corpus:
    made = Corpus({}, {}, {}, set())
    _add_papers(store, made, range(300), np.random.default_rng(7))
    return made


def _index(store: Store, settings: Settings, home: Path | None = None, candidates: int = 1000) -> BinaryVectorIndex:
    changes: dict[str, object] = {"vector_candidates": candidates}
    if home is not None:
        changes["home"] = home
    return BinaryVectorIndex(store, settings.model_copy(update=changes), MODEL)


def _queries(n: int = 12) -> np.ndarray:
    return _unit(np.random.default_rng(99), n)


FILTERS = [
    Filters(),
    Filters(categories=(RARE,)),
    Filters(categories=("cs.CD", RARE)),
    Filters(since=date(2024, 6, 1)),
    Filters(categories=("cs.CF",), since=date(2024, 3, 1), until=date(2025, 1, 31)),
    Filters(until=date(2024, 12, 31)),
]


def _same(found: list[tuple[str, float]], expected: list[tuple[str, float]]) -> None:
    assert [pid for pid, _ in found] == [pid for pid, _ in expected]
    assert np.allclose([s for _, s in found], [s for _, s in expected], atol=1e-5)


def test_top_k_equals_exact_search_with_enough_candidates(store: Store, settings: Settings, corpus: Corpus) -> None:
    index = _index(store, settings)
    assert index.sync() == 300 and len(index) == 300
    for query in _queries():
        for filters in FILTERS:
            _same(index.search(query, 10, filters), corpus.exact(query, 10, filters))


def test_selective_filters_apply_inside_the_search(store: Store, settings: Settings, corpus: Corpus) -> None:
    index = _index(store, settings, candidates=10)  # a top-10 filtered afterwards would keep 0 or 1 rare papers
    index.rebuild()
    rare = {pid for pid, cats in corpus.categories.items() if RARE in cats}
    assert len(rare) == 15
    recalls = []
    for query in _queries():
        found = index.search(query, 10, Filters(categories=(RARE,)))
        assert len(found) == 10 and {pid for pid, _ in found} <= rare
        expected = {pid for pid, _ in corpus.exact(query, 10, Filters(categories=(RARE,)))}
        recalls.append(len(expected & {pid for pid, _ in found}) / 10)
        combined = Filters(categories=("cs.CC", "cs.CE"), since=date(2024, 9, 1), until=date(2025, 6, 30))
        found = index.search(query, 10, combined)
        assert {pid for pid, _ in found} <= {pid for pid, _ in corpus.exact(query, 300, combined)}
        assert len(found) == min(10, len(corpus.exact(query, 300, combined)))
    assert np.mean(recalls) >= 0.8  # 10 Hamming candidates out of 15 rare papers, rescored


def test_allowed_ids_unknown_dates_and_hidden_papers(store: Store, settings: Settings, corpus: Corpus) -> None:
    index = _index(store, settings)
    index.sync()
    allowed = {f"2401.{n:05d}" for n in range(0, 300, 9)} | {"9999.99999"}
    hidden = [f"2401.{n:05d}" for n in range(0, 300, 4)]
    _set_hidden(store, corpus, hidden)
    assert index.sync() == len(hidden)
    undated = {pid for pid, day in corpus.published.items() if day is None}
    for query in _queries():
        for filters in FILTERS:
            found = index.search(query, 10, filters, allowed)
            _same(found, corpus.exact(query, 10, filters, allowed))
            assert not {pid for pid, _ in found} & set(hidden)
            if filters.since or filters.until:
                assert not {pid for pid, _ in found} & undated
        _same(index.search(query, 300, Filters()), corpus.exact(query, 300))
    assert index.search(_queries(1)[0], 10, Filters(), set()) == []
    with pytest.raises(ValueError):
        index.search(_queries(1)[0], 10, Filters(authors=("Author 1",)))
    _set_hidden(store, corpus, hidden[:5], hidden=False)
    index.sync()
    _same(index.search(_queries(1)[0], 300, Filters()), corpus.exact(_queries(1)[0], 300))


def test_incremental_sync_equals_a_rebuild(store: Store, settings: Settings, corpus: Corpus, tmp_path: Path) -> None:
    index = _index(store, settings)
    index.sync()
    rng = np.random.default_rng(11)
    _add_papers(store, corpus, range(300, 360), rng)  # new papers
    _replace_vectors(store, corpus, [f"2401.{n:05d}" for n in range(10, 40)], rng)  # re-embedded
    moved = [_record(n, rng, title=f"Retitled {n}") for n in range(40, 45)]  # new metadata: new dates
    ingest_items(store, [ParsedItem(r, "test", 0) for r in moved], source="test")
    for r in moved:  # published keeps the earliest date known
        old = corpus.published[r.arxiv_id]
        corpus.published[r.arxiv_id] = min(d for d in (old, r.published) if d) if (old or r.published) else None
    with store.write() as conn:  # a deleted paper takes its vector with it
        conn.execute(papers.delete().where(papers.c.id == "2401.00050"))
    del corpus.vectors["2401.00050"]
    _set_hidden(store, corpus, ["2401.00060"])
    assert index.sync() > 60
    assert index.sync() == 0  # nothing new: nothing written
    rebuilt = _index(store, settings, home=tmp_path / "rebuilt")
    assert rebuilt.rebuild() == len(index) == 359
    reopened = _index(store, settings)  # a fresh process on the same files
    assert reopened.sync() == 0
    for query in _queries():
        for filters in FILTERS:
            expected = corpus.exact(query, 10, filters)
            _same(index.search(query, 10, filters), expected)
            _same(rebuilt.search(query, 10, filters), expected)
            _same(reopened.search(query, 10, filters), expected)
    assert index.vector_of("2401.00050") is None


def test_sync_in_another_process_catches_up_from_files_and_database(
    store: Store, settings: Settings, corpus: Corpus, tmp_path: Path
) -> None:
    worker_a, worker_b = _index(store, settings), _index(store, settings)
    worker_a.sync()
    assert len(worker_b) == 0
    rng = np.random.default_rng(5)
    _replace_vectors(store, corpus, [f"2401.{n:05d}" for n in range(100, 230)], rng)  # 130 of 430 rows dead: compaction
    worker_b.sync()
    meta = json.loads((worker_b.folder / "meta.json").read_text())
    assert meta["generation"] == 2 and meta["rows"] == 300 and meta["dead"] == 0
    _add_papers(store, corpus, range(300, 310), rng)
    assert worker_a.sync() == 10
    worker_b.sync()
    for query in _queries():
        for worker in (worker_a, worker_b):
            _same(
                worker.search(query, 10, Filters(categories=("cs.CB",))),
                corpus.exact(query, 10, Filters(categories=("cs.CB",))),
            )


def test_persisted_index_loads_with_the_same_results_and_vectors(
    store: Store, settings: Settings, corpus: Corpus
) -> None:
    index = _index(store, settings)
    index.sync()
    again = _index(store, settings)
    assert len(again) == len(index) == 300
    for query in _queries():
        assert again.search(query, 20, FILTERS[4]) == index.search(query, 20, FILTERS[4])
    for pid in ("2401.00000", "2401.00123", "2401.00299"):
        stored = again.vector_of(pid)
        assert stored is not None and stored.dtype == np.float32
        assert np.allclose(stored, corpus.vectors[pid], atol=1e-6)
    assert again.vector_of("2401.99999") is None
    assert again.memory_bytes() > 300 * DIM and again.disk_bytes() > 300 * DIM * 4


def test_empty_database_gives_an_empty_index(store: Store, settings: Settings) -> None:
    index = _index(store, settings)
    assert index.sync() == 0 and len(index) == 0
    assert index.search(np.ones(DIM, np.float32), 10, Filters()) == []
    assert index.vector_of("2401.00001") is None


def test_uncommitted_bytes_are_ignored_and_unreadable_files_rebuilt(
    store: Store, settings: Settings, corpus: Corpus
) -> None:
    index = _index(store, settings)
    index.sync()
    generation = next(index.folder.glob("gen-*"))
    for name in ("float", "int8", "ids", "categories"):  # a writer that died before writing meta.json
        with open(generation / name, "ab") as file:
            file.write(b"\x07" * 1000)
    reopened = _index(store, settings)
    query = _queries(1)[0]
    _same(reopened.search(query, 10, Filters()), corpus.exact(query, 10))
    _add_papers(store, corpus, range(300, 305), np.random.default_rng(3))
    assert reopened.sync() == 5
    _same(_index(store, settings).search(query, 10, Filters()), corpus.exact(query, 10))
    (generation / "int8").unlink()
    broken = _index(store, settings)
    assert len(broken) == 0 and broken.sync() == 305
    _same(broken.search(query, 10, FILTERS[4]), corpus.exact(query, 10, FILTERS[4]))


def test_a_vector_replaced_by_another_model_leaves_the_index(store: Store, settings: Settings, corpus: Corpus) -> None:
    index = _index(store, settings)
    index.sync()
    with store.write() as conn:
        row = {
            "id": "2401.00001",
            "content_hash": conn.execute(
                sa.select(papers.c.content_hash).where(papers.c.id == "2401.00001")
            ).scalar_one(),
        }
        save_vectors(conn, "another/model", [row], np.ones((1, 8), np.float32))
    del corpus.vectors["2401.00001"]
    assert index.sync() == 1 and len(index) == 299 and index.vector_of("2401.00001") is None
    query = corpus.vectors["2401.00002"]
    _same(index.search(query, 10, Filters()), corpus.exact(query, 10))


def test_a_sync_with_nothing_new_reads_no_rows_and_a_late_commit_is_still_seen(
    store: Store, settings: Settings, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a bulk load every row lies in the slack window; a sync must not re-read them all, idle or not."""
    from paperwire.search import vector_index as module
    from paperwire.store.schema import embeddings

    index = _index(store, settings)
    index.sync()
    reads: list[int] = []
    real = module.iter_index_rows

    def counting(*args, **kwargs):
        for batch in real(*args, **kwargs):
            reads.append(len(batch))
            yield batch

    monkeypatch.setattr(module, "iter_index_rows", counting)
    assert index.sync() == 0 and index.sync() == 0
    assert reads == []  # not even the first: the build counted the window's stamps
    # Another node writes one vector while every row is still inside the window: a sync reads that row alone.
    rng = np.random.default_rng(3)
    _replace_vectors(store, corpus, ["2401.00005"], rng)
    assert index.sync() == 1 and sum(reads) == 1
    # A transaction that stamped a row inside the window but committed after the last sync:
    meta = json.loads((index.folder / "meta.json").read_text())
    late = datetime.fromisoformat(meta["watermark"]) - timedelta(minutes=1)
    _replace_vectors(store, corpus, ["2401.00007"], rng)
    with store.write() as conn:
        conn.execute(embeddings.update().where(embeddings.c.paper_id == "2401.00007").values(updated_at=late))
    reads.clear()
    assert index.sync() == 1 and sum(reads) == 1
    for query in _queries():
        _same(index.search(query, 10, Filters()), corpus.exact(query, 10, Filters()))
