"""Queries behind the daily, weekly and monthly lists, the paper page's counts and the author page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paperwire.store.papers import _chunks
from paperwire.store.schema import comments, listings, paper_authors, paper_categories, papers, users

DISPLAY_COLUMNS = (
    "id",
    "title",
    "abstract",
    "authors",
    "categories",
    "primary_category",
    "published",
    "updated",
    "version",
    "code_url",
    "project_url",
    "pdf_url",
    "created_at",
    "updated_at",
)


def _in_category(paper_id: sa.ColumnElement[Any], names: Sequence[str]) -> sa.Exists:
    return sa.exists().where(paper_categories.c.paper_id == paper_id, paper_categories.c.category.in_(list(names)))


def community_rows(
    conn: Connection, start: date, end: date, *, category: str | None = None, submitter: str | None = None
) -> list[dict[str, Any]]:
    """Daily-list entries (imports and submissions) of visible papers listed between start and end (inclusive),
    optionally only those put there by `submitter` (display name or the source's name, case ignored)."""
    who = sa.func.coalesce(users.c.display_name, listings.c.submitter)
    query = (
        sa.select(
            listings.c.paper_id,
            listings.c.list_date,
            who.label("submitter"),
            listings.c.created_at.label("listed_at"),
        )
        .select_from(
            listings.join(papers, papers.c.id == listings.c.paper_id).outerjoin(
                users, users.c.id == listings.c.submitted_by
            )
        )
        .where(listings.c.list_date >= start, listings.c.list_date <= end, papers.c.hidden.is_(False))
    )
    if category:
        query = query.where(_in_category(listings.c.paper_id, [category]))
    if submitter:
        query = query.where(_listed_by(submitter))
    return [dict(row._mapping) for row in conn.execute(query)]


def _listed_by(submitter: str) -> sa.ColumnElement[bool]:
    """A listing made by this submitter: the user's display name, else the name the source gave; case ignored."""
    who = sa.func.coalesce(users.c.display_name, listings.c.submitter)
    return sa.func.lower(who) == submitter.lower()


def arxiv_rows(
    conn: Connection, start: date, end: date, followed: Sequence[str], *, category: str | None = None
) -> list[dict[str, Any]]:
    """Visible papers first published between start and end in any of the followed categories."""
    if not followed:
        return []
    query = sa.select(
        papers.c.id.label("paper_id"),
        papers.c.published.label("list_date"),
        sa.null().label("submitter"),
        papers.c.created_at.label("listed_at"),
    ).where(
        papers.c.published >= start,
        papers.c.published <= end,
        papers.c.hidden.is_(False),
        _in_category(papers.c.id, followed),
    )
    if category:
        query = query.where(_in_category(papers.c.id, [category]))
    return [dict(row._mapping) for row in conn.execute(query)]


def nearest_day(
    conn: Connection,
    *,
    community: bool,
    followed: Sequence[str],
    before: date | None = None,
    after: date | None = None,
    category: str | None = None,
    submitter: str | None = None,
) -> date | None:
    """The latest day with papers before `before` (or overall), or the earliest one after `after`; with
    `submitter`, only days with papers that submitter listed (as community_rows matches them)."""
    found: list[date | None] = []
    pick = sa.func.min if after is not None else sa.func.max
    if submitter:
        followed = []  # papers listed by their arXiv date have no submitter
    if community:
        query = (
            sa.select(pick(listings.c.list_date))
            .select_from(
                listings.join(papers, papers.c.id == listings.c.paper_id).outerjoin(
                    users, users.c.id == listings.c.submitted_by
                )
            )
            .where(papers.c.hidden.is_(False))
        )
        if submitter:
            query = query.where(_listed_by(submitter))
        if before is not None:
            query = query.where(listings.c.list_date < before)
        if after is not None:
            query = query.where(listings.c.list_date > after)
        if category:
            query = query.where(_in_category(listings.c.paper_id, [category]))
        found.append(conn.execute(query).scalar())
    if followed:
        query = sa.select(pick(papers.c.published)).where(
            papers.c.hidden.is_(False), _in_category(papers.c.id, followed)
        )
        if before is not None:
            query = query.where(papers.c.published < before)
        if after is not None:
            query = query.where(papers.c.published > after)
        if category:
            query = query.where(_in_category(papers.c.id, [category]))
        found.append(conn.execute(query).scalar())
    days = [as_date(day) for day in found if day is not None]
    if not days:
        return None
    return min(days) if after is not None else max(days)


def as_date(value: Any) -> date:
    """A date from a driver value (SQLite may hand back ISO text for an aggregate)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def display_rows(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """What a list, a feed or the API shows of each visible paper, keyed by id."""
    columns = [papers.c[name] for name in DISPLAY_COLUMNS]
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(list(ids)):
        query = sa.select(*columns).where(papers.c.id.in_(chunk), papers.c.hidden.is_(False))
        for row in conn.execute(query):
            found[row.id] = dict(row._mapping)
    return found


def comment_counts(conn: Connection, ids: Sequence[str]) -> dict[str, int]:
    """Visible comments per paper, replies included: not hidden by an admin, not deleted, not by a blocked user,
    and a reply only under a visible comment (as the page shows)."""
    parent = comments.alias("parent")
    parent_author = users.alias("parent_author")
    parent_visible = sa.and_(
        parent.c.hidden_at.is_(None), parent.c.deleted_at.is_(None), parent_author.c.blocked_at.is_(None)
    )
    counts: dict[str, int] = {}
    for chunk in _chunks(list(ids)):
        query = (
            sa.select(comments.c.paper_id, sa.func.count())
            .join(users, users.c.id == comments.c.user_id)
            .outerjoin(parent, parent.c.id == comments.c.parent_id)
            .outerjoin(parent_author, parent_author.c.id == parent.c.user_id)
            .where(
                comments.c.paper_id.in_(chunk),
                comments.c.hidden_at.is_(None),
                comments.c.deleted_at.is_(None),
                users.c.blocked_at.is_(None),
                sa.or_(comments.c.parent_id.is_(None), parent_visible),
            )
            .group_by(comments.c.paper_id)
        )
        counts.update((row[0], row[1]) for row in conn.execute(query))
    return counts


def paper_listings(conn: Connection, paper_id: str) -> list[dict[str, Any]]:
    """The daily lists a paper is on, newest first, with who put it there."""
    query = (
        sa.select(
            listings.c.list_date,
            listings.c.source,
            sa.func.coalesce(users.c.display_name, listings.c.submitter).label("submitter"),
        )
        .select_from(listings.outerjoin(users, users.c.id == listings.c.submitted_by))
        .where(listings.c.paper_id == paper_id)
        .order_by(listings.c.list_date.desc())
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def author_papers(conn: Connection, key: str, *, limit: int, offset: int) -> tuple[list[str], int]:
    """Ids of the visible papers of the author whose folded name is `key`, newest first, and their total."""
    match = sa.exists().where(paper_authors.c.paper_id == papers.c.id, paper_authors.c.name_key == key)
    base = sa.select(papers.c.id).where(papers.c.hidden.is_(False), match)
    total = conn.execute(sa.select(sa.func.count()).select_from(base.subquery())).scalar_one()
    query = base.order_by(papers.c.published.desc().nulls_last(), papers.c.id.desc()).limit(limit).offset(offset)
    return list(conn.execute(query).scalars()), int(total)


def author_spelling(conn: Connection, key: str) -> str | None:
    """How the author's name is written on their newest paper."""
    query = (
        sa.select(paper_authors.c.name)
        .join(papers, papers.c.id == paper_authors.c.paper_id)
        .where(paper_authors.c.name_key == key, papers.c.hidden.is_(False))
        .order_by(papers.c.published.desc().nulls_last(), papers.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).scalar()


def newest_in_category(conn: Connection, category: str, *, limit: int) -> list[str]:
    """Ids of the newest visible papers in a category (any of a paper's categories)."""
    query = (
        sa.select(papers.c.id)
        .where(papers.c.hidden.is_(False), _in_category(papers.c.id, [category]))
        .order_by(papers.c.published.desc().nulls_last(), papers.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(query).scalars())
