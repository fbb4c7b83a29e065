"""Served search over the 74,728 real papers of ../shared/data/arxiv-daily-2025-2026, over HTTP, one client.

    .venv/bin/python bench/served_scale.py --home bench/out/served-75k     # fills the home once (see below)

Home (made on first use, reused afterwards): the corpus ingested with `paperwire ingest`, then a vector for
every paper. Embedding 75 k abstracts with the default model takes about an hour on 2 cores, so the vectors
are made with `all-MiniLM-L6-v2@128,int8` (the same network, int8 weights, abstracts cut at 128 tokens: about
5x faster) and imported under the default model's name. That only changes which vectors are searched, not the
work a search does (the same index sizes, the same candidates rescored, the default model encoding the query),
so the latencies are the default configuration's; search quality is measured elsewhere (bench/relevance.py).

Then `paperwire serve` on a free port with the default settings, and per mode (keyword, semantic, hybrid) and
per query set, 50 queries after a warm-up pass: `sentences` (8-15 words, the start of a real abstract's first
sentence, seeded) and `titles` (2-4 words of a real title); "similar papers" for 50 papers. Each query is
sent once with a suffix that defeats the query-vector cache. Reported: p50 / p95 in ms, and the server's
resident memory at the end. Baseline in the same run: exact search in this process (the default model encodes
the query, then a float32 matrix product over all 74,728 vectors and a top 10), p50 over the same queries.
Prints a table, then one JSON line.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import lzma
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "data" / "arxiv-daily-2025-2026" / "papers.jsonl.xz"
FAST_MODEL = "all-MiniLM-L6-v2@128,int8"
DEFAULT = "all-MiniLM-L6-v2"
QUERIES = 50


def run(env: dict[str, str], *args: str) -> None:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "paperwire", *args], env=env, check=True)
    print(f"  paperwire {' '.join(args)}: {time.perf_counter() - started:.0f} s", flush=True)


def prepare(home: Path, env: dict[str, str]) -> None:
    marker = home / "served-scale-ready"
    if marker.is_file():
        return
    home.mkdir(parents=True, exist_ok=True)
    run(env, "ingest", str(CORPUS))
    run(env | {"PAPERWIRE_EMBEDDING_MODEL": FAST_MODEL}, "index")
    exported = home / "fast-vectors.npz"
    run(env | {"PAPERWIRE_EMBEDDING_MODEL": FAST_MODEL}, "index", "--export", str(exported))
    run(env, "index", "--import", str(exported), "--model", DEFAULT)
    marker.write_text("ok\n")


def query_sets(seed: int) -> tuple[dict[str, list[str]], list[str]]:
    rng = random.Random(seed)
    with lzma.open(CORPUS, "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    picked = rng.sample(rows, 4 * QUERIES)
    sentences, titles = [], []
    for row in picked:
        words = re.findall(r"[A-Za-z][A-Za-z-]+", (row.get("abstract") or "").split(". ")[0])
        if len(sentences) < QUERIES and len(words) >= 8:
            sentences.append(" ".join(words[: rng.randint(8, 15)]))
        title = re.findall(r"[A-Za-z][A-Za-z-]{2,}", row.get("title") or "")
        if len(titles) < QUERIES and len(title) >= 2:
            start = rng.randrange(max(1, len(title) - 1))
            titles.append(" ".join(title[start : start + rng.randint(2, 4)]))
    ids = [str(row["id"]) for row in rng.sample(rows, QUERIES)]
    return {"sentences": sentences, "titles": titles}, ids


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return 1000 * statistics.median(ordered), 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def served(env: dict[str, str], sets: dict[str, list[str]], ids: list[str]) -> dict[str, object]:
    import httpx

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "paperwire", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    figures: dict[str, object] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not start")
            time.sleep(0.3)
        with httpx.Client(base_url=base, timeout=60) as client:
            for name, queries in sets.items():
                for mode in ("keyword", "semantic", "hybrid"):
                    for query in queries[:10]:  # warm-up: first use of each path, the page cache
                        client.get("/api/papers/search", params={"q": f"{query} warm", "mode": mode})
                    times = []
                    for n, query in enumerate(queries):
                        began = time.perf_counter()
                        response = client.get("/api/papers/search", params={"q": f"{query} {mode}{n}", "mode": mode})
                        times.append(time.perf_counter() - began)
                        response.raise_for_status()
                    figures[f"{name} {mode}"] = percentiles(times)
            times = []
            for paper in ids:
                began = time.perf_counter()
                response = client.get(f"/api/papers/{paper}/similar")
                times.append(time.perf_counter() - began)
                if response.status_code not in (200, 404):
                    response.raise_for_status()
            figures["similar"] = percentiles(times)
        figures["server_rss_mb"] = round(rss_mb(server.pid))
    finally:
        server.terminate()
        server.wait(timeout=60)
    return figures


def exact_baseline(home: Path, sets: dict[str, list[str]]) -> dict[str, float]:
    """Exact search in-process: the default model encodes the query, float32 matrix product over every vector."""
    from paperwire.config import load_settings
    from paperwire.search.embedder import load_embedder

    with np.load(home / "fast-vectors.npz") as archive:
        vectors = np.asarray(archive["vectors"], dtype=np.float32)
    embedder = load_embedder(load_settings(home=home))
    out = {}
    for name, queries in sets.items():
        times = []
        for n, query in enumerate(queries):
            began = time.perf_counter()
            vector = embedder.embed([f"{query} exact{n}"])[0]
            scores = vectors @ vector
            np.argpartition(-scores, 10)[:10]
            times.append(time.perf_counter() - began)
        out[name] = percentiles(times)[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, default=REPO / "bench" / "out" / "served-75k")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    home = args.home.resolve()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env |= {"PAPERWIRE_HOME": str(home), "PAPERWIRE_SCHEDULER_ENABLED": "false"}
    prepare(home, env)
    sets, ids = query_sets(args.seed)
    print(f"load average {os.getloadavg()[0]:.1f}; {QUERIES} queries a set, one client over HTTP", flush=True)
    figures = served(env, sets, ids)
    exact = exact_baseline(home, sets)
    print(f"{'':<22}{'p50 ms':>9}{'p95 ms':>9}{'exact p50':>11}{'ratio':>8}")
    for key, value in figures.items():
        if isinstance(value, tuple):
            name = key.split()[0]
            baseline = exact.get(name)
            ratio = f"{baseline / value[0]:.2f}x" if baseline else ""
            print(f"{key:<22}{value[0]:>9.1f}{value[1]:>9.1f}{baseline or 0:>11.1f}{ratio:>8}")
    print(f"server resident memory after the searches: {figures['server_rss_mb']} MB")
    print(json.dumps({"bench": "served_scale", "figures": figures, "exact_p50_ms": exact}))


if __name__ == "__main__":
    main()
