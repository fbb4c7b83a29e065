"""Nodes: PostgreSQL as the system of record with each web node searching its own embedded indexes
(search_index "embedded") against the database's own indexes (search_index "database": pgvector + full-text),
served over HTTP, on one machine, in one run.

    .venv/bin/python bench/nodes.py            # first run loads PostgreSQL (about 10 minutes on 2 cores)
    .venv/bin/python bench/nodes.py --reuse    # measure again on the database loaded before

Data: the 74,728 papers of ../shared/data/arxiv-daily-2025-2026, ingested with paperwire's ingest into a
PostgreSQL 16 + pgvector from pgserver (data folder bench/out/nodes/pg, kept for --reuse; the Postgres class and
settings of bench/scale.py). Vectors: the static model2vec model bench/out/m2v-384 (384 dimensions like the
default MiniLM; distilled here when missing), embedded with embed_pending straight into the database. The
database design's HNSW index is built before timing, as `serve` would on its first sync.

Then: a fresh node's cold build of its embedded indexes from PostgreSQL (in this process, timed), and two
`paperwire serve` processes, one worker each, no job worker, default index_sync_interval (2 s): `embedded`
(its own home) and `database`. Latency: the query sets of bench/served_scale.py (50 `sentences` of 8-15 words,
50 `titles` of 2-4 words) per row below, each query sent to both servers in turn (same machine load), after a
warm-up; p50 / p95 in ms and the ratio database / embedded of the p50s. The static model makes encoding a query
~0.1 ms, so the figures are the indexes' cost. Freshness: papers written into the database by this process (as
another node's ingest and embed job would), then each server polled every 50 ms until the paper is its first
hit, by a unique title word (keyword, from the paper's commit) and by its own text (semantic, from its vector's
commit); median and max in s. Memory: each server's RSS and its anonymous part (the rest is memory-mapped files:
the model, the float32 vectors, tantivy's segments, shared by a node's workers), the files on disk per design. Load average before and
after. Prints a table, then one JSON line.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import scale  # bench/scale.py: Postgres, Phases
import served_scale  # bench/served_scale.py: CORPUS, query_sets, free_port, rss_mb

from paperwire.config import load_settings
from paperwire.papers.load import ingest_paths
from paperwire.search.embedder import load_embedder, paper_text
from paperwire.search.engine import SearchEngine
from paperwire.search.indexer import SORT_WINDOW, distill_static, embed_pending
from paperwire.store import Store
from paperwire.store.index_files import folder_bytes

OUT = REPO / "bench" / "out" / "nodes"
MODEL_DIR = REPO / "bench" / "out" / "m2v-384"
DESIGNS = ("embedded", "database")
WARMUP = 5
INSERTS = 10
POLL = 0.05
ROWS: list[tuple[str, str, dict[str, str]]] = [  # (label, mode, filter parameters of /api/papers/search)
    ("keyword", "keyword", {}),
    ("semantic", "semantic", {}),
    ("hybrid", "hybrid", {}),
    ("keyword cat:cs.CL", "keyword", {"category": "cs.CL"}),
    ("semantic cat:cs.CL", "semantic", {"category": "cs.CL"}),
    ("hybrid cat:cs.CL", "hybrid", {"category": "cs.CL"}),
    ("hybrid since:2026-01-01", "hybrid", {"since": "2026-01-01"}),
]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load(store: Store, model: str) -> dict[str, Any]:
    """Ingest the corpus and embed every paper with the static model (what `paperwire ingest` and `index` do)."""
    began = time.perf_counter()
    report = ingest_paths(store, [served_scale.CORPUS])
    ingest_s = time.perf_counter() - began
    embedder = load_embedder(load_settings(home=OUT / "scratch", embedding_model=model, embedding_device="cpu"))
    embedded = embed_pending(store, embedder, batch_size=256, sort_window=SORT_WINDOW)
    return {"added": report.added, "ingest_s": round(ingest_s, 1), "embedded": embedded.embedded}


def rare_category(store: Store) -> str:
    """The category held by closest to 0.5 % of the papers: a selective filter."""
    with store.read() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM papers")).scalar_one()
        rows = conn.execute(sa.text("SELECT category, count(*) FROM paper_categories GROUP BY category")).all()
    return min(rows, key=lambda row: (abs(row[1] - total / 200), row[0]))[0]


def cold_build(settings_of: dict[str, Any], store: Store) -> dict[str, Any]:
    """A new node's first sync: both embedded indexes built from PostgreSQL into an empty home."""
    home = Path(settings_of["home"])
    shutil.rmtree(home / "index", ignore_errors=True)
    engine = SearchEngine(load_settings(**settings_of), store)
    began = time.perf_counter()
    keyword = engine.keyword.sync()
    keyword_s = time.perf_counter() - began
    began = time.perf_counter()
    vectors = engine.vectors.sync()
    vectors_s = time.perf_counter() - began
    idle: dict[str, list[float]] = {"keyword": [], "vectors": []}
    for _ in range(5):  # what a search pays every index_sync_interval when nothing changed
        for name, index in (("keyword", engine.keyword), ("vectors", engine.vectors)):
            began = time.perf_counter()
            index.sync()
            idle[name].append(time.perf_counter() - began)
    return {
        "keyword_docs": keyword,
        "keyword_s": round(keyword_s, 1),
        "vectors": vectors,
        "vectors_s": round(vectors_s, 1),
        **{f"idle_{name}_sync_ms": round(1000 * statistics.median(t), 1) for name, t in idle.items()},
        "vector_arrays_mb": round(getattr(engine.vectors, "memory_bytes", lambda: 0)() / 2**20, 1),
    }


