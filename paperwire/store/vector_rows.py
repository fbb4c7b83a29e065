"""The pgvector SQL of PostgresVectorIndex: an HNSW cosine index per model dimension over embeddings.embedding,
and nearest-neighbour queries with the search filters as clauses of the same statement."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection


def vector_literal(vector: np.ndarray) -> str:
    """A vector as pgvector's text form, '[x,y,...]' (float32 precision)."""
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, dtype=np.float32).ravel()) + "]"


ITERATIVE_SCANS = (0, 8)  # the first pgvector release whose HNSW scan goes on until enough rows pass the filters
HALF_VECTORS = (0, 7)  # the first with halfvec (float16), which halves the HNSW index


def pgvector_version(conn: Connection) -> tuple[int, ...] | None:
    """The installed pgvector release as numbers, e.g. (0, 8, 2); None without the extension."""
    text = conn.execute(sa.text("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).scalar()
    return parse_version(text) if text else None


def parse_version(text: str) -> tuple[int, ...]:
    """'0.8.2' -> (0, 8, 2); a suffix such as '0.7.0-dev' is ignored."""
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def has_iterative_scans(version: tuple[int, ...] | None) -> bool:
    """Whether that pgvector can continue an HNSW scan past ef_search rows (hnsw.iterative_scan, 0.8 on)."""
    return version is not None and version >= ITERATIVE_SCANS


def has_half_vectors(version: tuple[int, ...] | None) -> bool:
    """Whether that pgvector has the halfvec type (0.7 on)."""
    return version is not None and version >= HALF_VECTORS


def model_dim(conn: Connection, model: str) -> int | None:
    """The dimension of `model`'s stored vectors, or None while it has none."""
    dim = conn.execute(sa.text("SELECT dim FROM embeddings WHERE model = :m LIMIT 1"), {"m": model}).scalar()
    return int(dim) if dim is not None else None


def index_exists(conn: Connection, name: str) -> bool:
    return bool(conn.execute(sa.text("SELECT to_regclass(:name) IS NOT NULL"), {"name": name}).scalar())


def create_hnsw_index(conn: Connection, name: str, dim: int, *, half: bool) -> None:
    """A partial HNSW cosine index over the vectors of dimension `dim` (pgvector indexes one dimension at a time),
    of their float16 copies with `half` (half the size; the scores are computed again from the float32 vectors)."""
    kind = "halfvec" if half else "vector"
    conn.execute(
        sa.text(
            f"CREATE INDEX IF NOT EXISTS {name} ON embeddings USING hnsw "
            f"((embedding::{kind}({int(dim)})) {kind}_cosine_ops) WHERE dim = {int(dim)}"
        )
    )


def drop_index(conn: Connection, name: str) -> None:
    conn.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))


def cosines(
    conn: Connection, *, model: str, dim: int, vector: np.ndarray, paper_ids: Sequence[str]
) -> list[tuple[str, float]]:
    """Cosine similarity of `vector` to the stored vectors of `paper_ids` (those that have one from `model`)."""
    dim = int(dim)
    rows = conn.execute(
        sa.text(
            f"SELECT paper_id, 1 - ((embedding::vector({dim})) <=> CAST(:q AS vector({dim}))) AS score "
            f"FROM embeddings WHERE paper_id = ANY(:ids) AND model = :model AND dim = {dim}"
        ),
        {"q": vector_literal(vector), "ids": list(paper_ids), "model": model},
    ).all()
    return [(row.paper_id, float(row.score)) for row in rows]


def set_local(conn: Connection, settings: dict[str, str]) -> None:
    """SET LOCAL each setting, in one round trip."""
    calls: list[str] = []
    params: dict[str, str] = {}
    for i, (name, value) in enumerate(settings.items()):
        calls.append(f"set_config(:name{i}, :value{i}, true)")
        params |= {f"name{i}": name, f"value{i}": value}
    conn.execute(sa.text("SELECT " + ", ".join(calls)), params)


