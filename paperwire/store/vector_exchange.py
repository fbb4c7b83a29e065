"""Queries behind vector import and export: the papers a file's ids name, and stored vectors with their text."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paperwire.store.embeddings import _decode, vector_column
from paperwire.store.papers import _chunks
from paperwire.store.schema import embeddings, papers


def papers_by_id(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """id, title, abstract and content_hash of the papers among `ids` that exist."""
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        query = sa.select(papers.c.id, papers.c.title, papers.c.abstract, papers.c.content_hash).where(
            papers.c.id.in_(chunk)
        )
        found.update({row.id: dict(row._mapping) for row in conn.execute(query)})
    return found


def stored_dim(conn: Connection, model: str) -> int | None:
    """The dimension of `model`'s stored vectors, if it has any."""
    return conn.execute(sa.select(embeddings.c.dim).where(embeddings.c.model == model).limit(1)).scalar()


def iter_vectors_with_text(
    conn: Connection, model: str, *, batch: int = 5000
) -> Iterator[tuple[list[dict[str, Any]], np.ndarray]]:
    """`model`'s vectors by paper id, in batches of (rows with id, title, abstract, current, matrix).

    `current` is false for a vector made from older metadata than the paper has now.
    """
    postgres = conn.dialect.name == "postgresql"
    column = vector_column(postgres)
    query = (
        sa.select(
            embeddings.c.paper_id,
            column,
            papers.c.title,
            papers.c.abstract,
            (embeddings.c.content_hash == papers.c.content_hash).label("current"),
        )
        .join(papers, papers.c.id == embeddings.c.paper_id)
        .where(embeddings.c.model == model)
        .order_by(embeddings.c.paper_id)
    )
    result = conn.execution_options(yield_per=batch).execute(query)
    for part in result.partitions(batch):
        rows = [
            {"id": row.paper_id, "title": row.title, "abstract": row.abstract, "current": bool(row.current)}
            for row in part
        ]
        yield rows, np.vstack([_decode(row, postgres) for row in part]).astype(np.float32, copy=False)
