"""The relevance floor: real queries keep their results, nonsense gets "no close matches" (the nearest few,
labelled weak) instead of 20 confident-looking papers, in the engine, the page, the API and the feeds."""

from __future__ import annotations

import json
import random
import re
import string

import pytest
from fastapi.testclient import TestClient

from paperwire.application import Paperwire
from paperwire.config import Settings
from paperwire.papers.load import ingest_paths
from paperwire.search.engine import SearchEngine
from paperwire.search.indexer import import_vectors
from paperwire.search.relevance import NEAREST_SHOWN
from paperwire.store import Store
from paperwire.web.app import create_app
from tests.conftest import FIXTURES

PAPERS = FIXTURES / "papers-300.jsonl"
RECORDS = [json.loads(line) for line in PAPERS.open(encoding="utf-8")]
_rng = random.Random(11)
LETTERS = [
    " ".join(
        "".join(_rng.choice(string.ascii_lowercase) for _ in range(_rng.randint(4, 9)))
        for _ in range(_rng.randint(1, 3))
    )
    for _ in range(25)
]
COMMON = [
    "apple",
    "river",
    "chair",
    "window",
    "music",
    "garden",
    "yellow",
    "breakfast",
    "mountain",
    "pencil",
    "holiday",
    "guitar",
    "kitchen",
    "blanket",
    "orange",
    "bicycle",
    "castle",
    "dragon",
    "wizard",
    "pillow",
    "sandwich",
    "umbrella",
    "tiger",
    "violin",
]
WORDS = [" ".join(_rng.sample(COMMON, _rng.randint(2, 3))) for _ in range(25)]


def _real_queries(mode: str) -> list[str]:
    """Ways people look for these papers: a sentence of what the abstract says and, except by meaning alone, a
    few title words (a fragment such as "Adapter Robust Precise" is a keyword query: its meaning is weak)."""
    queries = []
    for record in RECORDS[:40]:
        if mode != "semantic":
            queries.append(" ".join(re.findall(r"[A-Za-z]{4,}", record["title"])[:3]))
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", record["abstract"].replace("\n", " ")) if "$" not in s]
        queries.append(sentences[0][:200])
    return [q for q in queries if q.strip()]


@pytest.fixture
def engine(store: Store, settings: Settings, default_embedder) -> SearchEngine:
    ingest_paths(store, [PAPERS])
    import_vectors(store, FIXTURES / "papers-300.vectors.npz", default_embedder.name)
    search = SearchEngine(settings, store, embedder=default_embedder)
    search.sync()
    return search


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
def test_real_queries_keep_their_results(engine: SearchEngine, mode: str) -> None:
    queries = _real_queries(mode)
    results = [engine.search(q, mode=mode, limit=20) for q in queries]
    kept = [r for r in results if r.close]
    assert len(kept) >= 0.97 * len(queries), [r.query.text for r in results if not r.close]
    assert all(r.hits[0].match in ("strong", "partial") for r in kept)
    assert all(len(r.hits) == 20 for r in kept if r.query.terms and mode != "keyword")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_nonsense_gets_no_close_matches(engine: SearchEngine, mode: str) -> None:
    for text in LETTERS + WORDS:
        results = engine.search(text, mode=mode, limit=20)
        assert not results.close, (text, [(h.title, h.score, h.match) for h in results.hits[:3]])
        assert len(results.hits) <= NEAREST_SHOWN and all(h.match == "weak" for h in results.hits)
        assert engine.search(text, mode=mode, limit=20, offset=20).hits == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_keyword_mode_finds_nothing_for_letters(engine: SearchEngine) -> None:
    assert all(not engine.search(text, mode="keyword").hits for text in LETTERS)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_authors_name_is_a_close_match(engine: SearchEngine) -> None:
    name = RECORDS[5]["authors"][0]
    results = engine.search(name, mode="hybrid")
    assert results.close and RECORDS[5]["id"] in [h.id for h in results.hits]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_edge_says_so(engine: SearchEngine, settings: Settings, store: Store) -> None:
    app = create_app(Paperwire(settings, store=store, engine=engine))
    client = TestClient(app)
    nonsense, real = "qzxvbn wplkjh", RECORDS[3]["title"]
    page = client.get("/search", params={"q": nonsense}).text
    assert "No close matches" in page and "weak match" in page
    assert "strong match" in client.get("/search", params={"q": real}).text
    items = client.get("/api/papers/search", params={"q": nonsense}).json()
    assert 0 < len(items) <= NEAREST_SHOWN and {i["match"] for i in items} == {"weak"}
    found = client.get("/api/papers/search", params={"q": real}).json()
    assert found[0]["match"] == "strong" and found[0]["paper"]["id"] == RECORDS[3]["id"]
    assert set(found[0]["foundBy"]) == {"keyword", "semantic"}
    assert "<item>" not in client.get("/feeds/search.rss", params={"q": nonsense}).text
    assert "<item>" in client.get("/feeds/search.rss", params={"q": real}).text