def nearest(
    conn: Connection,
    *,
    model: str,
    dim: int,
    vector: np.ndarray,
    limit: int,
    ef_search: int,
    since: date | None = None,
    until: date | None = None,
    categories: Sequence[str] = (),
    allowed: Collection[str] | None = None,
    exact_when_short: bool = False,
    iterative: bool = False,
    max_scan_tuples: int = 20_000,
    half: bool = False,
    exact_first: bool = False,
    fetch: int = 0,
) -> list[tuple[str, float]]:
    """Visible papers nearest to `vector` by cosine similarity, inside the filters, best first.

    With `exact_first` (the caller found that the filters keep few papers, see at_most) the search is exact over
    them: an index scan would have to visit ~limit / selectivity rows to find as many. Otherwise the approximate
    query uses the HNSW index. With `iterative` (pgvector 0.8 on) the index scan goes on past ef_search rows until
    `fetch` of them (at least `limit`) pass the filters or `max_scan_tuples` were visited (relaxed order); those
    are rescored in float32 and the best `limit` kept. With `half` the index orders float16 copies
    (create_hnsw_index) and the scores come from the float32 vectors, the order they are returned in. With
    `exact_when_short`, when it still finds fewer than `limit`, the same query runs exactly.
    """
    dim = int(dim)
    params: dict[str, object] = {"model": model, "q": vector_literal(vector), "k": int(limit)}
    params["fetch"] = max(int(limit), int(fetch))
    # Both queries check the copies of the filters on each vector row (migration 0011): the approximate one on the
    # rows its index scan visits, the exact one on the rows of the papers inside the filters, found through the
    # filters' own indexes (the author filter's ids, paper_categories, papers.published).
    where = [f"e.dim = {dim}", "e.model = :model", "NOT e.hidden"]
    where += _date_clauses("e.", since, until)
    params |= {name: given for name, given in (("since", since), ("until", until)) if given}
    if categories:
        where.append("e.categories && CAST(:cats AS text[])")
        params["cats"] = list(categories)
    if allowed is not None:
        where.append("e.paper_id = ANY(:allowed)")
        params["allowed"] = list(allowed)
    inside = ""  # the planner starts from the smaller of these sets
    if allowed is None and categories:
        inside += " AND e.paper_id IN (SELECT c.paper_id FROM paper_categories c WHERE c.category = ANY(:cats))"
    if allowed is None and (since or until):
        inside += f" AND e.paper_id IN (SELECT id FROM papers WHERE {' AND '.join(_date_clauses('', since, until))})"
    distance = f"(e.embedding::vector({dim})) <=> CAST(:q AS vector({dim}))"
    indexed = f"(e.embedding::halfvec({dim})) <=> CAST(:q AS halfvec({dim}))" if half else distance
    # The exact query orders by the score, which the HNSW index cannot provide, so no plan of it uses the
    # index. (Planner settings cannot force that: psycopg prepares a statement run five times, and PostgreSQL
    # then reuses a cached generic plan, built with the index, whatever enable_indexscan says.)
    select = f"SELECT e.paper_id, 1 - ({distance}) AS score FROM embeddings e WHERE {' AND '.join(where)}"
    approximate = (
        f"SELECT paper_id, score FROM ({select} ORDER BY {indexed} LIMIT :fetch) AS found ORDER BY score DESC LIMIT :k"
    )
    exact = f"{select}{inside} ORDER BY score DESC LIMIT :k"
    if exact_first:
        return [(row.paper_id, float(row.score)) for row in conn.execute(sa.text(exact), params)]
    settings = {"hnsw.ef_search": str(int(ef_search))}
    if iterative:
        settings |= {"hnsw.iterative_scan": "relaxed_order", "hnsw.max_scan_tuples": str(int(max_scan_tuples))}
    set_local(conn, settings)
    rows = conn.execute(sa.text(approximate), params).all()
    if len(rows) < limit and exact_when_short:
        rows = conn.execute(sa.text(exact), params).all()
    return [(row.paper_id, float(row.score)) for row in rows]


def _date_clauses(alias: str, since: date | None, until: date | None) -> list[str]:
    """The date filter's clauses over `alias`published, bound as :since and :until."""
    return [
        f"{alias}published {op} :{name}"
        for op, name, given in ((">=", "since", since), ("<=", "until", until))
        if given
    ]


def at_most(conn: Connection, count: int, since: date | None, until: date | None, categories: Sequence[str]) -> bool:
    """Whether the category or the date filter alone keeps at most `count` papers (read from an index, at most
    count + 1 rows)."""
    counts, params = [], {"cap": count + 1, "since": since, "until": until, "cats": list(categories)}
    if categories:
        counts.append(
            "(SELECT count(*) FROM (SELECT 1 FROM paper_categories WHERE category = ANY(:cats) LIMIT :cap) c)"
        )
    if since or until:
        dates = " AND ".join(_date_clauses("", since, until))
        counts.append(f"(SELECT count(*) FROM (SELECT 1 FROM papers WHERE {dates} LIMIT :cap) d)")
    if not counts:
        return False
    return conn.execute(sa.text(f"SELECT least({', '.join(counts)})"), params).scalar_one() <= count
