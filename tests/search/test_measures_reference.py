"""Ranking measures checked against a reference: nDCG@k, Recall@k and MRR@k of paperwire.search.ranking_measures (what
`paperwire eval` and the benches print) against trec_eval's, as ir-measures computes them with pytrec_eval.

The hand-made fixture covers what such code gets wrong: graded relevance (0 to 3, and TREC's negative
grades for junk), ties in grade, relevant papers just inside and just outside the cut-offs, a query
with no relevant paper, a query the run never answered, a ranking longer than 100, and ties in the fused
scores. Both fusion methods are then run end to end, from a keyword and a semantic ranking through
`fuse`, and from a real store through `run_eval`, and their figures are checked the same way.

Conventions, both checked below: trec_eval ranks a run by score, breaking ties by document id
*descending*, whereas Paperwire's rankings are ordered lists (fuse breaks ties by id ascending); so the
reference is given each list with strictly decreasing scores, and evaluates the order Paperwire shows.
Paperwire averages over the queries with at least one relevant paper, where ir-measures counts a query
with none as 0; the reference mean is taken over the same queries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import ir_measures
import pytest
from ir_measures import RR, R, nDCG

from paperwire.config import Settings
from paperwire.papers.load import ingest_paths
from paperwire.search import evaluate as evaluate_module
from paperwire.search.evaluate import parse_variant, run_eval
from paperwire.search.hybrid import fuse
from paperwire.search.indexer import import_vectors
from paperwire.search.ranking_measures import evaluate, mrr_at, ndcg_at, recall_at
from paperwire.store import Store
from tests.conftest import FIXTURES

TOLERANCE = 1e-9
PYTREC_EVAL = ir_measures.pytrec_eval  # the provider named, so no other implementation stands in for it

Ranking = Sequence[str]
Qrels = Mapping[str, Mapping[str, int]]


def _docs(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i:03d}" for i in range(n)]


# Rankings as Paperwire returns them: ordered lists of ids.
RUNS: dict[str, list[str]] = {
    # Graded, with a negative grade ranked first and a grade-0 paper, relevant papers inside and outside @10.
    "graded": ["junk", "g2", "zero", "g3", "x1", "g1a", "x2", "x3", "x4", "x5", "g1b", "x6", "g2b"],
    # Ties in grade: twelve papers of grade 1, more than the cut-off holds; seven of them found, at varied ranks.
    "tied-grades": ["t00", "n1", "t01", "t02", "n2", "t03", "n3", "n4", "t04", "t05", "t06", "n5", "t07"],
    # Relevant papers at ranks 10, 11, 100 and 101: each cut-off must include the first and drop the second.
    "cut-offs": [*_docs("c", 9), "r10", "r11", *_docs("d", 88), "r100", "r101", *_docs("e", 19)],
    # The first relevant paper at rank 1 and one judged relevant that the run never found.
    "first": ["f1", "o1", "o2"],
    # Only papers judged 0 or negative: no relevant paper at all (left out of Paperwire's mean).
    "no-relevant": ["z1", "z2", "neg"],
    # A run that found nothing (an empty list); and "unanswered" below has no entry at all.
    "empty": [],
    # Answered but unjudged: not in the qrels, so it counts nowhere.
    "unjudged": ["a", "b"],
}

QRELS: dict[str, dict[str, int]] = {
    "graded": {"junk": -1, "zero": 0, "g3": 3, "g2": 2, "g2b": 2, "g1a": 1, "g1b": 1, "g3-missed": 3},
    "tied-grades": {f"t{i:02d}": 1 for i in range(12)} | {"n1": 0},
    "cut-offs": {"r10": 2, "r11": 1, "r100": 1, "r101": 3},
    "first": {"f1": 1, "never-found": 2},
    "no-relevant": {"z1": 0, "z2": 0, "neg": -2},
    "empty": {"e1": 1},
    "unanswered": {"u1": 1, "u2": 2},
}

CUTOFFS = [1, 3, 5, 10, 11, 20, 100, 101, 1000]


def _scored(runs: Mapping[str, Ranking]) -> dict[str, dict[str, float]]:
    """The lists as a trec_eval run: strictly decreasing scores, so trec_eval keeps Paperwire's order."""
    return {q: {doc: float(len(ranking) - rank) for rank, doc in enumerate(ranking)} for q, ranking in runs.items()}


def _with_relevant(qrels: Qrels) -> dict[str, dict[str, int]]:
    return {q: dict(judged) for q, judged in qrels.items() if any(grade > 0 for grade in judged.values())}


def _reference_per_query(runs: Mapping[str, Ranking], qrels: Qrels, k: int) -> dict[str, dict[str, float]]:
    """trec_eval's ndcg_cut.k, recall.k and recip_rank of the run cut at k (its recip_rank has no cut-off)."""
    full, cut = _scored(runs), _scored({q: list(ranking)[:k] for q, ranking in runs.items()})
    found: dict[str, dict[str, float]] = {q: {} for q in qrels}
    for metric in PYTREC_EVAL.iter_calc([nDCG @ k, R @ k], qrels, full):
        found[metric.query_id][str(metric.measure)] = metric.value
    for metric in PYTREC_EVAL.iter_calc([RR], qrels, cut):
        found[metric.query_id]["RR"] = metric.value
    return {q: {"ndcg": v[f"nDCG@{k}"], "recall": v[f"R@{k}"], "mrr": v["RR"]} for q, v in found.items()}


