"""Keyword search on both backends: tantivy (SQLite, and PostgreSQL with embedded indexes), and PostgreSQL
full-text search (search_index "database").

Every filtered result is checked against the stored row; rankings are checked against what the
data says should win (the paper's own title, a title hit over an abstract-only hit).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from paperwire.config import Settings
from paperwire.papers.load import ingest_paths
from paperwire.search.backends import KeywordBackend
from paperwire.search.keyword_postgres import PostgresKeywordIndex
from paperwire.search.keyword_tantivy import TantivyKeywordIndex
from paperwire.search.query import Filters, Query, parse_query
from paperwire.store import Store
from paperwire.store.keyword_rows import latest_change, name_words
from paperwire.store.papers import get_paper
from paperwire.store.schema import papers
from tests.conftest import FIXTURES

ALL = 1000  # a limit above the corpus size: the complete result set


def make_index(store: Store, settings: Settings) -> KeywordBackend:
    if store.dialect == "postgresql" and settings.search_index == "database":
        return PostgresKeywordIndex(store, settings)
    return TantivyKeywordIndex(store, settings)


def _records() -> list[dict[str, Any]]:
    """The 300 fixture papers with first-published dates spread over 2025 (every tenth has none)."""
    rows = [json.loads(line) for line in (FIXTURES / "papers-300.jsonl").read_text().splitlines() if line]
    for i, row in enumerate(rows):
        if i % 10 == 9:
            row.pop("published", None)
        else:
            row["published"] = (date(2025, 1, 1) + timedelta(days=i)).isoformat()
    return rows


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


@pytest.fixture
def records() -> list[dict[str, Any]]:
    return _records()


@pytest.fixture
def index(
    store: Store, settings: Settings, search_index: str, records: list[dict[str, Any]], tmp_path: Path
) -> KeywordBackend:
    ingest_paths(store, [_write(tmp_path / "all.jsonl", records)])
    built = make_index(store, settings.model_copy(update={"search_index": search_index}))
    built.sync()
    return built


def _row(store: Store, paper_id: str) -> dict[str, Any]:
    with store.read() as conn:
        row = get_paper(conn, paper_id)
    assert row is not None
    return row


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text))


def _has_author(row: dict[str, Any], name: str) -> bool:
    wanted = set(name_words(name))
    return any(wanted <= set(name_words(author)) for author in row["authors"])


def test_a_title_query_ranks_that_paper_first(index: KeywordBackend, records: list[dict[str, Any]]) -> None:
    for row in records[::37]:
        results = index.search(parse_query(_words(row["title"])), 10)
        assert results[0][0] == row["id"], row["title"]
        assert [score for _, score in results] == sorted((score for _, score in results), reverse=True)


def test_a_title_hit_outranks_an_abstract_only_hit(index: KeywordBackend, records: list[dict[str, Any]]) -> None:
    word = "segmentation"
    in_title = {r["id"] for r in records if word in r["title"].lower()}
    abstract_once = {
        r["id"] for r in records if word not in r["title"].lower() and r["abstract"].lower().count(word[:7]) == 1
    }
    assert len(in_title) >= 10 and len(abstract_once) >= 5
    ranked = [pid for pid, _ in index.search(parse_query(word), ALL)]
    assert in_title <= set(ranked) and abstract_once <= set(ranked)
    last_title_hit = max(ranked.index(pid) for pid in in_title)
    first_abstract_hit = min(ranked.index(pid) for pid in abstract_once)
    assert last_title_hit < first_abstract_hit


def test_a_phrase_must_match_as_a_phrase(index: KeywordBackend, store: Store) -> None:
    bag = {pid for pid, _ in index.search(parse_query("language large models"), ALL)}
    phrase = [pid for pid, _ in index.search(parse_query('"large language models"'), ALL)]
    assert phrase and set(phrase) < bag
    for pid in phrase:
        row = _row(store, pid)
        text = " ".join(re.findall(r"\w+", f"{row['title']} {row['abstract']}".lower()))
        assert re.search(r"\blarge language model", text), pid
    # a phrase plus free words: the phrase still decides what matches, the words only rank
    mixed = {pid for pid, _ in index.search(parse_query('"large language models" robot'), ALL)}
    assert mixed == set(phrase)


def test_an_excluded_word_removes_papers(index: KeywordBackend, store: Store) -> None:
    everything = {pid for pid, _ in index.search(parse_query("diffusion"), ALL)}
    without = {pid for pid, _ in index.search(parse_query("diffusion -video"), ALL)}
    assert without and without < everything
    for pid in everything - without:
        row = _row(store, pid)
        assert "video" in f"{row['title']} {row['abstract']}".lower()
    for pid in without:
        row = _row(store, pid)
        assert not re.search(r"\bvideos?\b", f"{row['title']} {row['abstract']}".lower())


@pytest.mark.parametrize("categories", [("cs.CL",), ("cs.RO", "eess.IV"), ("cs.AI",)])
def test_a_category_filter_lets_nothing_else_through(
    index: KeywordBackend, store: Store, categories: tuple[str, ...]
) -> None:
    query = parse_query("model learning data").with_filters(Filters(categories=categories))
    results = index.search(query, ALL)
    assert results
    for pid, _ in results:
        assert set(_row(store, pid)["categories"]) & set(categories)
    # filters act inside the search: a small limit is filled from inside the filter
    assert len(index.search(query, 3)) == 3


def test_a_date_filter_lets_nothing_else_through(index: KeywordBackend, store: Store) -> None:
    since, until = date(2025, 3, 1), date(2025, 6, 30)
    results = index.search(parse_query(f"model learning data since:{since} until:{until}"), ALL)
    unfiltered = index.search(parse_query("model learning data"), ALL)
    assert results and len(results) < len(unfiltered)
    for pid, _ in results:
        published = _row(store, pid)["published"]
        assert published is not None and since <= published <= until
    only_since = index.search(parse_query("model learning data since:2025-10-01"), ALL)
    assert only_since and all(_row(store, pid)["published"] >= date(2025, 10, 1) for pid, _ in only_since)
    dateless = {pid for pid, _ in unfiltered if _row(store, pid)["published"] is None}
    assert dateless  # papers without a date exist, match without filter, and fail every date filter
    assert not dateless & {pid for pid, _ in index.search(parse_query("model learning data until:2030-01-01"), ALL)}


def test_author_filters_ignore_accents_and_case_and_combine(index: KeywordBackend, store: Store) -> None:
    plain = index.search(parse_query('generation author:"CENGIZ OZTIRELI"'), ALL)
    assert [pid for pid, _ in plain] == ["2503.11958"]
    both = index.search(parse_query('diffusion author:"paula perez-toro" author:"TOMAS ARIAS VERGARA"'), ALL)
    assert [pid for pid, _ in both] == ["2503.12102"]
    assert index.search(parse_query('diffusion author:"paula perez-toro" author:"Cengiz Öztireli"'), ALL) == []
    # the words of one name must belong to one author, not be spread over two
    assert index.search(parse_query('diffusion author:"paula arias"'), ALL) == []
    results = index.search(parse_query("model learning author:chen"), ALL)
    assert 3 <= len(results) < len(index.search(parse_query("model learning"), ALL))
    for pid, _ in results:
        assert _has_author(_row(store, pid), "chen")
    assert len(index.search(parse_query("model learning author:chen"), 2)) == 2


def test_ids_with_authors(index: KeywordBackend, records: list[dict[str, Any]]) -> None:
    def expected(*names: str) -> set[str]:
        return {r["id"] for r in records if all(_has_author(r, name) for name in names)}

    assert index.ids_with_authors(("Qifeng Chen",)) == expected("Qifeng Chen") != set()
    assert index.ids_with_authors(("chen", "li")) == expected("chen", "li") != set()
    assert index.ids_with_authors(("cengiz öztireli",)) == expected("Cengiz Oztireli") != set()
    assert index.ids_with_authors(("Nobody Atall",)) == set()
    # "Chen Qifeng" (words of one name, any order) but not words taken from two different authors
    first = records[0]["authors"]
    spread = f"{first[0].split()[0]} {first[1].split()[-1]}"
    assert index.ids_with_authors((spread,)) == expected(spread)


@pytest.mark.parametrize(
    "text",
    [
        "AND OR )",
        "title:(",
        '"*"',
        "(((",
        "a:b:c \\ / * ? ~ ^ [ ] { }",
        "ünïcödé 数据 😀 ﬁ",
        " ".join(["word"] * 150),
        "x" * 900,
        "-",
        '"" - +',
        "NOT -NOT",
        "author:x",
        "'; DROP TABLE papers; --",
    ],
)
def test_odd_input_returns_normally(index: KeywordBackend, text: str) -> None:
    results = index.search(parse_query(text), 10)
    assert isinstance(results, list) and len(results) <= 10


def test_no_free_text_means_no_search(index: KeywordBackend) -> None:
    assert index.search(parse_query("cat:cs.CV"), 10) == []
    assert index.search(parse_query("-diffusion"), 10) == []
    assert index.search(Query(), 10) == []
    assert index.search(parse_query("diffusion"), 0) == []


def test_incremental_sync_equals_a_rebuilt_index(
    store: Store, settings: Settings, search_index: str, records: list[dict[str, Any]], tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"search_index": search_index})
    ingest_paths(store, [_write(tmp_path / "first.jsonl", records[:200])])
    incremental = make_index(store, settings)
    incremental.sync()
    assert incremental.search(parse_query(_words(records[250]["title"])), 5)[0][0] != records[250]["id"]
    ingest_paths(store, [_write(tmp_path / "rest.jsonl", records[200:])])
    renamed = dict(records[10], title="Quokkas and wombats: marsupial detection in the wild")
    ingest_paths(store, [_write(tmp_path / "renamed.jsonl", [renamed])])
    changed = incremental.sync()
    if isinstance(incremental, TantivyKeywordIndex):
        assert changed == 101
        assert incremental.sync() == 0  # nothing new: nothing re-read, even inside the slack window
    assert incremental.search(parse_query(_words(records[250]["title"])), 5)[0][0] == records[250]["id"]
    assert incremental.search(parse_query("quokkas wombats"), 5)[0][0] == records[10]["id"]

    rebuilt = make_index(store, settings.model_copy(update={"home": tmp_path / "other-home"}))
    assert rebuilt.rebuild() == 300
    for text in [
        "diffusion",
        "quokkas",
        _words(records[10]["title"]),
        '"large language models" -video',
        "segmentation cat:eess.IV",
        "robot since:2025-05-01",
        'model author:"Qifeng Chen"',
    ]:
        query = parse_query(text)
        assert {p for p, _ in incremental.search(query, ALL)} == {p for p, _ in rebuilt.search(query, ALL)}, text


def test_hidden_papers_disappear_after_sync(index: KeywordBackend, store: Store, records: list[dict[str, Any]]) -> None:
    target = records[0]
    query = parse_query(_words(target["title"]))
    assert index.search(query, 5)[0][0] == target["id"]
    with store.write() as conn:  # hiding a paper bumps updated_at, as every change of a paper row must
        conn.execute(
            papers.update().where(papers.c.id == target["id"]).values(hidden=True, updated_at=datetime.now(UTC))
        )
    index.sync()
    assert target["id"] not in {pid for pid, _ in index.search(query, ALL)}
    assert target["id"] not in index.ids_with_authors((target["authors"][0],))
    with store.write() as conn:
        conn.execute(
            papers.update().where(papers.c.id == target["id"]).values(hidden=False, updated_at=datetime.now(UTC))
        )
    index.sync()
    assert index.search(query, 5)[0][0] == target["id"]


def test_latest_change_follows_the_papers(store: Store, records: list[dict[str, Any]], tmp_path: Path) -> None:
    with store.read() as conn:
        assert latest_change(conn) is None
    before = datetime.now(UTC)
    ingest_paths(store, [_write(tmp_path / "few.jsonl", records[:5])])
    with store.read() as conn:
        latest = latest_change(conn)
    assert latest is not None and before - timedelta(seconds=1) <= latest <= datetime.now(UTC)


def test_tantivy_index_survives_reopening(
    store: Store, settings: Settings, records: list[dict[str, Any]], tmp_path: Path
) -> None:
    ingest_paths(store, [_write(tmp_path / "all.jsonl", records)])
    assert TantivyKeywordIndex(store, settings).sync() == 300
    reopened = TantivyKeywordIndex(store, settings)
    assert reopened.sync() == 0
    assert len(reopened) == 300
    assert reopened.search(parse_query(_words(records[5]["title"])), 1)[0][0] == records[5]["id"]


def test_a_change_committed_late_is_still_picked_up(
    index: KeywordBackend, store: Store, records: list[dict[str, Any]]
) -> None:
    """A writer stamps updated_at before it commits: a sync in between must not lose its rows."""
    index.search(parse_query("anything"), 1)
    with store.write() as conn:
        conn.execute(
            papers.update()
            .where(papers.c.id == records[20]["id"])
            .values(title="Platypus echolocation", updated_at=datetime.now(UTC) - timedelta(minutes=2))
        )
    index.sync()
    assert [pid for pid, _ in index.search(parse_query("platypus"), 5)] == [records[20]["id"]]
    assert index.sync() == 0 or isinstance(index, PostgresKeywordIndex)


def test_a_sync_with_nothing_new_writes_nothing(tmp_path) -> None:
    """So searching keeps working on a full or read-only disk, and workers do not race on the state file."""
    from paperwire.config import load_settings
    from paperwire.papers.load import ingest_paths
    from paperwire.search.keyword_tantivy import TantivyKeywordIndex
    from paperwire.store import Store
    from tests.conftest import FIXTURES

    settings = load_settings(home=tmp_path / "home")
    store = Store.open(settings)
    try:
        ingest_paths(store, [FIXTURES / "snapshot-first200.jsonl"])
        index = TantivyKeywordIndex(store, settings)
        assert index.sync() == 200
        before = {p.name: p.stat().st_mtime_ns for p in index.path.iterdir()}
        index.path.chmod(0o555)  # as root this does not stop writes, so compare the folder too
        try:
            assert index.sync() == 0
        finally:
            index.path.chmod(0o755)
        assert {p.name: p.stat().st_mtime_ns for p in index.path.iterdir()} == before
    finally:
        store.close()


def _bm25_from_tsvectors(store: Store, lexemes: list[str]) -> list[tuple[str, float]]:
    """BM25 of every visible paper for `lexemes`, computed here from the stored tsvectors and lengths (the
    reference for the SQL): Lucene's idf and k1/b, title + abstract occurrences once, author ones a fifth."""
    import math

    import sqlalchemy as sa

    from paperwire.store.bm25_rows import AUTHOR_WEIGHT, K1, B

    with store.read() as conn:
        docs = conn.execute(
            sa.text(
                "SELECT p.id, octet_length(p.title) + octet_length(p.abstract) AS length, p.hidden, "
                "array(SELECT x.lexeme || ':' || array_to_string(x.weights, '') FROM unnest(p.search_tsv) x) AS terms "
                "FROM papers p"
            )
        ).all()
    papers = len(docs)
    mean = sum(d.length for d in docs) / papers
    holding = {lx: sum(any(t.rsplit(":", 1)[0] == lx for t in d.terms) for d in docs) for lx in lexemes}
    scores = []
    for d in docs:
        weights = {t.rsplit(":", 1)[0]: t.rsplit(":", 1)[1] for t in d.terms}
        score = 0.0
        for lx in lexemes:
            if lx not in weights:
                continue
            tf = sum(w in "AB" for w in weights[lx]) + AUTHOR_WEIGHT * weights[lx].count("C")
            idf = math.log(1 + (papers - holding[lx] + 0.5) / (holding[lx] + 0.5))
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * d.length / mean))
        if score and not d.hidden:
            scores.append((d.id, score))
    return sorted(scores, key=lambda hit: (-hit[1], hit[0]))


