"""Vector index benchmark: BinaryVectorIndex against exact float32 brute force, on synthetic vectors.

Run from the repository root (about 1-2 minutes on 2 cores, under 8 GB of memory; asserts nothing):

    .venv/bin/python bench/vector_index.py                 # 1,000,000 x 384, 200 queries
    .venv/bin/python bench/vector_index.py --rows 100000   # quick look

Targets (1M x 384, one thread): semantic p50 <= 15 ms, 10%-category filtered p50 <= 30 ms,
recall@10 >= 0.98 against exact float32 search, index memory <= 600 MB, adding 1,000 vectors <= 5 s.

- Vectors: a Gaussian mixture, so that neighbours mean something: --clusters unit centres, each
  point = its centre + N(0, s^2 I) with s drawn per cluster in [0.03, 0.07] (cosine to its centre
  about 0.6-0.85), then L2-normalised, float32. Queries are fresh draws from the same mixture.
- Metadata: published dates uniform over 2007-2026; 20 categories: "c00" on 10% of the papers,
  independent of the clusters (the harder case: the filtered neighbours are not the nearest ones),
  one of the 19 others on every paper, a second on 30% of them.
- The index is built through its in-memory build API, `BinaryVectorIndex.build(batches)` (encoding,
  writing its files with fsync, loading them back), not from a database: reading 1M rows out of
  SQLite or PostgreSQL measures the database, not the index. `rebuild()` runs the same code on the
  batches `store.index_rows.iter_index_rows` yields.
- Every search runs on one thread (faiss.omp_set_num_threads(1), BLAS limited to one thread).
- Exact search: float32 matrix (n x dim) times the query, then the top 10 (argpartition); filtered,
  the matrix rows of the category, gathered by a precomputed row list, times the query. Its
  timings use --exact-queries queries; the recall reference uses all of them.
- Memory: bytes of the arrays the index keeps in memory (sign bits in faiss, int8 vectors and their
  scales, dates, flags, ids, category rows); the float32 vectors stay in a memory-mapped file on
  disk, read only for the final rescoring of 64 candidates per query. Also the process RSS.
- Add 1,000: `index.add(batch)` of 1,000 new papers to the full index, persisted (appended,
  fsynced) and loaded; embedding excluded.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paperwire.config import load_settings
from paperwire.search.query import Filters
from paperwire.search.vector_index import BinaryVectorIndex
from paperwire.store import Store
from paperwire.store.index_rows import IndexRows

MODEL = "bench/synthetic-384"
RARE = "c00"


class Mixture:
    """A Gaussian mixture of unit vectors."""

    def __init__(self, dim: int, clusters: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        centres = self.rng.standard_normal((clusters, dim)).astype(np.float32)
        self.centres = centres / np.linalg.norm(centres, axis=1, keepdims=True)
        self.spread = self.rng.uniform(0.03, 0.07, clusters).astype(np.float32)

    def draw(self, n: int) -> np.ndarray:
        which = self.rng.integers(0, len(self.centres), n)
        points = self.rng.standard_normal((n, self.centres.shape[1]), dtype=np.float32)
        points *= self.spread[which, None]
        points += self.centres[which]
        points /= np.linalg.norm(points, axis=1, keepdims=True)
        return points


def metadata(rng: np.random.Generator, n: int, first: int) -> tuple[list[str], np.ndarray, list[list[str]]]:
    ids = [f"{2000 + (first + i) // 100_000}.{(first + i) % 100_000:05d}" for i in range(n)]
    published = rng.integers(13514, 20818, n).astype(np.int32)  # 2007-01-01 .. 2026-12-31 as days
    main = rng.integers(1, 20, n)
    second = np.where(rng.random(n) < 0.3, rng.integers(1, 20, n), 0)
    rare = rng.random(n) < 0.10
    categories = [
        ([RARE] if r else []) + [f"c{m:02d}"] + ([f"c{s:02d}"] if s and s != m else [])
        for r, m, s in zip(rare, main, second, strict=True)
    ]
    return ids, published, categories


def batches(
    vectors: np.ndarray,
    ids: list[str],
    published: np.ndarray,
    categories: list[list[str]],
    first: int = 0,
    size: int = 100_000,
) -> Iterator[IndexRows]:
    for start in range(0, len(ids), size):
        stop = min(start + size, len(ids))
        yield IndexRows(
            ids=ids[start:stop],
            vectors=vectors[start:stop],
            published=published[start:stop],
            categories=categories[start:stop],
            hidden=np.zeros(stop - start, dtype=bool),
            stamps=np.arange(first + start, first + stop, dtype=np.int64),
        )


def timed(function: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--clusters", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--exact-queries", type=int, default=30)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument(
        "--home", type=Path, default=None, help="where the index files go (default: a temporary folder)"
    )
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    home = args.home or Path(tempfile.mkdtemp(prefix="paperwire-vbench-"))
    settings = load_settings(home=home, vector_candidates=args.candidates)
    store = Store.open(settings)
    figures: dict[str, object] = {
        "rows": args.rows,
        "dim": args.dim,
        "queries": args.queries,
        "candidates": args.candidates,
        "threads": 1,
    }
    try:
        mixture = Mixture(args.dim, args.clusters, seed=1)
        seconds, vectors = timed(lambda: mixture.draw(args.rows))
        ids, published, categories = metadata(mixture.rng, args.rows, 0)
        print(f"made {args.rows:,} x {args.dim} vectors in {seconds:.1f} s", file=sys.stderr)
        index = BinaryVectorIndex(store, settings, MODEL)
        figures["build_s"] = round(timed(lambda: index.build(batches(vectors, ids, published, categories)))[0], 2)
        figures["load_s"] = round(timed(lambda: BinaryVectorIndex(store, settings, MODEL))[0], 2)
        print(f"built in {figures['build_s']} s, loaded in {figures['load_s']} s", file=sys.stderr)
        queries = mixture.draw(args.queries)
        rare_rows = np.array([i for i, cats in enumerate(categories) if RARE in cats], dtype=np.int64)
        figures["filter_selectivity"] = round(len(rare_rows) / args.rows, 4)

        scores = queries @ vectors.T  # the recall reference, exact float32
        exact = np.argpartition(-scores, 10, axis=1)[:, :10]
        rare_scores = scores[:, rare_rows]
        exact_rare = rare_rows[np.argpartition(-rare_scores, 10, axis=1)[:, :10]]
        del scores, rare_scores

        runs = {"semantic": Filters(), "filtered": Filters(categories=(RARE,))}
        for name, filters in runs.items():
            reference = exact if name == "semantic" else exact_rare
            for query in queries[:5]:
                index.search(query, 10, filters)  # warm-up
            latencies, recalls = [], []
            for query, truth in zip(queries, reference, strict=True):
                seconds, found = timed(lambda q=query, f=filters: index.search(q, 10, f))
                latencies.append(seconds)
                truth_ids = {ids[i] for i in truth}
                recalls.append(len(truth_ids & {pid for pid, _ in found}) / 10)
            figures[name] = {**percentiles(latencies), "recall_at_10": round(float(np.mean(recalls)), 4)}

        def brute(query: np.ndarray) -> np.ndarray:
            return np.argpartition(-(vectors @ query), 10)[:10]

        def brute_filtered(query: np.ndarray) -> np.ndarray:
            return rare_rows[np.argpartition(-(vectors[rare_rows] @ query), 10)[:10]]

        for name, function in (("semantic", brute), ("filtered", brute_filtered)):
            latencies = [timed(lambda q=q, function=function: function(q))[0] for q in queries[: args.exact_queries]]
            figures[f"exact_{name}"] = percentiles(latencies)
            figures[name]["speedup_vs_exact_p50"] = round(  # type: ignore[index]
                figures[f"exact_{name}"]["p50_ms"] / figures[name]["p50_ms"], 1
            )  # type: ignore[index]

        figures["memory_mb"] = round(index.memory_bytes() / 2**20, 1)
        figures["exact_float32_memory_mb"] = round(vectors.nbytes / 2**20, 1)
        figures["disk_mb"] = round(index.disk_bytes() / 2**20, 1)
        added = mixture.draw(1000)
        new_ids, new_published, new_categories = metadata(mixture.rng, 1000, args.rows)
        batch = next(batches(added, new_ids, new_published, new_categories, first=args.rows))
        figures["add_1000_s"] = round(timed(lambda: index.add(batch))[0], 3)
        figures["exact_add_1000_s"] = round(timed(lambda: np.concatenate([vectors, added]))[0], 3)
        assert len(index) == args.rows + 1000 and index.search(added[0], 1, Filters())[0][0] == new_ids[0]
        figures["memory_mb_after_add"] = round(index.memory_bytes() / 2**20, 1)
        figures["process_rss_mb"] = round(rss_mb(), 1)
    finally:
        store.close()
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    print_table(figures)
    print(json.dumps(figures))


def print_table(f: dict) -> None:
    print(
        f"\nBinaryVectorIndex, {f['rows']:,} x {f['dim']}, {f['queries']} queries, one thread, "
        f"{f['candidates']} Hamming candidates -> int8 -> 64 float32\n"
    )
    print(f"{'':28}{'index':>12}{'exact f32':>12}{'ratio':>9}{'recall@10':>11}")
    for name, label in (
        ("semantic", "semantic p50 / p95 ms"),
        ("filtered", f"filtered {f['filter_selectivity']:.0%} p50 / p95"),
    ):
        mine, exact = f[name], f[f"exact_{name}"]
        print(
            f"{label:28}{mine['p50_ms']:>6} /{mine['p95_ms']:>5}{exact['p50_ms']:>6} /{exact['p95_ms']:>5}"
            f"{mine['speedup_vs_exact_p50']:>8}x{mine['recall_at_10']:>11}"
        )
    print(
        f"{'memory MB (arrays)':28}{f['memory_mb']:>12}{f['exact_float32_memory_mb']:>12}"
        f"{f['exact_float32_memory_mb'] / f['memory_mb']:>8.1f}x"
    )
    print(f"{'add 1,000 s (persisted)':28}{f['add_1000_s']:>12}{f['exact_add_1000_s']:>12}")
    print(f"{'disk MB':28}{f['disk_mb']:>12}")
    print(f"{'build / load s':28}{f['build_s']:>6} /{f['load_s']:>5}")
    print(f"{'process RSS MB':28}{f['process_rss_mb']:>12}\n")


if __name__ == "__main__":
    main()
