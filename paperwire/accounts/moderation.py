"""Moderation by admins: hide a paper from every list, page, feed and search (reversible)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from paperwire.errors import NotFound
from paperwire.papers.record import parse_arxiv_id
from paperwire.store import Store
from paperwire.store import accounts as repo


def hide_paper(store: Store, paper_id: str, hidden: bool = True) -> str:
    """Hide or show a paper; updated_at moves so the search indexes' sync sees the change. Returns the id."""
    arxiv_id, _ = parse_arxiv_id(paper_id)
    with store.write() as conn:
        if not repo.set_paper_hidden(conn, arxiv_id, hidden, datetime.now(UTC)):
            raise NotFound(f"no paper {arxiv_id}")
    return arxiv_id


def hidden_papers(store: Store, *, limit: int = 100) -> list[dict[str, Any]]:
    with store.read() as conn:
        return repo.hidden_papers(conn, limit=limit)