def test_postgresql_ranks_by_bm25_as_computed_from_its_tsvectors(index: KeywordBackend, store: Store) -> None:
    """With every candidate word in budget, the SQL ranking is BM25 over the stored tsvectors, score for score."""
    if not isinstance(index, PostgresKeywordIndex):
        pytest.skip("the BM25 in SQL is the database index's (tantivy's is checked against bm25s)")
    from paperwire.store.bm25_rows import bm25_search, statistics

    with store.read() as conn:
        stats = statistics(conn, "gaussian splatting rendering of language models")
        found = bm25_search(conn, stats, limit=ALL, budget=10**9, depth=ALL)
    expected = _bm25_from_tsvectors(store, [t.lexeme for t in stats.terms])
    assert len(stats.terms) >= 4 and len(found) > 20
    assert [pid for pid, _ in found] == [pid for pid, _ in expected]
    assert [round(score, 6) for _, score in found] == [round(score, 6) for _, score in expected]


def test_postgresql_bounds_a_broad_query_by_its_rare_words(index: KeywordBackend, store: Store) -> None:
    """Under a small budget only papers holding the rarest words are candidates; their scores stay exact."""
    if not isinstance(index, PostgresKeywordIndex):
        pytest.skip("the BM25 in SQL is the database index's (tantivy's is checked against bm25s)")
    from paperwire.store.bm25_rows import bm25_search, bounding_terms, statistics

    with store.read() as conn:
        stats = statistics(conn, "gaussian splatting rendering of language models")
        rarest = min(stats.terms, key=lambda t: t.papers)
        budget = rarest.papers  # exactly the rarest word's papers
        assert [group for group in bounding_terms(stats, budget)] == [(rarest,)]
        found = bm25_search(conn, stats, limit=ALL, budget=budget, depth=ALL)
    expected = dict(_bm25_from_tsvectors(store, [t.lexeme for t in stats.terms]))
    holding = {pid for pid, _ in _bm25_from_tsvectors(store, [rarest.lexeme])}
    assert {pid for pid, _ in found} == holding
    assert all(abs(score - expected[pid]) < 1e-9 for pid, score in found)
    # the rarest word alone over the budget: papers holding the two rarest words, at most the budget of them
    with store.read() as conn:
        groups = bounding_terms(stats, rarest.papers - 1)
        pair = bm25_search(conn, stats, limit=ALL, budget=rarest.papers - 1, depth=ALL)
    assert len(groups) == 1 and len(groups[0]) == 2
    both = holding & {pid for pid, _ in _bm25_from_tsvectors(store, [groups[0][1].lexeme])}
    assert {pid for pid, _ in pair} <= both and len(pair) == min(len(both), rarest.papers - 1)


