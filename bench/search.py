"""Hybrid search at 1 M papers on one thread: semantic, keyword and hybrid p50/p95, with and without a 10 % filter.

    .venv/bin/python bench/search.py            # 1,000,000 papers (about 5 minutes, ~8 GB peak)
    .venv/bin/python bench/search.py --rows 100000

The data are synthetic, made in this run:
- vectors: a mixture of 2,000 Gaussian clusters of unit vectors (bench/vector_index.py's Mixture), 384 dims;
- text: titles and abstracts whose words are drawn from the word frequencies and lengths of the 74,728 real
  papers of ../shared/data/arxiv-daily-2025-2026 (bench/keyword.py's TextModel); queries are 2-4 words of a
  real title;
- categories: c01..c19, plus c00 on 10 % of papers (the filter), and dates 2007-2026.
A paper's text and vector are not related, so the fused ranking measures cost, not quality (quality is
measured on scifact-train by `paperwire eval`). Both indexes are the product's own (BinaryVectorIndex,
TantivyKeywordIndex), built through their bulk-load entry points rather than a 1 M-row database.
Hybrid = keyword top 100 + semantic top 100 + the product's fusion, with the query vector given (the embedder's
own cost is reported separately: one query through the default model). The baseline of each figure, measured in
the same run, is exact float32 brute force for the vector part (numpy matmul over all rows).
Prints a table, then one JSON line.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import importlib.util


def _bench_module(name: str):
    """Load a sibling benchmark by path (bench/keyword.py would clash with the standard library's keyword)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", Path(__file__).resolve().parent / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_kw, _vx = _bench_module("keyword"), _bench_module("vector_index")
DATA, TextModel, load_real, make_queries = _kw.DATA, _kw.TextModel, _kw.load_real, _kw.make_queries
MODEL, RARE, Mixture, batches, metadata, percentiles = (
    _vx.MODEL,
    _vx.RARE,
    _vx.Mixture,
    _vx.batches,
    _vx.metadata,
    _vx.percentiles,
)

from paperwire.config import load_settings
from paperwire.search.hybrid import fuse
from paperwire.search.keyword_tantivy import TantivyKeywordIndex
from paperwire.search.query import Filters, parse_query
from paperwire.search.vector_index import BinaryVectorIndex
from paperwire.store import Store

DEPTH = 100  # candidates per ranking before fusion, as the engine takes


def papers(text: TextModel, ids: list[str], published: np.ndarray, categories: list[list[str]]):
    rng = np.random.default_rng(5)
    for start in range(0, len(ids), 20_000):
        stop = min(start + 20_000, len(ids))
        titles = text._texts(rng, text.title, stop - start)
        abstracts = text._texts(rng, text.abstract, stop - start)
        for i in range(start, stop):
            yield {
                "id": ids[i],
                "title": titles[i - start],
                "abstract": abstracts[i - start],
                "authors": ["A. Author"],
                "categories": categories[i],
                "published": date.fromordinal(719163 + int(published[i])),
                "hidden": False,
            }


def timed_runs(function, items) -> tuple[dict[str, float], list]:
    for item in items[:5]:
        function(item)  # warm-up
    seconds, results = [], []
    for item in items:
        began = time.perf_counter()
        results.append(function(item))
        seconds.append(time.perf_counter() - began)
    return percentiles(seconds), results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    home = Path(tempfile.mkdtemp(prefix="paperwire-sbench-"))
    settings = load_settings(home=home)
    store = Store.open(settings)
    figures: dict[str, object] = {"rows": args.rows, "queries": args.queries, "threads": 1, "depth": DEPTH}
    try:
        mixture = Mixture(384, 2000, seed=1)
        vectors = mixture.draw(args.rows)
        ids, published, categories = metadata(mixture.rng, args.rows, 0)
        vindex = BinaryVectorIndex(store, settings, MODEL)
        began = time.perf_counter()
        vindex.build(batches(vectors, ids, published, categories))
        figures["vector_build_s"] = round(time.perf_counter() - began, 1)
        real = load_real(DATA)
        kindex = TantivyKeywordIndex(None, settings)  # type: ignore[arg-type] - bulk load only, no database
        began = time.perf_counter()
        kindex.load(papers(TextModel(real), ids, published, categories))
        figures["keyword_build_s"] = round(time.perf_counter() - began, 1)
        print(f"built: vectors {figures['vector_build_s']} s, keyword {figures['keyword_build_s']} s", file=sys.stderr)

        texts = make_queries(real, args.queries, seed=3)
        qvecs = mixture.draw(args.queries)
        rare = np.array([i for i, c in enumerate(categories) if RARE in c], dtype=np.int64)
        figures["filter_selectivity"] = round(len(rare) / args.rows, 4)
        for label, filters in (("unfiltered", Filters()), ("filtered", Filters(categories=(RARE,)))):
            queries = [parse_query(t).with_filters(filters) for t in texts]
            pairs = list(zip(queries, qvecs, strict=True))
            semantic, sem_results = timed_runs(lambda p, filters=filters: vindex.search(p[1], DEPTH, filters), pairs)
            keyword, _ = timed_runs(lambda p: kindex.search(p[0], DEPTH), pairs)
            hybrid, _ = timed_runs(
                lambda p, filters=filters: fuse(
                    kindex.search(p[0], DEPTH), vindex.search(p[1], DEPTH, filters), method=settings.fusion
                ),
                pairs,
            )
            rows = rare if filters else None

            def exact(p, rows=rows):
                matrix = vectors if rows is None else vectors[rows]
                top = np.argpartition(-(matrix @ p[1]), DEPTH)[:DEPTH]
                return [ids[i] for i in (top if rows is None else rows[top])]

            exact_times, _exact_results = timed_runs(exact, pairs[:30])
            exact_hybrid, _ = timed_runs(
                lambda p: fuse(kindex.search(p[0], DEPTH), [(i, 0.0) for i in exact(p)], method=settings.fusion),
                pairs[:30],
            )
            recall = np.mean(
                [
                    len({pid for pid, _ in got[:10]} & _top10(vectors, rows, pair[1], ids)) / 10
                    for got, pair in zip(sem_results, pairs, strict=True)
                ]
            )
            figures[label] = {
                "semantic": semantic,
                "keyword": keyword,
                "hybrid": hybrid,
                "exact_semantic": exact_times,
                "exact_hybrid": exact_hybrid,
                "semantic_speedup_vs_exact_p50": round(exact_times["p50_ms"] / semantic["p50_ms"], 1),
                "hybrid_speedup_vs_exact_p50": round(exact_hybrid["p50_ms"] / hybrid["p50_ms"], 1),
                "semantic_recall_at_10": round(float(recall), 4),
            }
        figures["vector_memory_mb"] = round(vindex.memory_bytes() / 2**20, 1)
        figures["vector_disk_mb"] = round(vindex.disk_bytes() / 2**20, 1)
        figures["keyword_disk_mb"] = round(
            sum(f.stat().st_size for f in (home / "index" / "keyword").rglob("*") if f.is_file()) / 2**20, 1
        )
        figures["query_embedding_ms"] = _embed_cost(settings)
    finally:
        store.close()
        shutil.rmtree(home, ignore_errors=True)
    for label in ("unfiltered", "filtered"):
        f = figures[label]
        print(
            f"{label:<11} semantic p50/p95 {f['semantic']['p50_ms']}/{f['semantic']['p95_ms']} ms "
            f"(exact {f['exact_semantic']['p50_ms']} ms, {f['semantic_speedup_vs_exact_p50']}x, recall@10 {f['semantic_recall_at_10']}); "
            f"keyword {f['keyword']['p50_ms']}/{f['keyword']['p95_ms']} ms; hybrid {f['hybrid']['p50_ms']}/{f['hybrid']['p95_ms']} ms "
            f"(with exact vectors {f['exact_hybrid']['p50_ms']} ms, {f['hybrid_speedup_vs_exact_p50']}x)"
        )
    print(
        f"vector index {figures['vector_memory_mb']} MB in memory, {figures['vector_disk_mb']} MB on disk; "
        f"keyword index {figures['keyword_disk_mb']} MB on disk; one query embedding {figures['query_embedding_ms']} ms"
    )
    print(json.dumps(figures))


def _top10(vectors: np.ndarray, rows, query: np.ndarray, ids: list[str]) -> set[str]:
    matrix = vectors if rows is None else vectors[rows]
    top = np.argpartition(-(matrix @ query), 10)[:10]
    return {ids[i] for i in (top if rows is None else rows[top])}


def _embed_cost(settings) -> float:
    from paperwire.search.embedder import load_embedder

    embedder = load_embedder(settings)
    embedder.embed(["warm up"])
    runs = []
    for text in ("binary quantised embeddings", "retrieval augmented generation for code", "video diffusion"):
        began = time.perf_counter()
        embedder.embed([text])
        runs.append(time.perf_counter() - began)
    return round(sorted(runs)[1] * 1000, 1)


if __name__ == "__main__":
    main()