def _reference(runs: Mapping[str, Ranking], qrels: Qrels) -> dict[str, float]:
    """The figures `evaluate` reports, computed by ir-measures over the queries that have a relevant paper."""
    judged = _with_relevant(qrels)
    figures = PYTREC_EVAL.calc_aggregate([nDCG @ 10, R @ 100], judged, _scored(runs))
    cut = PYTREC_EVAL.calc_aggregate([RR], judged, _scored({q: list(r)[:10] for q, r in runs.items()}))
    return {"ndcg@10": figures[nDCG @ 10], "recall@100": figures[R @ 100], "mrr@10": cut[RR], "queries": len(judged)}


def _assert_same(ours: Mapping[str, float], reference: Mapping[str, float]) -> None:
    assert ours.keys() == reference.keys()
    for name, value in reference.items():
        assert ours[name] == pytest.approx(value, abs=TOLERANCE, rel=0), name


def test_the_fixture_exercises_what_it_claims() -> None:
    """Guards the fixture: without these the checks below could pass on easy data."""
    grades = {grade for judged in QRELS.values() for grade in judged.values()}
    assert {-2, -1, 0, 1, 2, 3} <= grades
    assert len(RUNS["cut-offs"]) > 101 and RUNS["cut-offs"].index("r101") == 100
    assert "unanswered" not in RUNS and RUNS["empty"] == [] and "unjudged" not in QRELS
    reference = _reference_per_query(RUNS, QRELS, 10)
    assert 0 < reference["graded"]["ndcg"] < 1 and reference["no-relevant"] == {"ndcg": 0, "recall": 0, "mrr": 0}


@pytest.mark.parametrize("k", CUTOFFS)
def test_per_query_measures_equal_trec_eval(k: int) -> None:
    reference = _reference_per_query(RUNS, QRELS, k)
    for query, judged in QRELS.items():
        ranking = RUNS.get(query, [])
        ours = {
            "ndcg": ndcg_at(ranking, judged, k),
            "recall": recall_at(ranking, judged, k),
            "mrr": mrr_at(ranking, judged, k),
        }
        _assert_same(ours, reference[query])


def test_mean_measures_equal_trec_eval() -> None:
    ours = evaluate(RUNS, QRELS)
    _assert_same(ours, _reference(RUNS, QRELS))
    assert ours["queries"] == 6  # "no-relevant" is left out; "empty" and "unanswered" count as 0


def test_a_query_without_relevant_papers_is_left_out_of_the_mean_not_counted_as_zero() -> None:
    """The one place Paperwire and ir-measures' default differ, on purpose: such a query scores 0 for any
    ranking, so it would only lower every variant's figure alike."""
    counted_as_zero = PYTREC_EVAL.calc_aggregate([nDCG @ 10], QRELS, _scored(RUNS))[nDCG @ 10]
    ours = evaluate(RUNS, QRELS)["ndcg@10"]
    assert ours == pytest.approx(counted_as_zero * len(QRELS) / (len(QRELS) - 1), abs=TOLERANCE, rel=0)
    assert evaluate({"q": ["a"]}, {"q": {"a": 0}}) == {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0, "queries": 0}


# Fusion: a keyword ranking (BM25 scores, with the query's full-match score) and a semantic one (cosines) per
# query, over papers judged in FUSION_QRELS. Chosen so the methods order them differently and so RRF ties.
KEYWORD: dict[str, list[tuple[str, float]]] = {
    "q1": [("p1", 9.0), ("p2", 7.5), ("p3", 3.0), ("p4", 2.0), ("p5", 1.0)],
    "q2": [("p7", 12.0), ("p8", 4.0), ("p9", 3.9)],
    "q3": [],  # no keyword match: semantic alone
    "q4": [("s1", 5.0), ("s2", 5.0), ("s3", 1.0)],  # tied BM25 scores
}
KEYWORD_FULL = {"q1": 14.0, "q2": 15.0, "q3": 10.0, "q4": 20.0}
SEMANTIC: dict[str, list[tuple[str, float]]] = {
    "q1": [("p6", 0.81), ("p3", 0.79), ("p1", 0.55), ("p12", 0.52), ("p2", 0.30)],
    "q2": [("p10", 0.70), ("p9", 0.69), ("p11", 0.61), ("p7", 0.20)],
    "q3": [("p13", 0.50), ("p14", 0.49), ("p15", 0.48)],
    "q4": [("s4", 0.60), ("s3", 0.60), ("s5", 0.10)],  # tied cosines
}
FUSION_QRELS: dict[str, dict[str, int]] = {
    "q1": {"p3": 3, "p6": 2, "p1": 1, "p4": 1, "p5": -1},
    "q2": {"p9": 2, "p10": 1, "p8": 0},
    "q3": {"p15": 2, "p14": 1},
    "q4": {"s2": 1, "s4": 2},
    "q5": {"p16": 1},  # a query neither side answered
}


