"""Reads and writes of readers' libraries and "not interested" marks, and the paper look-ups that match an
imported entry to a paper (by arXiv id, DOI or title)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paperwire.store.papers import _chunks, insert_ignore
from paperwire.store.schema import dismissed_papers, library_entries, papers

_SHOWN = (
    papers.c.id,
    papers.c.title,
    papers.c.authors,
    papers.c.categories,
    papers.c.published,
    papers.c.hidden,
)
TITLE_SCAN_ROWS = 5_000  # titles read per round trip while matching by title


# --- the ranking's inputs --------------------------------------------------------------------------


def library_paper_ids(conn: Connection, user_id: int) -> list[str]:
    """Ids of the papers in the user's library (visible ones only), most recently added first."""
    query = (
        sa.select(library_entries.c.paper_id)
        .join(papers, papers.c.id == library_entries.c.paper_id)
        .where(library_entries.c.user_id == user_id, papers.c.hidden.is_(False))
        .order_by(library_entries.c.added_at.desc(), library_entries.c.paper_id)
    )
    return list(conn.execute(query).scalars())


def dismissed_paper_ids(conn: Connection, user_id: int) -> list[str]:
    """Ids of the papers the user marked "not interested", most recent first (hidden ones too: still negatives)."""
    query = (
        sa.select(dismissed_papers.c.paper_id)
        .where(dismissed_papers.c.user_id == user_id)
        .order_by(dismissed_papers.c.created_at.desc(), dismissed_papers.c.paper_id)
    )
    return list(conn.execute(query).scalars())


# --- library entries -------------------------------------------------------------------------------


def add_to_library(conn: Connection, user_id: int, paper_ids: Sequence[str], origin: str, now: datetime) -> int:
    """Add papers to the user's library (those already there keep their origin and date); returns how many
    were new."""
    wanted = list(dict.fromkeys(paper_ids))
    if not wanted:
        return 0
    before = set(in_library(conn, user_id, wanted))
    rows = [{"user_id": user_id, "paper_id": pid, "origin": origin, "added_at": now} for pid in wanted]
    insert_ignore(conn, library_entries, rows)
    return len([pid for pid in wanted if pid not in before])


def remove_from_library(conn: Connection, user_id: int, paper_id: str) -> bool:
    """Take a paper out of the user's library; True when it was there."""
    done = conn.execute(
        library_entries.delete().where(library_entries.c.user_id == user_id, library_entries.c.paper_id == paper_id)
    )
    return done.rowcount > 0


def in_library(conn: Connection, user_id: int, ids: Sequence[str]) -> set[str]:
    """Which of these papers are in the user's library."""
    found: set[str] = set()
    for chunk in _chunks(list(ids)):
        query = sa.select(library_entries.c.paper_id).where(
            library_entries.c.user_id == user_id, library_entries.c.paper_id.in_(chunk)
        )
        found.update(conn.execute(query).scalars())
    return found


