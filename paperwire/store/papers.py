"""Reads and writes of papers, their authors, categories, versions, sources and daily-list entries."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paperwire.store.schema import (
    listings,
    paper_authors,
    paper_categories,
    paper_sources,
    paper_versions,
    papers,
)
from paperwire.store.upsert import insert_for

PAPER_FIELDS = (
    "version",
    "title",
    "abstract",
    "authors",
    "categories",
    "published",
    "updated",
    "doi",
    "journal_ref",
    "comments",
    "license",
    "submitter",
    "pdf_url",
    "code_url",
    "project_url",
)
_CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


def name_key(name: str) -> str:
    """An author name folded for matching: accents removed, case folded, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def insert_ignore(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows, silently skipping those whose key already exists (both dialects)."""
    if not rows:
        return
    conn.execute(insert_for(conn, table).on_conflict_do_nothing(), rows)


def load_papers(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored metadata (PAPER_FIELDS + content_hash) of those ids that exist."""
    columns = [papers.c.id, papers.c.content_hash, *(papers.c[name] for name in PAPER_FIELDS)]
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(sa.select(*columns).where(papers.c.id.in_(chunk))):
            found[row.id] = dict(row._mapping)
    return found


def load_versions(conn: Connection, ids: Sequence[str]) -> set[tuple[str, int]]:
    """The (paper id, version) pairs already recorded for those ids."""
    seen: set[tuple[str, int]] = set()
    for chunk in _chunks(ids):
        query = sa.select(paper_versions.c.paper_id, paper_versions.c.version).where(
            paper_versions.c.paper_id.in_(chunk)
        )
        seen.update((row.paper_id, row.version) for row in conn.execute(query))
    return seen


def load_listings(conn: Connection, ids: Sequence[str]) -> dict[tuple[date, str], dict[str, Any]]:
    """Existing daily-list entries of those papers, keyed by (list date, paper id)."""
    found: dict[tuple[date, str], dict[str, Any]] = {}
    for chunk in _chunks(ids):
        query = sa.select(listings).where(listings.c.paper_id.in_(chunk))
        for row in conn.execute(query):
            found[(row.list_date, row.paper_id)] = dict(row._mapping)
    return found


def insert_papers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert new papers (complete rows) with their author and category rows."""
    if rows:
        conn.execute(papers.insert(), rows)
        _write_children(conn, rows)


def update_papers(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Overwrite the metadata of existing papers and rewrite their author and category rows."""
    if not rows:
        return
    values: dict[str, Any] = {
        name: sa.bindparam(name) for name in (*PAPER_FIELDS, "primary_category", "content_hash", "updated_at")
    }
    conn.execute(
        papers.update().where(papers.c.id == sa.bindparam("b_id")).values(**values),
        [{**row, "b_id": row["id"]} for row in rows],
    )
    ids = [row["id"] for row in rows]
    for chunk in _chunks(ids):
        conn.execute(paper_authors.delete().where(paper_authors.c.paper_id.in_(chunk)))
        conn.execute(paper_categories.delete().where(paper_categories.c.paper_id.in_(chunk)))
    _write_children(conn, rows)


def _write_children(conn: Connection, rows: list[dict[str, Any]]) -> None:
    authors = [
        {"paper_id": row["id"], "position": i, "name": name, "name_key": name_key(name)}
        for row in rows
        for i, name in enumerate(row["authors"])
    ]
    categories = [
        {"paper_id": row["id"], "position": i, "category": cat}
        for row in rows
        for i, cat in enumerate(row["categories"])
    ]
    if authors:
        conn.execute(paper_authors.insert(), authors)
    if categories:
        conn.execute(paper_categories.insert(), categories)


def add_versions(conn: Connection, rows: list[dict[str, Any]]) -> None:
    insert_ignore(conn, paper_versions, rows)


def add_sources(conn: Connection, rows: list[dict[str, Any]]) -> None:
    insert_ignore(conn, paper_sources, rows)


def insert_listings(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(listings.insert(), rows)


def update_listings(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Refresh imported upvotes and submitter names of existing daily-list entries."""
    if not rows:
        return
    stmt = (
        listings.update()
        .where(listings.c.list_date == sa.bindparam("b_date"), listings.c.paper_id == sa.bindparam("b_id"))
        .values(source_upvotes=sa.bindparam("source_upvotes"), submitter=sa.bindparam("submitter"))
    )
    conn.execute(stmt, [{**row, "b_date": row["list_date"], "b_id": row["paper_id"]} for row in rows])


def get_paper(conn: Connection, paper_id: str) -> dict[str, Any] | None:
    """One paper's full row, or None."""
    row = conn.execute(sa.select(papers).where(papers.c.id == paper_id)).first()
    return dict(row._mapping) if row else None


def paper_versions_of(conn: Connection, paper_id: str) -> list[dict[str, Any]]:
    query = sa.select(paper_versions).where(paper_versions.c.paper_id == paper_id).order_by(paper_versions.c.version)
    return [dict(row._mapping) for row in conn.execute(query)]


def counts(conn: Connection) -> dict[str, int]:
    """Row counts of the paper tables, for summaries and checks."""
    tables = {"papers": papers, "versions": paper_versions, "listings": listings, "authors": paper_authors}
    return {
        name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() for name, table in tables.items()
    }


def listing_days(conn: Connection) -> list[tuple[date, int]]:
    """Each daily-list date with its number of papers, newest first."""
    query = (
        sa.select(listings.c.list_date, sa.func.count())
        .group_by(listings.c.list_date)
        .order_by(listings.c.list_date.desc())
    )
    return [(row[0], row[1]) for row in conn.execute(query)]


def set_listing_submitter(conn: Connection, day: date, paper_id: str, user_id: int) -> None:
    """Record which user put a paper on a day's list."""
    conn.execute(
        listings.update()
        .where(listings.c.list_date == day, listings.c.paper_id == paper_id)
        .values(submitted_by=user_id)
    )


def papers_by_ids(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Display fields of some papers, keyed by id (hidden ones included; callers decide)."""
    columns = [
        papers.c.id,
        papers.c.title,
        papers.c.abstract,
        papers.c.authors,
        papers.c.categories,
        papers.c.published,
        papers.c.updated,
        papers.c.version,
        papers.c.hidden,
        papers.c.code_url,
    ]
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        for row in conn.execute(sa.select(*columns).where(papers.c.id.in_(chunk))):
            found[row.id] = dict(row._mapping)
    return found


def newest_in_filters(
    conn: Connection,
    *,
    categories: Sequence[str] = (),
    authors: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[str]:
    """Ids of visible papers inside the filters, newest first (a filter-only query is a listing)."""
    query = sa.select(papers.c.id).where(papers.c.hidden.is_(False))
    if since:
        query = query.where(papers.c.published >= since)
    if until:
        query = query.where(papers.c.published <= until)
    if categories:
        query = query.where(
            sa.exists().where(
                paper_categories.c.paper_id == papers.c.id, paper_categories.c.category.in_(list(categories))
            )
        )
    for name in authors:
        words = name_key(name).split()
        padded = sa.literal(" ") + paper_authors.c.name_key + sa.literal(" ")
        match = sa.and_(*(padded.contains(f" {word} ", autoescape=True) for word in words))  # whole words only
        query = query.where(sa.exists().where(paper_authors.c.paper_id == papers.c.id, match))
    query = query.order_by(papers.c.published.desc().nulls_last(), papers.c.id.desc()).limit(limit).offset(offset)
    return list(conn.execute(query).scalars())


def listed_without_metadata(conn: Connection) -> list[str]:
    """Ids of papers on a daily list that lack arXiv's metadata (no category or no first-published date: known
    only from a Hugging Face list or a submission), oldest listing first."""
    query = (
        sa.select(papers.c.id)
        .join(listings, listings.c.paper_id == papers.c.id)
        .where(sa.or_(papers.c.primary_category.is_(None), papers.c.published.is_(None)))
        .group_by(papers.c.id)
        .order_by(sa.func.min(listings.c.list_date), papers.c.id)
    )
    return list(conn.execute(query).scalars())


def authorship(conn: Connection) -> list[dict[str, Any]]:
    """Every visible paper's id, title, authors and first publication day (those with a day), for evaluations."""
    query = sa.select(papers.c.id, papers.c.title, papers.c.authors, papers.c.published).where(
        papers.c.hidden.is_(False), papers.c.published.is_not(None)
    )
    return [dict(row._mapping) for row in conn.execute(query)]
