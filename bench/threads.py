"""Thread-pool contention: a semantic search (encode the query, then search the vectors) with and without
`paperwire.threads.quiet_thread_pools()`, each configuration in its own fresh process, same run.

    .venv/bin/python bench/threads.py               # 74,728 vectors, 50 queries x 3 rounds (about 2 minutes)
    .venv/bin/python bench/threads.py --rows 20000

The two runs differ only in the environment the process starts with:
- "default": none of OMP_WAIT_POLICY / OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS set (the
  libraries' own defaults: OpenMP workers spin after each parallel region);
- "quiet": what every Paperwire entry point now sets before faiss or PyTorch load (passive wait, pools sized
  to the cores).
Each run loads the default embedding model (PyTorch, sentence-transformers) and builds the product's
BinaryVectorIndex over --rows synthetic unit vectors (a Gaussian mixture, 384 dims; only speed is measured),
then for 50 real-looking queries (2-4 content words of real titles) times:
encode alone, vector search alone (the vector given), and encode then search back to back, as a served
semantic request does. Prints p50/p95 in ms per configuration, the ratio default/quiet, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from paperwire.threads import POOL_VARIABLES

ROOT = Path(__file__).resolve().parents[1]


def child(rows: int, rounds: int, quiet: bool) -> dict[str, float]:
    if quiet:
        from paperwire.threads import quiet_thread_pools

        quiet_thread_pools()
    sys.path.insert(0, str(ROOT))
    import importlib.util

    import numpy as np

    spec = importlib.util.spec_from_file_location("bench_vector_index", ROOT / "bench" / "vector_index.py")
    vx = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vx)  # type: ignore[union-attr]
    spec = importlib.util.spec_from_file_location("bench_keyword", ROOT / "bench" / "keyword.py")
    kw = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(kw)  # type: ignore[union-attr]

    from paperwire.config import load_settings
    from paperwire.search.embedder import load_embedder
    from paperwire.search.query import Filters
    from paperwire.search.vector_index import BinaryVectorIndex
    from paperwire.store import Store

    home = Path(tempfile.mkdtemp(prefix="paperwire-threads-"))
    try:
        settings = load_settings(home=home)
        store = Store.open(settings)
        rng = np.random.default_rng(7)
        vectors = vx.Mixture(384, 2000, seed=7).draw(rows)
        ids, published, categories = vx.metadata(rng, rows, 0)
        index = BinaryVectorIndex(store, settings, vx.MODEL)
        index.build(vx.batches(vectors, ids, published, categories))
        queries = kw.make_queries(kw.load_real(kw.DATA), 50, seed=3)
        embedder = load_embedder(settings)
        filters = Filters()
        for query in queries:  # warm up both libraries
            index.search(embedder.embed([query])[0], 20, filters)
        encode, search, both = [], [], []
        for _ in range(rounds):
            for query in queries:
                start = time.perf_counter()
                vector = embedder.embed([query])[0]
                encode.append(time.perf_counter() - start)
                start = time.perf_counter()
                index.search(vector, 20, filters)
                search.append(time.perf_counter() - start)
            for query in queries:
                start = time.perf_counter()
                index.search(embedder.embed([query])[0], 20, filters)
                both.append(time.perf_counter() - start)
        store.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)

    def pct(values: list[float], q: float) -> float:
        return round(float(np.percentile(np.asarray(values) * 1000, q)), 1)

    return {
        f"{name}_{label}": pct(values, q)
        for name, values in (("encode", encode), ("search", search), ("encode_search", both))
        for label, q in (("p50", 50), ("p95", 95))
    }


def run_child(rows: int, rounds: int, quiet: bool) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in POOL_VARIABLES}
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "quiet" if quiet else "default",
            "--rows",
            str(rows),
            "--rounds",
            str(rounds),
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=74_728)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=("default", "quiet"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.rows, args.rounds, args.child == "quiet")))
        return
    load = os.getloadavg()[0]
    results = {name: run_child(args.rows, args.rounds, name == "quiet") for name in ("default", "quiet")}
    print(f"{args.rows:,} vectors, {args.rounds} x 50 queries, load average at start {load:.1f}")
    print(f"{'ms':<16}{'default p50':>12}{'p95':>8}{'quiet p50':>12}{'p95':>8}{'ratio p50':>11}")
    for name in ("encode", "search", "encode_search"):
        d, q = results["default"], results["quiet"]
        ratio = d[f"{name}_p50"] / max(q[f"{name}_p50"], 1e-9)
        print(
            f"{name:<16}{d[f'{name}_p50']:>12}{d[f'{name}_p95']:>8}{q[f'{name}_p50']:>12}{q[f'{name}_p95']:>8}"
            f"{ratio:>10.1f}x"
        )
    print(json.dumps({"rows": args.rows, "load": round(load, 1), **results}))


if __name__ == "__main__":
    main()
