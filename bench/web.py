"""Web benchmark: server-side latency of the home, paper and search pages, and requests/s under wrk.

Run from the repository root (about 4-6 minutes on 2 cores, most of it the ingest; prints a table,
asserts nothing; the last line is the same figures as one JSON object):

    .venv/bin/python bench/web.py
    .venv/bin/python bench/web.py --limit 20000 --requests 50 --duration 5     # quick look

Corpus: the 74,728 papers of ../shared/data/arxiv-daily-2025-2026/papers.jsonl.xz ingested into a
fresh SQLite home (--limit N takes the first N). The corpus has no community picks, so the list measured
is New on arXiv (/new): the papers first published on the latest day (2026-07-01) in the followed
categories (cs.CL cs.CV cs.AI cs.LG), newest first, 50 papers a page.
Vectors: none are computed. The bundled demo vectors (February 2026 papers, all-MiniLM-L6-v2) are
imported for the ids that match (with unchanged text); every other paper has no vector. So the
semantic half of hybrid search and the paper page's similar papers see only those papers: the
hybrid figures measure the full code path (query embedding on CPU + vector search + fusion) over
a small vector index, not a 75k one. Keyword search covers all papers.

1. Server-side latency (in-process, one request at a time, after a warm-up of each kind): the app
   from create_app() called through Starlette's TestClient, so the time is routing, database,
   search and rendering, without sockets. Kinds:
   - home: GET /new (New on arXiv: latest day, newest, first 50), --requests times;
   - paper: GET /papers/{id} for up to --requests random (seeded) papers that have a vector (the
     page's similar papers are then one vector search);
   - paper_no_vector: the same for 20 random papers without one: the paper page then embeds the
     paper's title and abstract on the CPU to find similar papers (paperwire.search.similar), which
     dominates its time; on a site whose vectors are all computed this case does not occur;
   - search keyword / hybrid: GET /search?q=...&mode=..., --requests queries of 2-3 content words
     drawn from real titles (seeded), 20 results a page with marked snippets.
   p50 / p95 in milliseconds.
2. Throughput: `paperwire serve --workers 2` on 127.0.0.1 (uvicorn, the same database), then
   `wrk -t2 -c{--connections} -d{--duration}s` in turn against /, /api/daily_papers and
   /static/site.css (a static file through the same stack: the ceiling). Requests/s and wrk's
   latency p50/p99. wrk and the server share this machine's cores, so the figures are a floor.
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
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.config import load_settings

DATA = REPO.parent / "shared" / "data" / "arxiv-daily-2025-2026" / "papers.jsonl.xz"
NO_VECTOR_REQUESTS = 20  # each embeds the paper's text on the CPU to find similar papers: slow, so fewer
WRK_PATHS = ("/new", "/api/daily_papers", "/static/site.css")
_STOP = set(
    [
        "with",
        "from",
        "that",
        "this",
        "their",
        "using",
        "based",
        "towards",
        "toward",
        "into",
        "over",
        "under",
        "via",
        "without",
        "through",
        "about",
        "than",
        "when",
        "what",
        "which",
        "while",
        "where",
        "more",
        "most",
        "less",
        "very",
        "also",
        "only",
        "such",
        "these",
        "those",
        "have",
        "been",
        "being",
        "each",
    ]
)
_TOKEN = re.compile(r"[a-z][a-z\-]{3,}")


def corpus_file(limit: int | None, work: Path) -> Path:
    """The corpus, or its first `limit` papers as a temporary JSONL."""
    if not limit:
        return DATA
    out = work / f"papers-{limit}.jsonl"
    with lzma.open(DATA, "rt", encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for i, line in enumerate(src):
            if i >= limit:
                break
            dst.write(line)
    return out


def make_queries(titles: list[str], count: int, rng: random.Random) -> list[str]:
    queries: list[str] = []
    while len(queries) < count:
        words = [w for w in dict.fromkeys(_TOKEN.findall(rng.choice(titles).lower())) if w not in _STOP]
        size = rng.randint(2, 3)
        if len(words) >= size:
            queries.append(" ".join(rng.sample(words, size)))
    return queries


def timed(client: Any, urls: list[str]) -> dict[str, float]:
    """Per-request milliseconds for each URL, in order; every answer must be 200."""
    times = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}: {response.text[:300]}")
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        "n": len(times),
    }


def server_side(settings: Any, args: argparse.Namespace, work: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load the corpus, then time each page kind in-process. Returns (setup facts, latencies)."""
    from urllib.parse import urlencode

    from fastapi.testclient import TestClient

    from paperwire.application import Paperwire
    from paperwire.demo import import_demo_vectors
    from paperwire.papers.load import ingest_paths
    from paperwire.search.engine import SearchEngine
    from paperwire.store import Store
    from paperwire.store.papers import counts
    from paperwire.web import create_app

    store = Store.open(settings)
    start = time.perf_counter()
    ingest_paths(store, [corpus_file(args.limit, work)])
    ingest_s = time.perf_counter() - start
    vectors = import_demo_vectors(store, settings.embedding_model)
    engine = SearchEngine(settings, store)
    start = time.perf_counter()
    engine.sync()
    index_s = time.perf_counter() - start
    with store.read() as conn:
        papers = counts(conn)["papers"]
    setup = {"papers": papers, "vectors": vectors, "ingest_s": round(ingest_s, 1), "index_s": round(index_s, 1)}

    rng = random.Random(args.seed)
    records = []
    with lzma.open(DATA, "rt", encoding="utf-8") as stream:
        for i, line in enumerate(stream):
            if args.limit and i >= args.limit:
                break
            row = json.loads(line)
            records.append((row["id"], row["title"]))
    shuffled = rng.sample(records, len(records))
    with_vector = [pid for pid, _ in shuffled if engine.vectors.vector_of(pid) is not None][: args.requests]
    without = [pid for pid, _ in shuffled[: 4 * NO_VECTOR_REQUESTS] if pid not in set(with_vector)][:NO_VECTOR_REQUESTS]
    setup["paper_ids_with_vector"] = len(with_vector)
    queries = make_queries([t for _, t in records], args.requests, rng)
    kinds = {
        "home": ["/new"] * args.requests,
        "paper": [f"/papers/{pid}" for pid in with_vector],
        "paper_no_vector": [f"/papers/{pid}" for pid in without],
        "search_keyword": ["/search?" + urlencode({"q": q, "mode": "keyword"}) for q in queries],
        "search_hybrid": ["/search?" + urlencode({"q": q, "mode": "hybrid"}) for q in queries],
    }
    latencies: dict[str, Any] = {}
    with TestClient(create_app(Paperwire(settings, store=store, engine=engine))) as client:
        for name, urls in kinds.items():
            if len(urls) < 4:
                continue
            timed(client, urls[:3])  # warm-up: templates compiled, indexes and the embedder loaded
            latencies[name] = timed(client, urls)
            print(f"  {name}: p50 {latencies[name]['p50_ms']} ms", file=sys.stderr)
    store.close()
    return setup, latencies


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_wrk(url: str, args: argparse.Namespace) -> dict[str, Any]:
    out = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=args.duration + 60,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)

    def pct(p: str) -> float | None:
        found = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            return None
        value, unit = float(found.group(1)), found.group(2)
        return round(value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)

    return {
        "rps": round(rps, 1),
        "p50_ms": pct("50"),
        "p99_ms": pct("99"),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1).strip() if errors else None,
    }


