"""Paper vectors in the database: what still needs embedding, saving vectors, reading them back in bulk."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paperwire.store.papers import _chunks
from paperwire.store.schema import embeddings, papers
from paperwire.store.upsert import insert_for


def _stale(model: str) -> Any:
    """Papers with no vector from `model`, or one made from older metadata."""
    return sa.or_(
        embeddings.c.paper_id.is_(None),
        embeddings.c.model != model,
        embeddings.c.content_hash != papers.c.content_hash,
    )


def count_pending(conn: Connection, model: str) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(papers.outerjoin(embeddings, embeddings.c.paper_id == papers.c.id))
        .where(_stale(model))
    )
    return conn.execute(query).scalar_one()


def pending_papers(conn: Connection, model: str, limit: int, after: str | None = None) -> list[dict[str, Any]]:
    """The next `limit` papers (by id, after `after`) that need a vector from `model`."""
    query = (
        sa.select(papers.c.id, papers.c.title, papers.c.abstract, papers.c.content_hash)
        .select_from(papers.outerjoin(embeddings, embeddings.c.paper_id == papers.c.id))
        .where(_stale(model))
        .order_by(papers.c.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(papers.c.id > after)
    return [dict(row._mapping) for row in conn.execute(query)]


def save_vectors(conn: Connection, model: str, rows: Sequence[dict[str, Any]], vectors: np.ndarray) -> None:
    """Insert or replace the vectors of `rows` (each with `id` and `content_hash`), one per row."""
    if not len(rows):
        return
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    now = datetime.now(UTC)
    postgres = conn.dialect.name == "postgresql"
    values = [
        {
            "paper_id": row["id"],
            "model": model,
            "dim": vectors.shape[1],
            "vector": None if postgres else vector.tobytes(),
            "embedding": vector if postgres else None,
            "content_hash": row["content_hash"],
            "updated_at": now,
        }
        for row, vector in zip(rows, vectors, strict=True)
    ]
    stmt = insert_for(conn, embeddings)
    stmt = stmt.on_conflict_do_update(
        index_elements=[embeddings.c.paper_id],
        set_={
            name: stmt.excluded[name] for name in ("model", "dim", "vector", "embedding", "content_hash", "updated_at")
        },
    )
    conn.execute(stmt, values)


def vector_column(postgres: bool) -> Any:
    """The stored vector as `_decode` reads it: pgvector's text form on PostgreSQL (parsed in C by numpy, 40x
    faster than the pgvector package's per-number parsing), float32 bytes on SQLite."""
    if postgres:
        return sa.cast(embeddings.c.embedding, sa.Text).label("embedding")
    return embeddings.c.vector


def _decode(row: Any, postgres: bool) -> np.ndarray:
    if postgres:
        return np.fromstring(row.embedding[1:-1], sep=",", dtype=np.float32)
    return np.frombuffer(row.vector, dtype=np.float32)


def iter_vectors(
    conn: Connection, model: str, *, changed_since: datetime | None = None, batch: int = 10_000
) -> Iterator[tuple[list[str], np.ndarray, datetime]]:
    """All vectors of `model` (or those updated since a moment), in batches of (ids, matrix, latest update)."""
    postgres = conn.dialect.name == "postgresql"
    column = vector_column(postgres)
    query = sa.select(embeddings.c.paper_id, column, embeddings.c.updated_at).where(embeddings.c.model == model)
    if changed_since is not None:
        query = query.where(embeddings.c.updated_at >= changed_since)
    result = conn.execution_options(yield_per=batch).execute(query.order_by(embeddings.c.paper_id))
    for part in result.partitions(batch):
        ids = [row.paper_id for row in part]
        matrix = np.vstack([_decode(row, postgres) for row in part]).astype(np.float32, copy=False)
        latest = max(_aware(row.updated_at) for row in part)
        yield ids, matrix, latest


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def vectors_of(conn: Connection, model: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
    """The vectors of some papers (those that have one from `model`)."""
    postgres = conn.dialect.name == "postgresql"
    column = vector_column(postgres)
    found: dict[str, np.ndarray] = {}
    for chunk in _chunks(list(ids)):
        query = sa.select(embeddings.c.paper_id, column).where(
            embeddings.c.model == model, embeddings.c.paper_id.in_(chunk)
        )
        for row in conn.execute(query):
            found[row.paper_id] = _decode(row, postgres)
    return found


def count_vectors(conn: Connection, model: str) -> int:
    return conn.execute(sa.select(sa.func.count()).where(embeddings.c.model == model)).scalar_one()


def pending_among(conn: Connection, model: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    """Those of `ids` that need a vector from `model` (missing or stale), with what embedding them needs."""
    found: list[dict[str, Any]] = []
    for chunk in _chunks(list(ids)):
        query = (
            sa.select(papers.c.id, papers.c.title, papers.c.abstract, papers.c.content_hash)
            .select_from(papers.outerjoin(embeddings, embeddings.c.paper_id == papers.c.id))
            .where(papers.c.id.in_(chunk), _stale(model))
        )
        found += [dict(row._mapping) for row in conn.execute(query)]
    return found