def library_rows(conn: Connection, user_id: int, *, limit: int, offset: int = 0) -> list[dict[str, Any]]:
    """Visible papers of the user's library with their display fields, `origin` and `added_at`, newest first."""
    query = (
        sa.select(*_SHOWN, library_entries.c.origin, library_entries.c.added_at)
        .join(papers, papers.c.id == library_entries.c.paper_id)
        .where(library_entries.c.user_id == user_id, papers.c.hidden.is_(False))
        .order_by(library_entries.c.added_at.desc(), library_entries.c.paper_id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def count_library(conn: Connection, user_id: int) -> int:
    """How many visible papers the user's library holds."""
    query = (
        sa.select(sa.func.count())
        .select_from(library_entries.join(papers, papers.c.id == library_entries.c.paper_id))
        .where(library_entries.c.user_id == user_id, papers.c.hidden.is_(False))
    )
    return int(conn.execute(query).scalar_one())


# --- "not interested" ------------------------------------------------------------------------------


def dismiss(conn: Connection, user_id: int, paper_id: str, now: datetime) -> bool:
    """Mark a paper "not interested"; True when the mark is new."""
    before = dismissed_among(conn, user_id, [paper_id])
    insert_ignore(conn, dismissed_papers, [{"user_id": user_id, "paper_id": paper_id, "created_at": now}])
    return not before


def undismiss(conn: Connection, user_id: int, paper_id: str) -> bool:
    """Take the mark back; True when there was one."""
    done = conn.execute(
        dismissed_papers.delete().where(dismissed_papers.c.user_id == user_id, dismissed_papers.c.paper_id == paper_id)
    )
    return done.rowcount > 0


def undismiss_many(conn: Connection, user_id: int, paper_ids: Sequence[str]) -> int:
    """Take back the marks of these papers (an import of a paper says the reader is interested after all)."""
    removed = 0
    for chunk in _chunks(list(paper_ids)):
        done = conn.execute(
            dismissed_papers.delete().where(
                dismissed_papers.c.user_id == user_id, dismissed_papers.c.paper_id.in_(chunk)
            )
        )
        removed += done.rowcount
    return removed


def dismissed_among(conn: Connection, user_id: int | None, ids: Sequence[str]) -> set[str]:
    """Which of these papers the user marked "not interested" (none when signed out)."""
    if user_id is None:
        return set()
    found: set[str] = set()
    for chunk in _chunks(list(ids)):
        query = sa.select(dismissed_papers.c.paper_id).where(
            dismissed_papers.c.user_id == user_id, dismissed_papers.c.paper_id.in_(chunk)
        )
        found.update(conn.execute(query).scalars())
    return found


def dismissed_rows(conn: Connection, user_id: int, *, limit: int) -> list[dict[str, Any]]:
    """The user's "not interested" papers with their display fields and `created_at`, most recent first."""
    query = (
        sa.select(*_SHOWN, dismissed_papers.c.created_at)
        .join(papers, papers.c.id == dismissed_papers.c.paper_id)
        .where(dismissed_papers.c.user_id == user_id)
        .order_by(dismissed_papers.c.created_at.desc(), dismissed_papers.c.paper_id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(query)]


# --- matching imported entries to papers -----------------------------------------------------------


def visible_ids(conn: Connection, ids: Sequence[str]) -> set[str]:
    """Which of these arXiv ids name a visible paper here."""
    found: set[str] = set()
    for chunk in _chunks(list(dict.fromkeys(ids))):
        query = sa.select(papers.c.id).where(papers.c.id.in_(chunk), papers.c.hidden.is_(False))
        found.update(conn.execute(query).scalars())
    return found


def hidden_ids(conn: Connection, ids: Sequence[str]) -> set[str]:
    """Which of these arXiv ids name a paper here that moderators hid."""
    found: set[str] = set()
    for chunk in _chunks(list(dict.fromkeys(ids))):
        query = sa.select(papers.c.id).where(papers.c.id.in_(chunk), papers.c.hidden.is_(True))
        found.update(conn.execute(query).scalars())
    return found


def ids_by_doi(conn: Connection, dois: Sequence[str]) -> dict[str, str]:
    """Visible papers by lower-cased DOI (through the index on lower(doi)); the first id wins when two share one."""
    found: dict[str, str] = {}
    wanted = list(dict.fromkeys(doi.lower() for doi in dois))
    doi_key = sa.func.lower(papers.c.doi)
    for chunk in _chunks(wanted):
        query = (
            sa.select(doi_key.label("doi"), papers.c.id)
            .where(doi_key.in_(chunk), papers.c.hidden.is_(False))
            .order_by(papers.c.id)
        )
        for row in conn.execute(query):
            found.setdefault(row.doi, row.id)
    return found


def iter_titles(conn: Connection) -> Iterator[tuple[str, str]]:
    """(id, title) of every visible paper, in id order, read in pages: matching by normalised title has no index
    to use, so an import that needs it reads the titles once (see docs/library.md for what it costs)."""
    after = ""
    while True:
        query = (
            sa.select(papers.c.id, papers.c.title)
            .where(papers.c.id > after, papers.c.hidden.is_(False))
            .order_by(papers.c.id)
            .limit(TITLE_SCAN_ROWS)
        )
        rows = conn.execute(query).all()
        for row in rows:
            yield row.id, row.title
        if len(rows) < TITLE_SCAN_ROWS:
            return
        after = rows[-1].id