def throughput(home: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Start `paperwire serve --workers 2` on the loaded home and run wrk against each path in turn."""
    if shutil.which("wrk") is None:
        print("  wrk not found (apt-get install -y wrk): throughput skipped", file=sys.stderr)
        return {}
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    # The scheduler would start embedding the ~70k papers without vectors and take the CPU from the server.
    env.update(PAPERWIRE_HOME=str(home), PAPERWIRE_EMBEDDING_DEVICE="cpu", PAPERWIRE_SCHEDULER_ENABLED="false")
    server = subprocess.Popen(
        [sys.executable, "-m", "paperwire", "serve", "--workers", str(args.workers), "--port", str(port)],
        cwd=REPO,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("paperwire serve did not start")
            time.sleep(0.25)
        results = {}
        for path in WRK_PATHS:
            for _ in range(20):  # warm every worker
                httpx.get(base + path, timeout=30)
            results[path] = run_wrk(base + path, args)
            print(f"  wrk {path}: {results[path]['rps']} req/s", file=sys.stderr)
        return results
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="ingest only the first N papers (0: all)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page kind")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per path")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="paperwire serve workers")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="paperwire-bench-web-"))
    try:
        settings = load_settings(home=work / "home", embedding_device="cpu")
        print(f"loading {DATA.name} into {work}", file=sys.stderr)
        setup, latencies = server_side(settings, args, work)
        rates = throughput(work / "home", args)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"\nCorpus: {setup['papers']} papers (ingest {setup['ingest_s']} s, indexes {setup['index_s']} s); "
        f"{setup['vectors']} demo vectors imported (semantic side of hybrid and similar papers only see those)"
    )
    print(f"\nServer-side latency, in-process, one at a time ({args.requests} requests each)")
    print(f"{'page':<16}{'p50 ms':>10}{'p95 ms':>10}")
    for name, figures in latencies.items():
        print(f"{name:<16}{figures['p50_ms']:>10}{figures['p95_ms']:>10}")
    if rates:
        print(
            f"\nThroughput: paperwire serve --workers {args.workers}, wrk -t{args.threads} -c{args.connections} "
            f"-d{args.duration}s, loopback, {os.cpu_count()} cores shared by server and wrk"
        )
        print(f"{'path':<20}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>10}")
        for path, figures in rates.items():
            print(
                f"{path:<20}{figures['rps']:>10}{figures['p50_ms']!s:>10}{figures['p99_ms']!s:>10}{figures['non_2xx']:>10}"
            )
    print(
        json.dumps(
            {
                "bench": "web",
                "cores": os.cpu_count(),
                "setup": setup,
                "latency": latencies,
                "wrk": {
                    "workers": args.workers,
                    "connections": args.connections,
                    "duration_s": args.duration,
                    "results": rates,
                },
            }
        )
    )


if __name__ == "__main__":
    main()