def _fused(method: str) -> dict[str, list[str]]:
    return {
        q: [doc for doc, _ in fuse(KEYWORD[q], SEMANTIC[q], method=method, keyword_full=KEYWORD_FULL[q])]
        for q in KEYWORD
    }


@pytest.mark.parametrize("method", ["calibrated", "rrf"])
def test_fused_rankings_are_measured_as_trec_eval_measures_them(method: str) -> None:
    runs = _fused(method)
    _assert_same(evaluate(runs, FUSION_QRELS), _reference(runs, FUSION_QRELS))
    for k in (1, 3, 10):
        reference = _reference_per_query(runs, FUSION_QRELS, k)
        for q, judged in FUSION_QRELS.items():
            ranking = runs.get(q, [])
            assert ndcg_at(ranking, judged, k) == pytest.approx(reference[q]["ndcg"], abs=TOLERANCE, rel=0)


def test_the_fusion_fixture_tells_the_methods_apart_and_has_ties() -> None:
    assert _fused("calibrated") != _fused("rrf")
    assert evaluate(_fused("calibrated"), FUSION_QRELS) != evaluate(_fused("rrf"), FUSION_QRELS)
    for method in ("calibrated", "rrf"):
        scores = [score for _, score in fuse(KEYWORD["q4"], SEMANTIC["q4"], method=method, keyword_full=20.0)]
        assert len(set(scores)) < len(scores), f"{method}: no tie in q4"
        # And the ties matter: given the fused scores, trec_eval would order tied papers by id descending and
        # measure a ranking nobody is shown; hence the reference gets Paperwire's order as scores (_scored).
        raw = {q: dict(fuse(KEYWORD[q], SEMANTIC[q], method=method, keyword_full=KEYWORD_FULL[q])) for q in KEYWORD}
        as_shown = PYTREC_EVAL.calc_aggregate([nDCG @ 10], FUSION_QRELS, _scored(_fused(method)))[nDCG @ 10]
        assert PYTREC_EVAL.calc_aggregate([nDCG @ 10], FUSION_QRELS, raw)[nDCG @ 10] != pytest.approx(as_shown)


PAPERS = FIXTURES / "papers-300.jsonl"
RECORDS = [json.loads(line) for line in PAPERS.open(encoding="utf-8")]


def _labelled_papers() -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """Graded queries on the 300 fixture papers: five words from an abstract; its paper is grade 2, the first
    papers that share one of the query's long words grade 1, and the next one -1 (junk); and one query whose
    only judgement is 0."""
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for record in RECORDS[:30]:
        words = record["abstract"].split()
        queries[record["id"]] = " ".join(words[len(words) // 3 : len(words) // 3 + 5])
        long_words = {w.lower().strip(".,;:()") for w in queries[record["id"]].split() if len(w) >= 7}
        sharing = [
            r["id"]
            for r in RECORDS
            if r["id"] != record["id"] and long_words & set(f"{r['title']} {r['abstract']}".lower().split())
        ]
        qrels[record["id"]] = {record["id"]: 2} | dict.fromkeys(sharing[:5], 1) | dict.fromkeys(sharing[5:6], -1)
    queries["nothing-relevant"] = RECORDS[0]["title"]
    qrels["nothing-relevant"] = {RECORDS[0]["id"]: 0}
    return queries, qrels


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_eval_figures_of_both_fusions_equal_trec_eval_end_to_end(
    store: Store, settings: Settings, default_embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run_eval` searches a real store with each fusion; the figures it reports are checked against ir-measures
    on the very rankings it measured."""
    ingest_paths(store, [PAPERS])
    import_vectors(store, FIXTURES / "papers-300.vectors.npz", default_embedder.name)
    queries, qrels = _labelled_papers()
    measured: list[tuple[dict[str, list[str]], dict[str, dict[str, int]]]] = []

    def spy(runs: dict[str, list[str]], judged: dict[str, dict[str, int]]) -> dict[str, float]:
        measured.append((runs, judged))
        return evaluate(runs, judged)

    monkeypatch.setattr(evaluate_module, "evaluate", spy)
    figures = run_eval(
        store, settings, queries, qrels, default_embedder, [parse_variant("calibrated"), parse_variant("rrf")]
    )
    assert list(figures) == ["hybrid-calibrated", "hybrid-rrf"] and len(measured) == 2
    for label, (runs, judged) in zip(figures, measured, strict=True):
        assert all(len(ranking) > 10 for ranking in runs.values()), "rankings too short to test the cut-offs"
        _assert_same(figures[label], _reference(runs, judged))
        assert figures[label]["queries"] == 30
    calibrated, rrf = (runs for runs, _ in measured)
    assert calibrated != rrf
