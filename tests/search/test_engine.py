"""The one search function: modes, filters, the query language, paging, similar and recommend, on both backends
(on PostgreSQL with the database's indexes and with embedded ones).

Relevance is checked against a reference (known-item queries, exact brute force), not against itself.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import ClassVar

import numpy as np
import pytest

from paperwire.config import Settings
from paperwire.errors import InvalidInput, NotFound
from paperwire.papers.load import ingest_paths
from paperwire.search.engine import SearchEngine
from paperwire.search.indexer import import_vectors
from paperwire.search.query import Filters
from paperwire.search.similar import recommend, similar
from paperwire.store import Store
from tests.conftest import FIXTURES

PAPERS = FIXTURES / "papers-300.jsonl"
VECTORS = FIXTURES / "papers-300.vectors.npz"
RECORDS = [json.loads(line) for line in PAPERS.open(encoding="utf-8")]
BY_ID = {r["id"]: r for r in RECORDS}


@pytest.fixture
def engine(store: Store, settings: Settings, search_index: str, default_embedder) -> SearchEngine:
    ingest_paths(store, [PAPERS])
    import_vectors(store, VECTORS, default_embedder.name)
    search = SearchEngine(settings.model_copy(update={"search_index": search_index}), store, embedder=default_embedder)
    search.sync()
    return search


def _reciprocal_rank(ids: list[str], wanted: str) -> float:
    return 1.0 / (ids.index(wanted) + 1) if wanted in ids else 0.0


def test_known_item_search_finds_the_paper_by_its_title(engine: SearchEngine) -> None:
    sample = RECORDS[::10]  # 30 papers
    mrr = {}
    for mode in ("keyword", "semantic", "hybrid"):
        ranks = [
            _reciprocal_rank([h.id for h in engine.search(r["title"], mode=mode, limit=10).hits], r["id"])
            for r in sample
        ]
        mrr[mode] = sum(ranks) / len(ranks)
    # Measured: keyword 1.0, semantic 1.0, hybrid 1.0 on this sample; thresholds sit below.
    assert mrr["keyword"] >= 0.9 and mrr["semantic"] >= 0.9 and mrr["hybrid"] >= 0.9, mrr


def test_semantic_search_matches_meaning_without_shared_words(engine: SearchEngine) -> None:
    hits = engine.search("self-driving car sensor simulation", mode="semantic", limit=5).hits
    assert "2503.11731" in [h.id for h in hits]  # "Industrial-Grade Sensor Simulation via Gaussian Splatting"


def _categories(hit) -> set[str]:
    return set(BY_ID[hit.id]["categories"])


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_filters_never_let_a_paper_outside_through(engine: SearchEngine, mode: str) -> None:
    rare = "cs.RO"
    inside = [r for r in RECORDS if rare in r["categories"]]
    assert 3 <= len(inside) <= 60
    # (a query that means something: one generic word such as "learning" is only a weak match by meaning alone)
    hits = engine.search("robot learning and control", mode=mode, limit=20, filters=Filters(categories=(rare,))).hits
    assert hits and all(rare in _categories(h) for h in hits)
    if mode == "semantic":  # a selective filter still fills the page when enough papers pass it
        assert len(hits) == min(20, len(inside))
    day = date(2025, 3, 18)  # every fixture paper was first listed that day
    dated = engine.search("language model", mode=mode, limit=20, filters=Filters(since=day, until=day)).hits
    assert dated and all(h.published == day for h in dated)
    assert engine.search("language model", mode=mode, filters=Filters(since=date(2025, 3, 19))).hits == []


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_author_filter_ignores_accents_and_case(engine: SearchEngine, mode: str) -> None:
    paper, author = next((r, a) for r in RECORDS for a in r["authors"] if re.search(r"[^\x00-\x7f]", a))
    folded = author.lower().replace("é", "e").replace("ü", "u").replace("ó", "o").replace("á", "a").replace("í", "i")
    word = max(paper["title"].split(), key=len)  # a word of one of the author's papers
    hits = engine.search(f'{word} author:"{folded}"', mode=mode, limit=10).hits
    assert hits and all(author in BY_ID[h.id]["authors"] for h in hits)


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_phrases_and_excluded_words(engine: SearchEngine, mode: str) -> None:
    hits = engine.search('"language models" -survey -benchmark', mode=mode, limit=20).hits
    assert hits
    for hit in hits:  # the keyword index stems, so "language model" satisfies the phrase too
        words = " ".join(re.findall(r"\w+", (hit.title + " " + hit.abstract).lower()))
        assert re.search(r"\blanguage models?\b", words)
        assert not re.search(r"\b(surveys?|benchmarks?)\b", words)


def test_pages_continue_the_same_ranking(engine: SearchEngine) -> None:
    whole = [h.id for h in engine.search("image segmentation", limit=20).hits]
    paged = [h.id for page in (0, 10) for h in engine.search("image segmentation", limit=10, offset=page).hits]
    assert paged == whole


def test_a_filter_only_query_lists_the_newest_papers_inside_it(engine: SearchEngine) -> None:
    hits = engine.search("cat:cs.CL", limit=10).hits
    assert hits and all("cs.CL" in _categories(h) for h in hits)
    days = [h.published for h in hits]
    assert days == sorted(days, reverse=True)


@pytest.mark.parametrize(
    "text, options, message",
    [
        ('"unclosed', {}, "unbalanced quote"),
        ("x", {"mode": "fuzzy"}, "mode must be one of"),
        ("x", {"limit": 0}, "limit must be between"),
        ("x", {"offset": 5000}, "offset must be between"),
        ("since:2025-05-01 until:2025-01-01", {}, "is after"),
        ("cat:Physics", {}, "not an arXiv category"),
        ("", {}, "type some words"),
    ],
)
def test_malformed_queries_get_a_helpful_message(engine: SearchEngine, text: str, options: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        engine.search(text, **options)


def test_odd_input_never_crashes(engine: SearchEngine) -> None:
    for text in ["AND OR )", "title:(", '"*"', "-", "😀 ünïcödé", "a" * 900, "NOT", "(((", "cat:cs.CL -"]:
        for mode in ("keyword", "semantic", "hybrid"):
            try:
                engine.search(text, mode=mode, limit=5)
            except InvalidInput as exc:  # a clear message is fine; anything else is a crash
                assert exc.message


def _brute_force(engine: SearchEngine, vector: np.ndarray, exclude: set[str], k: int) -> list[str]:
    data = np.load(VECTORS)
    matrix = data["vectors"].astype(np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    order = np.argsort(-(matrix @ vector), kind="stable")
    return [str(data["ids"][i]) for i in order if str(data["ids"][i]) not in exclude][:k]


def test_similar_papers_are_the_nearest_ones_without_the_paper_itself(engine: SearchEngine) -> None:
    hits = similar(engine, "2503.11731", limit=5)
    assert "2503.11731" not in [h.id for h in hits]
    reference = _brute_force(engine, engine.vectors.vector_of("2503.11731"), {"2503.11731"}, 5)
    assert [h.id for h in hits] == reference
    inside = similar(engine, "arXiv:2503.11731v1", limit=5, filters=Filters(categories=("cs.CL",)))
    assert inside and all("cs.CL" in _categories(h) for h in inside)
    with pytest.raises(NotFound):
        similar(engine, "2501.99999")
    with pytest.raises(InvalidInput):
        similar(engine, "not-an-id")


def test_recommendations_follow_the_liked_set(engine: SearchEngine) -> None:
    liked, disliked = ["2503.11731", "2503.11742"], ["2503.11750"]
    hits = recommend(engine, liked, disliked, limit=10)
    ids = [h.id for h in hits]
    assert not set(ids) & {*liked, *disliked} and len(ids) == 10
    vectors = [engine.vectors.vector_of(p) for p in liked]
    target = np.mean(vectors, axis=0) - 0.5 * engine.vectors.vector_of(disliked[0])
    target /= np.linalg.norm(target)
    assert ids == _brute_force(engine, target, {*liked, *disliked}, 10)
    with pytest.raises(InvalidInput):
        recommend(engine, [])


def test_repeated_queries_are_embedded_once(store: Store, settings: Settings, default_embedder) -> None:
    class Counting:
        name, dim = default_embedder.name, default_embedder.dim
        calls: ClassVar[list[list[str]]] = []

        def embed(self, texts):
            self.calls.append(list(texts))
            return default_embedder.embed(texts)

    counting = Counting()
    ingest_paths(store, [PAPERS])
    import_vectors(store, VECTORS, default_embedder.name)
    engine = SearchEngine(settings, store, embedder=counting)
    engine.sync()
    first = [h.id for h in engine.search("video diffusion models", mode="semantic").hits]
    again = [h.id for h in engine.search("video diffusion models", mode="hybrid").hits]
    assert counting.calls == [["video diffusion models"]] and first and again


def test_batched_query_vectors_fill_the_cache(engine: SearchEngine) -> None:
    texts = ["image segmentation", "robot grasping", "language models"]
    one_by_one = [engine.embedder.embed([t])[0] for t in texts]
    engine.embed_queries([*texts, texts[0]])
    for text, vector in zip(texts, one_by_one, strict=True):
        cached = engine._query_vectors[text]
        assert not cached.flags.writeable
        assert np.allclose(cached, vector, atol=1e-6)
    assert engine.query_vector(texts[1]) is engine._query_vectors[texts[1]]


def test_hydrate_reads_each_row_once_with_a_cache(engine: SearchEngine) -> None:
    plain = engine.search("image segmentation", limit=10)
    rows: dict[str, dict] = {}
    first = engine.search("image segmentation", limit=10, rows=rows)
    assert [h.as_dict() for h in first.hits] == [h.as_dict() for h in plain.hits]
    assert set(rows) >= {h.id for h in plain.hits}
    rows[plain.hits[0].id] = {**rows[plain.hits[0].id], "title": "from the cache"}
    again = engine.search("image segmentation", limit=10, rows=rows)
    assert again.hits[0].title == "from the cache"


@pytest.mark.parametrize("filters", [Filters(), Filters(categories=("cs.CV",))], ids=["unfiltered", "cs.CV"])
def test_hybrid_asks_only_the_page_s_depth_of_nearest_papers_and_ranks_as_with_more(
    engine: SearchEngine, filters: Filters
) -> None:
    """The calibrated fusion of a page from the page's depth of nearest papers equals the fusion of FUSION_DEPTH of
    them: every keyword candidate has its cosine either way, and a paper found only by meaning cannot pass the
    `depth` nearer ones."""
    from paperwire.search.engine import FUSION_DEPTH, KEYWORD_FILL_DEPTH
    from paperwire.search.hybrid import fuse
    from paperwire.search.query import parse_query

    asked: list[int] = []
    search_vectors = engine.vectors.search
    engine.vectors.search = lambda vector, limit, *args, **kwargs: (
        asked.append(limit)
        or search_vectors(  # type: ignore[method-assign]
            vector, limit, *args, **kwargs
        )
    )
    for text in ("diffusion models for image generation", "speech recognition", "graph neural networks", "robots"):
        asked.clear()
        page = [hit.id for hit in engine.search(text, mode="hybrid", limit=8, offset=2, filters=filters).hits]
        assert asked == [10]
        query = parse_query(text).with_filters(filters)
        vector = engine.query_vector(query.text)
        keyword = engine.keyword.search(query, KEYWORD_FILL_DEPTH)
        semantic = search_vectors(vector, FUSION_DEPTH, filters)
        seen = {pid for pid, _ in semantic}
        cosines = semantic + engine.vectors.cosines(vector, [pid for pid, _ in keyword if pid not in seen])
        settings = engine.settings
        full = engine.keyword.full_match_score(query)
        fused = fuse(keyword, cosines, method="calibrated", keyword_weight=settings.keyword_weight, keyword_full=full)
        assert len(page) == 8 and page == [pid for pid, _ in fused[2:10]]


def test_hybrid_in_the_database_runs_its_two_legs_at_once(engine: SearchEngine, search_index: str) -> None:
    """On PostgreSQL's own indexes the keyword leg runs in a thread of its own, so both statements are in the
    database together; the embedded indexes run both legs in the caller's thread."""
    import threading

    import sqlalchemy as sa

    from paperwire.search.query import parse_query

    threads: dict[str, set[str]] = {"keyword": set(), "vector": set()}

    def record(conn, cursor, statement, *args) -> None:
        if "search_tsv" in statement:
            threads["keyword"].add(threading.current_thread().name)
        elif "<=>" in statement:
            threads["vector"].add(threading.current_thread().name)

    sa.event.listen(engine.store.engine, "before_cursor_execute", record)
    results = engine.search("graph neural networks for molecules", mode="hybrid", limit=10)
    sa.event.remove(engine.store.engine, "before_cursor_execute", record)
    alone = engine.keyword.search(parse_query("graph neural networks for molecules"), 300)
    assert results.hits and {hit.id for hit in results.hits if "keyword" in hit.ranks} <= {pid for pid, _ in alone}
    if search_index == "database":
        assert threads["vector"] == {threading.current_thread().name}
        assert {name.startswith("paperwire-search-leg") for name in threads["keyword"]} == {True}
    else:
        assert not (threads["keyword"] | threads["vector"]) - {threading.current_thread().name}