def test_postgresql_full_match_score_is_the_sum_of_idf(index: KeywordBackend, store: Store) -> None:
    if not isinstance(index, PostgresKeywordIndex):
        pytest.skip("the BM25 in SQL is the database index's (tantivy's is checked against bm25s)")
    from paperwire.store.bm25_rows import statistics

    query = parse_query("gaussian splatting")
    with store.read() as conn:
        stats = statistics(conn, "gaussian splatting")
    assert index.full_match_score(query) == pytest.approx(sum(t.idf for t in stats.terms))
    assert len(stats.terms) == 2 and all(t.idf > 0 for t in stats.terms)


def test_embedded_indexes_on_postgresql_keep_the_databases_statistics_folded(
    store: Store, settings: Settings, records: list[dict[str, Any]], tmp_path: Path
) -> None:
    """With search_index=embedded the database's BM25 change queue is still emptied by each sync (it would
    otherwise grow with every paper), so switching to search_index=database needs no rebuild."""
    if store.dialect != "postgresql":
        pytest.skip("the BM25 statistics live in PostgreSQL")
    from paperwire.search.engine import SearchEngine
    from paperwire.store.bm25_rows import changes_pending

    embedded = SearchEngine(settings.model_copy(update={"search_index": "embedded"}), store)
    ingest_paths(store, [_write(tmp_path / "some.jsonl", records[:50])])
    with store.read() as conn:
        assert changes_pending(conn)
    embedded.sync()
    with store.read() as conn:
        assert not changes_pending(conn)
