"""`paperwire eval` variants: each one really searches with the fusion it names (`hybrid` and `rrf` once printed
the same figures to 16 digits because `hybrid` silently fused by RRF too)."""

from __future__ import annotations

import json

import pytest

from paperwire.config import Settings
from paperwire.papers.load import ingest_paths
from paperwire.search.engine import SearchEngine
from paperwire.search.evaluate import parse_variant, run_eval
from paperwire.search.indexer import import_vectors
from paperwire.search.query import plain_query
from paperwire.search.ranking_measures import evaluate
from paperwire.store import Store
from tests.conftest import FIXTURES

PAPERS = FIXTURES / "papers-300.jsonl"
RECORDS = [json.loads(line) for line in PAPERS.open(encoding="utf-8")]


def _labelled() -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Known-item queries: a few words from the middle of 40 abstracts, each judged relevant to its paper."""
    queries, qrels = {}, {}
    for record in RECORDS[:40]:
        words = record["abstract"].split()
        queries[record["id"]] = " ".join(words[len(words) // 2 : len(words) // 2 + 6])
        qrels[record["id"]] = {record["id"]: 1}
    return queries, qrels


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.slow  # fourteen searches of 40 queries: about 7 s
def test_every_variant_searches_with_the_fusion_it_names(store: Store, settings: Settings, default_embedder) -> None:
    ingest_paths(store, [PAPERS])
    import_vectors(store, FIXTURES / "papers-300.vectors.npz", default_embedder.name)
    queries, qrels = _labelled()
    names = ["hybrid", "rrf", "linear:0.2", "linear:0.8", "calibrated:0.8", "keyword", "semantic"]
    figures = run_eval(store, settings, queries, qrels, default_embedder, [parse_variant(n) for n in names])

    def reference(mode: str, **fusion: object) -> dict[str, float]:
        """The same queries through an engine configured by hand, as a user would set PAPERWIRE_FUSION etc."""
        engine = SearchEngine(settings.model_copy(update=fusion), store, embedder=default_embedder)
        engine.sync()
        runs = {q: [h.id for h in engine.search(plain_query(t), mode=mode, limit=100).hits] for q, t in queries.items()}
        return evaluate(runs, qrels)

    assert figures["hybrid"] == reference("hybrid")  # the settings' own fusion (calibrated by default)
    assert figures["hybrid-rrf"] == reference("hybrid", fusion="rrf")
    assert figures["hybrid-linear-0.2"] == reference("hybrid", fusion="linear", keyword_weight=0.2)
    assert figures["hybrid-linear-0.8"] == reference("hybrid", fusion="linear", keyword_weight=0.8)
    assert figures["hybrid-calibrated-0.8"] == reference("hybrid", fusion="calibrated", keyword_weight=0.8)
    assert figures["keyword"] == reference("keyword")
    assert figures["semantic"] == reference("semantic")
    # And the choices do change the ranking on this set, so the checks above can tell variants apart.
    assert settings.fusion == "calibrated"
    assert figures["hybrid"] != figures["hybrid-rrf"]
    assert figures["hybrid"] != figures["hybrid-calibrated-0.8"]
    assert figures["hybrid-linear-0.2"] != figures["hybrid-linear-0.8"]
