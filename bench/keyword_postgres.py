"""Keyword ranking on PostgreSQL against the embedded keyword index and a standard BM25, on scifact-train.

    .venv/bin/python bench/keyword_postgres.py                 # about a minute
    .venv/bin/python bench/keyword_postgres.py --postgres-url postgresql://...   # a server of your own

One run on ../shared/data/scifact-train (5,183 abstracts, 809 claims, 919 judgements): the corpus ingested with
the product's own ingest into a SQLite home (tantivy) and into a PostgreSQL database (a temporary pgserver unless
--postgres-url), vacuumed as after a load, then every judged claim through SearchEngine.search in keyword mode, 100 deep, on both; and
bm25s (English stemmer and stop words, one field of title + abstract) as the reference. Prints nDCG@10 /
Recall@100 / MRR@10 per ranking and the p50 / p95 of the PostgreSQL searches, then one JSON line.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.relevance import DATA, bm25s_reference
from paperwire.config import load_settings
from paperwire.papers.ingest import ingest_items
from paperwire.search.engine import SearchEngine
from paperwire.search.evaluate import corpus_items, read_qrels, read_queries
from paperwire.search.query import plain_query
from paperwire.search.ranking_measures import evaluate
from paperwire.store import Store


def runs(engine: SearchEngine, texts: dict[str, str]) -> tuple[dict[str, list[str]], list[float]]:
    found, seconds = {}, []
    for qid, text in texts.items():
        began = time.perf_counter()
        found[qid] = [hit.id for hit in engine.search(text, mode="keyword", limit=100).hits]
        seconds.append(time.perf_counter() - began)
    return found, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=None, help="a server to create the database on (else pgserver)")
    args = parser.parse_args()
    corpus = [json.loads(line) for line in (DATA / "corpus.jsonl").open(encoding="utf-8")]
    queries = read_queries(DATA / "queries.jsonl")
    qrels = read_qrels(DATA / "qrels" / "train.tsv")
    judged = [q for q in qrels if q in queries]
    texts = {q: plain_query(queries[q]) for q in judged}
    results: dict[str, dict[str, float]] = {"bm25s": bm25s_reference(corpus, queries, qrels)}
    latency: dict[str, dict[str, float]] = {}
    server = None
    url = args.postgres_url
    if url is None:
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pgserver

        server = pgserver.get_server(tempfile.mkdtemp(prefix="paperwire-bench-kw-"), cleanup_mode="delete")
        url = server.get_uri("postgres")
    with tempfile.TemporaryDirectory(prefix="paperwire-bench-kw-") as home:
        for name, database_url in (("embedded", None), ("postgresql", url)):
            settings = load_settings(home=Path(home) / name, database_url=database_url, relevance_floor=False)
            store = Store.open(settings)
            try:
                ingest_items(store, corpus_items(DATA / "corpus.jsonl"), source="beir")
                if database_url:  # what autovacuum does after a load: statistics, and the GIN pending list merged
                    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(sa.text("VACUUM (ANALYZE)"))
                engine = SearchEngine(settings, store)
                engine.sync()
                runs(engine, dict(list(texts.items())[:20]))  # warm-up
                found, seconds = runs(engine, texts)
                results[name] = evaluate(found, {q: qrels[q] for q in judged})
                ordered = sorted(seconds)
                latency[name] = {
                    "p50_ms": round(statistics.median(ordered) * 1000, 2),
                    "p95_ms": round(ordered[round(0.95 * (len(ordered) - 1))] * 1000, 2),
                }
            finally:
                store.close()
    if server is not None:
        server.cleanup()
    print(f"scifact-train, {len(corpus):,} abstracts, {len(judged)} judged claims, keyword mode 100 deep")
    for name, metrics in results.items():
        line = "  ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        extra = f"   p50 {latency[name]['p50_ms']} ms, p95 {latency[name]['p95_ms']} ms" if name in latency else ""
        print(f"{name:<11} {line}{extra}")
    print(json.dumps({"results": results, "latency": latency}))


if __name__ == "__main__":
    main()
