"""A reader's library and "not interested" marks, as the library page, the paper pages and the CLI use them.

The library holds papers imported (papers.library_import, papers.library_zotero) or added on the site; a "not
interested" mark is negative feedback for the For you ranking, so marking a paper takes it out of the library,
and importing it again takes the mark back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from paperwire.errors import InvalidInput, NotFound
from paperwire.papers.record import parse_arxiv_id
from paperwire.store import Store
from paperwire.store import accounts as accounts_repo
from paperwire.store import library as repo
from paperwire.store import papers as papers_repo


@dataclass(frozen=True)
class LibraryPage:
    """One page of a library, newest first, and how many papers it holds in all."""

    papers: list[dict[str, Any]]
    total: int


def library_page(store: Store, user_id: int, *, limit: int, offset: int = 0) -> LibraryPage:
    """Papers of the user's library with their display fields, `origin` and `added_at`."""
    with store.read() as conn:
        return LibraryPage(
            repo.library_rows(conn, user_id, limit=limit, offset=offset), repo.count_library(conn, user_id)
        )


def add_paper(store: Store, user_id: int, paper_id: str, *, origin: str = "site") -> bool:
    """Put a visible paper in the library; True when it was not there. Raises NotFound, InvalidInput."""
    arxiv_id = _visible(store, paper_id)
    with store.write() as conn:
        added = repo.add_to_library(conn, user_id, [arxiv_id], origin, datetime.now(UTC)) > 0
        repo.undismiss(conn, user_id, arxiv_id)
    return added


def remove_paper(store: Store, user_id: int, paper_id: str) -> None:
    """Take a paper out of the library. Raises NotFound when it is not there, InvalidInput for a bad id."""
    arxiv_id, _ = parse_arxiv_id(paper_id)
    with store.write() as conn:
        if not repo.remove_from_library(conn, user_id, arxiv_id):
            raise NotFound(f"{arxiv_id} is not in your library")


def dismiss_paper(store: Store, user_id: int, paper_id: str) -> str:
    """Mark a visible paper "not interested" (and take it out of the library); returns its id.
    Raises NotFound, InvalidInput."""
    arxiv_id = _visible(store, paper_id)
    with store.write() as conn:
        repo.dismiss(conn, user_id, arxiv_id, datetime.now(UTC))
        repo.remove_from_library(conn, user_id, arxiv_id)
    return arxiv_id


def undismiss_paper(store: Store, user_id: int, paper_id: str) -> str:
    """Take a "not interested" mark back; returns the paper's id. Raises NotFound when there was none."""
    arxiv_id, _ = parse_arxiv_id(paper_id)
    with store.write() as conn:
        if not repo.undismiss(conn, user_id, arxiv_id):
            raise NotFound(f"{arxiv_id} was not marked not interested")
    return arxiv_id


def dismissed_papers(store: Store, user_id: int, *, limit: int = 200) -> list[dict[str, Any]]:
    """The user's "not interested" papers, most recent first, with their display fields."""
    with store.read() as conn:
        return repo.dismissed_rows(conn, user_id, limit=limit)


def viewer_marks(store: Store, user_id: int | None, paper_id: str) -> dict[str, bool]:
    """{"in_library", "dismissed"} of one paper for its viewer (both False when signed out)."""
    if user_id is None:
        return {"in_library": False, "dismissed": False}
    with store.read() as conn:
        return {
            "in_library": paper_id in repo.in_library(conn, user_id, [paper_id]),
            "dismissed": paper_id in repo.dismissed_among(conn, user_id, [paper_id]),
        }


def paper_title(store: Store, paper_id: str) -> str:
    """A paper's title for a message (its id when the id names no paper)."""
    try:
        arxiv_id, _ = parse_arxiv_id(paper_id)
    except InvalidInput:
        return paper_id.strip()[:80]
    with store.read() as conn:
        row = papers_repo.papers_by_ids(conn, [arxiv_id]).get(arxiv_id)
    return str(row["title"]) if row else arxiv_id


def _visible(store: Store, paper_id: str) -> str:
    arxiv_id, _ = parse_arxiv_id(paper_id)
    with store.read() as conn:
        hidden = accounts_repo.paper_hidden(conn, arxiv_id)
    if hidden is None or hidden:
        raise NotFound(f"no paper {arxiv_id}")
    return arxiv_id