def start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = served_scale.free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "paperwire", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise RuntimeError("serve did not start")
        time.sleep(0.3)


def percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}


def latency(clients: dict[str, httpx.Client], sets: dict[str, list[str]], rows: list[Any]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for label, mode, params in rows:
        for name, queries in sets.items():
            for query in queries[:WARMUP]:
                for client in clients.values():
                    client.get("/api/papers/search", params={"q": f"{query} warm", "mode": mode, **params})
            seconds: dict[str, list[float]] = {design: [] for design in clients}
            empty = dict.fromkeys(clients, 0)
            for query in queries:
                for design, client in clients.items():
                    began = time.perf_counter()
                    response = client.get("/api/papers/search", params={"q": query, "mode": mode, **params})
                    seconds[design].append(time.perf_counter() - began)
                    response.raise_for_status()
                    empty[design] += not response.json()
            row = {design: {**percentiles(s), "no_hits": empty[design]} for design, s in seconds.items()}
            row["ratio_p50"] = round(row["database"]["p50_ms"] / row["embedded"]["p50_ms"], 1)
            figures[f"{name} {label}"] = row
            log(f"  {name} {label}: {row}")
    return figures


def first_hit(client: httpx.Client, text: str, mode: str) -> str | None:
    found = client.get("/api/papers/search", params={"q": text, "mode": mode, "limit": 1}).json()
    return found[0]["paper"]["id"] if found else None


def wait_found(clients: dict[str, httpx.Client], paper_id: str, text: str, mode: str, since: float) -> dict[str, float]:
    """Seconds from `since` until each server ranks the paper first for `text` (60 s at most); each server is
    polled from its own thread, so a slow answer from one does not delay the other's."""

    def poll(client: httpx.Client) -> float:
        while first_hit(client, text, mode) != paper_id:
            if time.perf_counter() - since > 60:
                raise RuntimeError(f"{paper_id} not found within 60 s")
            time.sleep(POLL)
        return time.perf_counter() - since

    with ThreadPoolExecutor(len(clients)) as pool:
        waits = {design: pool.submit(poll, client) for design, client in clients.items()}
        return {design: wait.result() for design, wait in waits.items()}


def freshness(store: Store, model: str, clients: dict[str, httpx.Client]) -> dict[str, Any]:
    embedder = load_embedder(load_settings(home=OUT / "scratch", embedding_model=model, embedding_device="cpu"))
    lags: dict[str, dict[str, list[float]]] = {mode: {d: [] for d in clients} for mode in ("keyword", "semantic")}
    stamp = int(time.time()) % 100_000
    folder = Path(tempfile.mkdtemp(prefix="nodes-"))
    try:
        for i in range(INSERTS):
            word = f"zorblat{stamp}x{i}"
            record = {
                "id": f"2612.{99_000 + (stamp * INSERTS + i) % 1000:05d}",  # beyond the corpus's numbers
                "title": f"Burrow acoustics of the {word} marsupial",
                "abstract": f"We record {word} calls in burrows and model their echoes.",
                "authors": ["Node Bench"],
                "categories": ["cs.SD"],
                "published": datetime.now(UTC).date().isoformat(),
            }
            path = folder / f"{i}.jsonl"
            path.write_text(json.dumps(record) + "\n")
            ingest_paths(store, [path])
            committed = time.perf_counter()
            for design, lag in wait_found(clients, record["id"], word, "keyword", committed).items():
                lags["keyword"][design].append(lag)
            embed_pending(store, embedder, batch_size=16)
            committed = time.perf_counter()
            text = paper_text(record["title"], record["abstract"])
            for design, lag in wait_found(clients, record["id"], text, "semantic", committed).items():
                lags["semantic"][design].append(lag)
            time.sleep(0.5 + (i % 4) * 0.4)  # spread the inserts over the sync period
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        mode: {d: {"median_s": round(statistics.median(v), 2), "max_s": round(max(v), 2)} for d, v in by.items()}
        for mode, by in lags.items()
    }


