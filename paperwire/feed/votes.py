"""Upvotes: one per user per paper, toggled; counts stay exact under concurrent requests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from paperwire.accounts import ratelimit
from paperwire.config import Settings
from paperwire.errors import NotFound
from paperwire.papers.record import parse_arxiv_id
from paperwire.store import Store
from paperwire.store import accounts as repo


def toggle_vote(
    store: Store, settings: Settings, user_id: int, paper_id: str, *, value: bool | None = None
) -> dict[str, Any]:
    """Flip the user's vote on a paper (or set it to `value`); returns {"voted": bool, "upvotes": int}.

    Upvotes are the most upvotes a source reported for the paper plus local votes (store.accounts.paper_upvotes).
    The vote is an insert-or-ignore or a delete, counted in the same transaction while holding the paper's
    row lock, so concurrent votes are all counted and each answer is the count right after it.
    Raises NotFound, RateLimited.
    """
    arxiv_id, _ = parse_arxiv_id(paper_id)
    with store.read() as conn:
        hidden = repo.paper_hidden(conn, arxiv_id)
    if hidden is None or hidden:
        raise NotFound(f"no paper {arxiv_id}")
    ratelimit.hit(store, ratelimit.votes_per_user(settings), user_id)
    with store.write() as conn:
        if repo.lock_paper(conn, arxiv_id) is None:
            raise NotFound(f"no paper {arxiv_id}")
        if value is None:
            voted = repo.add_vote(conn, user_id, arxiv_id, datetime.now(UTC))
            if not voted:
                repo.remove_vote(conn, user_id, arxiv_id)
        elif value:
            repo.add_vote(conn, user_id, arxiv_id, datetime.now(UTC))
            voted = True
        else:
            repo.remove_vote(conn, user_id, arxiv_id)
            voted = False
        upvotes = repo.paper_upvotes(conn, [arxiv_id])[arxiv_id]
    return {"voted": voted, "upvotes": upvotes}


def upvotes_of(store: Store, paper_ids: list[str]) -> dict[str, int]:
    """Upvotes of each paper (imported plus local, as everywhere), for lists that are not daily lists."""
    with store.read() as conn:
        return repo.paper_upvotes(conn, paper_ids)


def vote_state(store: Store, paper_id: str, user_id: int | None) -> dict[str, Any]:
    """{"voted", "upvotes"} of one paper for one viewer (not voted when signed out)."""
    with store.read() as conn:
        upvotes = repo.paper_upvotes(conn, [paper_id])[paper_id]
        voted = paper_id in repo.voted_by(conn, user_id, [paper_id])
    return {"voted": voted, "upvotes": upvotes}


def own_vote(store: Store, user_id: int, paper_id: str) -> dict[str, Any]:
    """{"voted", "upvotes"} of a visible paper for its caller (so a client can check a vote that got no answer).

    Raises NotFound.
    """
    arxiv_id, _ = parse_arxiv_id(paper_id)
    with store.read() as conn:
        hidden = repo.paper_hidden(conn, arxiv_id)
    if hidden is None or hidden:
        raise NotFound(f"no paper {arxiv_id}")
    return vote_state(store, arxiv_id, user_id)
