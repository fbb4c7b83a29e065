"""Papers as the site shows them: one paper (hidden ones to admins only), its versions and lists, an author's
papers, the newest of a category. The pages, the API and the feeds read papers through here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paperwire.errors import NotFound
from paperwire.papers.record import parse_arxiv_id
from paperwire.store import Store
from paperwire.store import feed as queries
from paperwire.store import papers as repo

MAX_AUTHOR = 300  # characters: a longer "name" is no name, and is not echoed into a page or feed title


def visible_paper(store: Store, raw_id: str, viewer: dict[str, Any] | None) -> dict[str, Any]:
    """The full row of an arXiv id (any version), or NotFound; a hidden paper is shown to admins only."""
    paper_id, _ = parse_arxiv_id(raw_id)
    with store.read() as conn:
        paper = repo.get_paper(conn, paper_id)
    if paper is None or (paper["hidden"] and not (viewer and viewer["role"] == "admin")):
        raise NotFound(f"no paper {paper_id} here: it may not have been imported yet")
    return paper


@dataclass
class PaperHistory:
    """A paper's arXiv versions, oldest first, and the daily lists it is on, newest first."""

    versions: list[dict[str, Any]]
    listings: list[dict[str, Any]]


def paper_history(store: Store, paper_id: str) -> PaperHistory:
    with store.read() as conn:
        return PaperHistory(repo.paper_versions_of(conn, paper_id), queries.paper_listings(conn, paper_id))


def author_key(name: str) -> str:
    """The folded name (accents and case ignored) that matches an author's papers; NotFound for no name."""
    key = repo.name_key(name)
    if not key or len(name) > MAX_AUTHOR:
        raise NotFound("no such author")
    return key


@dataclass
class AuthorPapers:
    """One page of an author's visible papers, newest first."""

    ids: list[str]
    papers: list[dict[str, Any]]  # what a list shows of each (paperwire.store.feed.display_rows)
    total: int  # on every page
    spelling: str | None  # the name as written on the newest paper


def author_papers(store: Store, key: str, *, limit: int, offset: int = 0) -> AuthorPapers:
    """The papers of the author whose folded name is `key` (see author_key)."""
    with store.read() as conn:
        ids, total = queries.author_papers(conn, key, limit=limit, offset=offset)
        rows = queries.display_rows(conn, ids)
        spelling = queries.author_spelling(conn, key)
    return AuthorPapers(ids, [rows[i] for i in ids if i in rows], total, spelling)


def newest_in_category(store: Store, category: str, *, limit: int) -> list[dict[str, Any]]:
    """The newest visible papers with `category` among their categories, as a list shows them."""
    with store.read() as conn:
        ids = queries.newest_in_category(conn, category, limit=limit)
        rows = queries.display_rows(conn, ids)
    return [rows[i] for i in ids if i in rows]