def memory(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    # Anonymous: this process's own heap; the rest of RSS is mapped files (the model, the float32 vectors, tantivy's
    # segments), page cache that a node's workers share.
    return {"rss_mb": round(served_scale.rss_mb(pid)), "anonymous_mb": round(fields.get("Anonymous", 0))}


def database_sizes(store: Store) -> dict[str, float]:
    mb = lambda b: round(float(b) / 2**20, 1)  # noqa: E731
    with store.read() as conn:
        found = {
            "database_mb": mb(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()),
            "embeddings_table_mb": mb(conn.execute(sa.text("SELECT pg_table_size('embeddings')")).scalar_one()),
        }
        indexes = conn.execute(
            sa.text(
                "SELECT am.amname, sum(pg_relation_size(c.oid)) FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
                "WHERE c.relkind = 'i' AND am.amname IN ('hnsw', 'gin') GROUP BY am.amname"
            )
        ).all()
    return found | {f"{name}_indexes_mb": mb(size) for name, size in indexes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="reuse the database loaded before")
    parser.add_argument("--queries", type=int, default=served_scale.QUERIES, help="queries per set (at most 50)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    if not (MODEL_DIR / "config.json").is_file():
        log("distilling the static model ...")
        distill_static(MODEL_DIR, dims=384, device="cpu")
    model = str(MODEL_DIR)
    phases = scale.Phases(OUT / "state.json", args.reuse)
    pg = scale.Postgres(OUT / "pg")
    common = {"database_url": pg.url, "embedding_model": model, "embedding_device": "cpu"}
    store = Store.open(load_settings(home=OUT / "scratch", **common))
    servers: list[subprocess.Popen[bytes]] = []
    try:
        phases.run("load", lambda: load(store, model))
        database_engine = SearchEngine(load_settings(home=OUT / "scratch", search_index="database", **common), store)
        phases.run("hnsw_index", lambda: {"vectors": database_engine.vectors.sync()})
        phases.run("vacuum_analyze", pg.vacuum_analyze)
        pg.limit_statements(store)
        homes = {design: OUT / f"home-{design}" for design in DESIGNS}
        log("cold build of a node's embedded indexes ...")
        build = cold_build({"home": homes["embedded"], "search_index": "embedded", **common}, store)
        log(f"  {build}")
        rows = [*ROWS, *(("hybrid cat:" + c, "hybrid", {"category": c}) for c in [rare_category(store)])]
        sets = {name: queries[: args.queries] for name, queries in served_scale.query_sets(seed=11)[0].items()}
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
        clients: dict[str, httpx.Client] = {}
        pids: dict[str, int] = {}
        for design in DESIGNS:
            env = base_env | {
                "PAPERWIRE_HOME": str(homes[design]),
                "PAPERWIRE_DATABASE_URL": pg.url,
                "PAPERWIRE_SEARCH_INDEX": design,
                "PAPERWIRE_EMBEDDING_MODEL": model,
                "PAPERWIRE_EMBEDDING_DEVICE": "cpu",
                "PAPERWIRE_SCHEDULER_ENABLED": "false",
                "PAPERWIRE_LOG_LEVEL": "WARNING",
            }
            server, base = start(env)
            servers.append(server)
            pids[design] = server.pid
            clients[design] = httpx.Client(base_url=base, timeout=120)
        load_start = os.getloadavg()
        log(f"latency, {sum(map(len, sets.values()))} queries per row ...")
        timings = latency(clients, sets, rows)
        memories = {design: memory(pid) for design, pid in pids.items()}
        log("freshness ...")
        fresh = freshness(store, model, clients)
        figures = {
            "papers": build["keyword_docs"],
            "model": "model2vec m2v-384 (static, 384 dims)",
            "postgres": pg.shown_settings(),
            "phases": phases.done,
            "cold_build": build,
            "latency": timings,
            "freshness": fresh,
            "memory": memories,
            "disk": {
                "embedded_keyword_mb": round(folder_bytes(homes["embedded"] / "index" / "keyword") / 2**20, 1),
                "embedded_vectors_mb": round(
                    (folder_bytes(homes["embedded"] / "index") - folder_bytes(homes["embedded"] / "index" / "keyword"))
                    / 2**20,
                    1,
                ),
                "postgresql": database_sizes(store),
            },
            "loadavg": {"before": load_before, "before_search": load_start, "end": os.getloadavg()},
        }
        for client in clients.values():
            client.close()
        report(figures)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=60)
        store.close()
        pg.close()


def report(f: dict[str, Any]) -> None:
    print(f"Nodes: {f['papers']:,} papers on PostgreSQL {f['postgres']['server_version']}, {f['model']}, served")
    print(f"{'row':34} {'embedded p50/p95':>18} {'database p50/p95':>18} {'ratio p50':>9}")
    for label, row in f["latency"].items():
        e, d = row["embedded"], row["database"]
        print(
            f"{label:34} {e['p50_ms']:>8.1f} /{e['p95_ms']:>7.1f} {d['p50_ms']:>8.1f} /{d['p95_ms']:>7.1f} "
            f"{row['ratio_p50']:>8.1f}x"
        )
    for mode, by in f["freshness"].items():
        shown = ", ".join(f"{d} median {v['median_s']} s, max {v['max_s']} s" for d, v in by.items())
        print(f"freshness {mode} (from commit to first hit on the server): {shown}")
    for design, m in f["memory"].items():
        print(f"memory {design}: RSS {m['rss_mb']} MB, of which anonymous {m['anonymous_mb']} MB")
    b = f["cold_build"]
    print(
        f"cold build of a node: keyword {b['keyword_s']} s, vectors {b['vectors_s']} s; idle sync (median of 5) "
        f"keyword {b['idle_keyword_sync_ms']} ms, vectors {b['idle_vectors_sync_ms']} ms; "
        f"disk {f['disk']}"
    )
    print(f"load average: {f['loadavg']}")
    print(json.dumps(f, default=str))


if __name__ == "__main__":
    main()
