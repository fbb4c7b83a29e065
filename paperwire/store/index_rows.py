"""What the embedded vector index reads from the database: vectors joined with the metadata its filters need."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paperwire.store.schema import embeddings, papers

_EPOCH = date(1970, 1, 1)
NO_DATE = np.iinfo(np.int32).min  # published date unknown: fails every date filter


@dataclass(frozen=True)
class IndexRows:
    """A batch of index rows: one vector per paper with its filter metadata, aligned by position."""

    ids: list[str]
    vectors: np.ndarray  # (n, dim) float32, L2-normalised
    published: np.ndarray  # (n,) int32 days since 1970-01-01, NO_DATE when unknown
    categories: list[list[str]]
    hidden: np.ndarray  # (n,) bool
    stamps: np.ndarray  # (n,) int64 fingerprint of (vector updated_at, paper updated_at): unchanged rows keep it

    def __len__(self) -> int:
        return len(self.ids)


def day_number(value: date | None) -> int:
    """A date as int32 days since 1970-01-01 (NO_DATE for None)."""
    return NO_DATE if value is None else (value - _EPOCH).days


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _micros(moment: datetime) -> int:
    return int(_aware(moment).timestamp() * 1_000_000)


def stamp_of(vector_at: datetime, paper_at: datetime) -> int:
    """One int64 that changes whenever either updated_at changes."""
    mixed = (_micros(vector_at) * 0x9E3779B1 + _micros(paper_at)) & 0x7FFF_FFFF_FFFF_FFFF
    return int(mixed)


def iter_index_rows(
    conn: Connection,
    model: str,
    changed_since: datetime | None = None,
    batch: int = 10_000,
    *,
    skip: Mapping[str, Collection[datetime]] | None = None,
) -> Iterator[IndexRows]:
    """Vectors of `model` with their papers' metadata, by paper id; only rows whose vector or paper
    changed at or after `changed_since` when given (both updated_at columns are indexed), leaving out changes
    stamped with one of `skip["vectors"]` or `skip["papers"]` (stamps read in full before: see stamp_counts)."""
    postgres = conn.dialect.name == "postgresql"
    column = embeddings.c.embedding if postgres else embeddings.c.vector
    query = (
        sa.select(
            embeddings.c.paper_id,
            column.label("data"),
            embeddings.c.updated_at.label("vector_at"),
            papers.c.published,
            papers.c.categories,
            papers.c.hidden,
            papers.c.updated_at.label("paper_at"),
        )
        .select_from(embeddings.join(papers, papers.c.id == embeddings.c.paper_id))
        .where(embeddings.c.model == model)
        .order_by(embeddings.c.paper_id)
    )
    if changed_since is not None:
        vector_changes = sa.select(embeddings.c.paper_id).where(embeddings.c.updated_at >= changed_since)
        paper_changes = sa.select(papers.c.id).where(papers.c.updated_at >= changed_since)
        if skip and skip.get("vectors"):
            vector_changes = vector_changes.where(embeddings.c.updated_at.not_in(list(skip["vectors"])))
        if skip and skip.get("papers"):
            paper_changes = paper_changes.where(papers.c.updated_at.not_in(list(skip["papers"])))
        changed = sa.union(vector_changes, paper_changes)
        query = query.where(embeddings.c.paper_id.in_(changed.scalar_subquery()))
    result = conn.execution_options(yield_per=batch).execute(query)
    for part in result.partitions(batch):
        if postgres:
            vectors = np.vstack([np.asarray(row.data, dtype=np.float32) for row in part])
        else:
            vectors = np.frombuffer(b"".join(row.data for row in part), dtype=np.float32).reshape(len(part), -1)
        yield IndexRows(
            ids=[row.paper_id for row in part],
            vectors=np.ascontiguousarray(vectors, dtype=np.float32),
            published=np.array([day_number(row.published) for row in part], dtype=np.int32),
            categories=[list(row.categories or ()) for row in part],
            hidden=np.array([bool(row.hidden) for row in part], dtype=bool),
            stamps=np.array([stamp_of(row.vector_at, row.paper_at) for row in part], dtype=np.int64),
        )


def latest_change(conn: Connection) -> datetime | None:
    """The latest updated_at of any vector or paper (two index lookups): the next sync's watermark."""
    moments = [
        conn.execute(sa.select(sa.func.max(embeddings.c.updated_at))).scalar_one(),
        conn.execute(sa.select(sa.func.max(papers.c.updated_at))).scalar_one(),
    ]
    known = [_aware(m) for m in moments if m is not None]
    return max(known) if known else None


def ids_moved_away(conn: Connection, model: str, changed_since: datetime) -> list[str]:
    """Papers whose vector was replaced by another model's at or after `changed_since`."""
    query = sa.select(embeddings.c.paper_id).where(
        embeddings.c.updated_at >= changed_since, embeddings.c.model != model
    )
    return list(conn.execute(query).scalars())


def count_index_rows(conn: Connection, model: str) -> int:
    """How many papers have a vector from `model` (a cheap check for deletions)."""
    return conn.execute(sa.select(sa.func.count()).where(embeddings.c.model == model)).scalar_one()


def index_ids(conn: Connection, model: str) -> list[str]:
    """Ids of every paper with a vector from `model`."""
    return list(conn.execute(sa.select(embeddings.c.paper_id).where(embeddings.c.model == model)).scalars())


def stamp_counts(conn: Connection, since: datetime) -> dict[str, dict[str, int]]:
    """Rows per updated_at stamp at or after `since`, of vectors and of papers (index range scans).

    A writer stamps all rows of one transaction alike, so a stamp's rows appear together when it commits, late or
    not. Counted before a sync reads the rows, a stamp whose count has not grown by the next sync holds nothing
    that sync must read again (rows that leave a stamp are read under their new one).
    """
    found: dict[str, dict[str, int]] = {}
    for name, table in (("vectors", embeddings), ("papers", papers)):
        column = table.c.updated_at
        rows = conn.execute(sa.select(column, sa.func.count()).where(column >= since).group_by(column))
        found[name] = {_aware(stamp).isoformat(): int(count) for stamp, count in rows}
    return found


def seen_stamps(counts: dict[str, dict[str, int]], before: Any) -> dict[str, list[datetime]]:
    """The stamps of `counts` that hold no more rows than `before` (an earlier stamp_counts, or anything else
    for none) counted: read in full by an earlier sync."""
    earlier = before if isinstance(before, dict) else {}
    return {
        name: [
            datetime.fromisoformat(stamp)
            for stamp, count in by_stamp.items()
            if count <= earlier.get(name, {}).get(stamp, 0)
        ]
        for name, by_stamp in counts.items()
    }


def counts_since(counts: dict[str, dict[str, int]], since: datetime) -> dict[str, dict[str, int]]:
    """`counts` without the stamps before `since`: what the next sync, whose window starts there, compares with."""
    return {
        name: {stamp: n for stamp, n in by_stamp.items() if datetime.fromisoformat(stamp) >= since}
        for name, by_stamp in counts.items()
    }
