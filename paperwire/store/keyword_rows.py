"""Reads the keyword indexes need: papers changed since a moment (for the embedded index), and the
PostgreSQL full-text clauses of PostgresKeywordIndex (over the search columns of migration 0003)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paperwire.store.papers import name_key
from paperwire.store.schema import papers

_COLUMNS = (
    papers.c.id,
    papers.c.title,
    papers.c.abstract,
    papers.c.authors,
    papers.c.categories,
    papers.c.published,
    papers.c.hidden,
    papers.c.updated_at,
)
_WORD = re.compile(r"\w+")


def name_words(name: str) -> list[str]:
    """The distinct words of an author name, accents and case folded as in paper_authors.name_key, sorted."""
    return sorted(set(_WORD.findall(name_key(name))))


def aware(moment: datetime) -> datetime:
    """A database timestamp as an aware UTC datetime (SQLite gives them back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iter_changed(
    conn: Connection, since: datetime | None = None, *, skip: Collection[datetime] = (), batch: int = 5000
) -> Iterator[list[dict[str, Any]]]:
    """Papers (hidden ones too) whose row changed at or after `since` (all when None), in batches.

    Rows whose updated_at is one of `skip` are left out. Each paper: id, title, abstract, authors (list),
    categories (list), published (date or None), hidden, updated_at (aware UTC). Uses ix_papers_updated_at.
    """
    query = sa.select(*_COLUMNS)
    if since is not None:
        query = query.where(papers.c.updated_at >= since)
    if skip:
        query = query.where(papers.c.updated_at.not_in(list(skip)))
    result = conn.execution_options(yield_per=batch).execute(query)
    for part in result.partitions(batch):
        rows = []
        for row in part:
            paper = dict(row._mapping)
            paper["updated_at"] = aware(paper["updated_at"])
            paper["authors"] = list(paper["authors"] or [])
            paper["categories"] = list(paper["categories"] or [])
            rows.append(paper)
        yield rows


def change_counts(conn: Connection, since: datetime) -> dict[datetime, int]:
    """How many papers carry each updated_at at or after `since`.

    A writer stamps all rows of one transaction alike, so an index can tell a stamp it has fully seen
    from one whose transaction committed late (read from the index on updated_at alone).
    """
    query = (
        sa.select(papers.c.updated_at, sa.func.count())
        .where(papers.c.updated_at >= since)
        .group_by(papers.c.updated_at)
    )
    return {aware(stamp): count for stamp, count in conn.execute(query)}


def latest_change(conn: Connection) -> datetime | None:
    """The newest papers.updated_at (aware UTC), or None for an empty table: a cheap staleness check."""
    latest = conn.execute(sa.select(sa.func.max(papers.c.updated_at))).scalar_one()
    if isinstance(latest, str):  # SQLite: max() over the stored text bypasses the type's result processor
        latest = datetime.fromisoformat(latest)
    return aware(latest) if latest is not None else None


def count_visible(conn: Connection) -> int:
    """Papers that are not hidden: what a complete keyword index holds."""
    return conn.execute(sa.select(sa.func.count()).where(papers.c.hidden.is_(sa.false()))).scalar_one()


# --- PostgreSQL full-text search (migration 0003: papers.search_tsv, paperwire_name_tsv) -----------------
# The ranking itself is BM25 (paperwire.store.bm25_rows); these are the clauses it and the author filter share.


def ids_with_author_names(conn: Connection, names: Sequence[str]) -> set[str]:
    """PostgreSQL: ids of visible papers with, for each name, one author whose name holds all of its words."""
    params: dict[str, Any] = {}
    where = filter_clauses(params, (), names, None, None)
    if not where:
        return set()
    sql = f"SELECT p.id FROM papers p WHERE NOT p.hidden AND {' AND '.join(where)}"
    return set(conn.execute(sa.text(sql), params).scalars())


def tsqueries(params: dict[str, Any], prefix: str, texts: Sequence[str], function: str) -> list[str]:
    """One tsquery expression per text (`function` is plainto_tsquery or phraseto_tsquery), its text in params."""
    found = []
    for i, text in enumerate(texts):
        params[f"{prefix}{i}"] = text
        found.append(f"{function}('english'::regconfig, paperwire_fold(:{prefix}{i}))")
    return found


def filter_clauses(
    params: dict[str, Any],
    categories: Sequence[str],
    author_names: Sequence[str],
    since: date | None,
    until: date | None,
) -> list[str]:
    """WHERE clauses over papers `p` for the search filters. Categories are checked on the paper's own row (its
    jsonb list), which a search reads anyway, not by a probe into paper_categories per candidate."""
    where = []
    if categories:
        params["cats"] = list(categories)
        where.append("p.categories ?| CAST(:cats AS text[])")
    for i, name in enumerate(author_names):
        words = name_words(name)
        if not words:
            continue  # a name without words restricts nothing
        params[f"a{i}"] = " ".join(words)
        where.append(
            "EXISTS (SELECT 1 FROM paper_authors a WHERE a.paper_id = p.id"
            f" AND paperwire_name_tsv(a.name_key) @@ plainto_tsquery('simple'::regconfig, :a{i}))"
        )
    if since:
        params["since"] = since
        where.append("p.published >= :since")
    if until:
        params["until"] = until
        where.append("p.published <= :until")
    return where
