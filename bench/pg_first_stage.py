"""PostgreSQL's vector first stage: the halfvec HNSW index Paperwire ships against a binary one (the embedded
index's design in SQL), on bench/scale.py's 287 k papers, in one run.

    .venv/bin/python bench/pg_first_stage.py            # needs bench/scale.py's stores (run it first)
    .venv/bin/python bench/pg_first_stage.py --keep     # keep the binary index afterwards

"halfvec": PostgresVectorIndex.search, what semantic and hybrid search run (HNSW over float16 copies, filters on
the vector rows, float32 rescoring). "halfvec, joined (0010)": the same scan as it was before migration 0011, each
visited index row joined to its paper and categories to check the filters (no exact search up front). "bits + rescoring N": an HNSW index over `binary_quantize(embedding)::bit(384)`
(Hamming distance, pgvector >= 0.7, 48 bytes a paper), its N nearest re-ranked by the float32 cosine in the same
statement, with the same iterative scan and filters. Queries: scale.py's "words" and "sentences"; per filter of
scale.py and strategy: p50 / p95 of `limit` 10 and 100 (the hybrid depth) and recall@10 against exact float32
search. The strategies take turns query by query, each query starting with the next one (none runs first on cold caches every time), one thread.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import scale  # bench/scale.py: its stores, queries and exact search

from paperwire.config import load_settings
from paperwire.search.embedder import load_embedder
from paperwire.search.query import Filters, parse_query
from paperwire.search.vector_postgres import EF_SEARCH, FILTERED_FETCH, MAX_SCAN_TUPLES, PostgresVectorIndex
from paperwire.store import Store
from paperwire.store.vector_rows import set_local, vector_literal

BIT_INDEX = "ix_embeddings_hnsw_bits_bench"
RESCORE = (200, 400)


def bits_search(conn: sa.Connection, vector: np.ndarray, filters: Filters, limit: int, rescore: int) -> list[str]:
    where = ["e.dim = 384", "NOT e.hidden"]
    params: dict[str, Any] = {"q": vector_literal(vector), "k": limit, "n": max(rescore, limit)}
    if filters.categories:
        where.append("e.categories && CAST(:cats AS text[])")
        params["cats"] = list(filters.categories)
    if filters.since:
        where.append("e.published >= :since")
        params["since"] = filters.since
    set_local(
        conn,
        {
            "hnsw.ef_search": str(max(EF_SEARCH, rescore)),
            "hnsw.iterative_scan": "relaxed_order",
            "hnsw.max_scan_tuples": str(MAX_SCAN_TUPLES),
        },
    )
    rows = conn.execute(
        sa.text(
            "SELECT paper_id FROM (SELECT e.paper_id, e.embedding FROM embeddings e "
            f"WHERE {' AND '.join(where)} ORDER BY binary_quantize(e.embedding)::bit(384) <~> "
            "binary_quantize(CAST(:q AS vector(384)))::bit(384) LIMIT :n) AS found "
            "ORDER BY (found.embedding::vector(384)) <=> CAST(:q AS vector(384)) LIMIT :k"
        ),
        params,
    ).scalars()
    return list(rows)


def joined_search(conn: sa.Connection, vector: np.ndarray, filters: Filters, limit: int, fetch: int) -> list[str]:
    """The approximate query before migration 0011: each index row joined to its paper and its categories."""
    where = ["e.dim = 384", "NOT p.hidden"]
    params: dict[str, Any] = {"q": vector_literal(vector), "k": limit, "n": max(fetch, limit)}
    if filters.categories:
        where.append("EXISTS (SELECT 1 FROM paper_categories c WHERE c.paper_id = p.id AND c.category = ANY(:cats))")
        params["cats"] = list(filters.categories)
    if filters.since:
        where.append("p.published >= :since")
        params["since"] = filters.since
    set_local(
        conn,
        {
            "hnsw.ef_search": str(max(EF_SEARCH, limit)),
            "hnsw.iterative_scan": "relaxed_order",
            "hnsw.max_scan_tuples": str(MAX_SCAN_TUPLES),
        },
    )
    return list(
        conn.execute(
            sa.text(
                "SELECT paper_id FROM (SELECT e.paper_id, 1 - ((e.embedding::vector(384)) <=> CAST(:q AS vector(384))) "
                f"AS score FROM embeddings e JOIN papers p ON p.id = e.paper_id WHERE {' AND '.join(where)} "
                "ORDER BY (e.embedding::halfvec(384)) <=> CAST(:q AS halfvec(384)) LIMIT :n) AS found "
                "ORDER BY score DESC LIMIT :k"
            ),
            params,
        ).scalars()
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the binary index afterwards")
    parser.add_argument("--queries", type=int, default=80, help="the first N queries of each set")
    args = parser.parse_args()
    folder = scale.OUT / "scale"
    pg = scale.Postgres(folder / "pg")
    common = {"embedding_model": str(scale.MODEL_DIR), "embedding_device": "cpu", "index_sync_interval": 1e9}
    lite = Store.open(load_settings(home=folder / "home", **common))
    settings = load_settings(home=folder / "pg-home", database_url=pg.url, search_index="database", **common)
    store = Store.open(settings)
    embedder = load_embedder(settings)
    halfvec = PostgresVectorIndex(store, settings, embedder.name, 384)
    try:
        began = time.perf_counter()
        with store.write() as conn:
            conn.execute(sa.text("SET LOCAL maintenance_work_mem = '1GB'"))
            conn.execute(
                sa.text(
                    f"CREATE INDEX IF NOT EXISTS {BIT_INDEX} ON embeddings USING hnsw "
                    "((binary_quantize(embedding)::bit(384)) bit_hamming_ops) WHERE dim = 384"
                )
            )
        with store.read() as conn:
            sizes = {
                name: conn.execute(sa.text("SELECT pg_relation_size(to_regclass(:n))"), {"n": name}).scalar_one()
                for name in (BIT_INDEX, halfvec._index)
            }
        print(
            f"binary index ready in {time.perf_counter() - began:.0f} s; sizes (MB): "
            + ", ".join(f"{k} {v / 2**20:.0f}" for k, v in sizes.items())
        )
        queries = {k: v[: args.queries] for k, v in scale.make_queries(lite).items()}
        exact = scale.Exact(lite, folder / "vectors.npz")
        strategies = ["halfvec", "halfvec, joined (0010)", *(f"bits + rescoring {n}" for n in RESCORE)]
        print(
            f"\n{'filter [queries]':<34}{'strategy':<24}{'p50 @10':>9}{'p95 @10':>9}{'p50 @100':>10}{'recall@10':>11}"
        )
        seen: set[Filters] = set()
        for _, _, filters in scale.MODES:
            if filters in seen:
                continue
            seen.add(filters)
            rows = np.flatnonzero(exact.mask(filters))
            for kind, texts in queries.items():
                vectors = embedder.embed([parse_query(t).text for t in texts])
                took: dict[str, dict[int, list[float]]] = {s: {10: [], 100: []} for s in strategies}
                recalls: dict[str, list[float]] = {s: [] for s in strategies}
                for turn, vector in enumerate(vectors):
                    truth = set(exact.top(vector, rows, 10))
                    order = strategies[turn % len(strategies) :] + strategies[: turn % len(strategies)]
                    for limit in (10, 100):
                        for strategy in order:
                            start = time.perf_counter()
                            if strategy == "halfvec":
                                got = [pid for pid, _ in halfvec.search(vector, limit, filters)]
                            elif strategy.startswith("halfvec, joined"):
                                fetch = FILTERED_FETCH if filters else limit
                                with store.read() as conn:
                                    got = joined_search(conn, vector, filters, limit, fetch)
                            else:
                                with store.read() as conn:
                                    got = bits_search(conn, vector, filters, limit, int(strategy.rsplit(" ", 1)[1]))
                            took[strategy][limit].append(time.perf_counter() - start)
                            if limit == 10:
                                recalls[strategy].append(len(truth.intersection(got)) / 10)
                label = f"{scale._filter_label(filters)} [{kind}]"
                for strategy in strategies:
                    t10, t100 = sorted(took[strategy][10]), sorted(took[strategy][100])
                    print(
                        f"{label:<34}{strategy:<24}{statistics.median(t10) * 1000:8.2f}"
                        f"{t10[round(0.95 * (len(t10) - 1))] * 1000:9.1f}{statistics.median(t100) * 1000:10.2f}"
                        f"{np.mean(recalls[strategy]):11.3f}"
                    )
    finally:
        if not args.keep:
            with store.write() as conn:
                conn.execute(sa.text(f"DROP INDEX IF EXISTS {BIT_INDEX}"))
        lite.close()
        store.close()
        pg.close()


if __name__ == "__main__":
    main()
