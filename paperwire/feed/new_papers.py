"""New on arXiv: the papers first published in a period in the followed categories, newest first or, for a
signed-in reader, nearest to the papers they upvoted first. The one ranking behind its page and its feeds.

The feed layer does not reach the search engine (they are siblings); the edge passes in `Recommend`,
which the search package provides (search.similar.nearest_ids: one vector search from the liked papers).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from paperwire.config import Settings
from paperwire.errors import InvalidInput
from paperwire.feed.lists import PaperList, Period, build_list, followed
from paperwire.store import Store
from paperwire.store import digests as votes_repo

NEW_SORTS = ("newest", "relevance")
RELEVANCE_DEPTH = 100  # papers ranked by relevance; the rest of a long period follows, newest first
SIGN_IN = "Sign in and vote for papers to rank them by your interests: until then they are shown newest first."
NO_VOTES = "Vote for papers to rank by your interests: until then they are shown newest first."

# (liked paper ids, first day, last day, categories, how many) -> the ids of the papers published in those days
# and categories nearest to the liked ones, nearest first
Recommend = Callable[[Sequence[str], date, date, Sequence[str], int], list[str]]


@dataclass
class NewPapers:
    """A page of New on arXiv: the list, the sort asked for, and a note when it could not be honoured."""

    plist: PaperList
    sort: str
    note: str | None = None


def check_new_sort(sort: str | None) -> str:
    """The sort of New on arXiv, newest by default; InvalidInput naming `sort` for anything else."""
    if not sort or not sort.strip():
        return "newest"
    if sort.strip() not in NEW_SORTS:
        raise InvalidInput(f"sort: expected one of {', '.join(NEW_SORTS)}, got {sort[:40]!r}", field="sort")
    return sort.strip()


def new_papers(
    store: Store,
    settings: Settings,
    period: Period,
    *,
    sort: str | None = None,
    category: str | None = None,
    viewer_id: int | None = None,
    recommend: Recommend | None = None,
    limit: int | None = None,
    offset: int = 0,
    now: datetime | None = None,
) -> NewPapers:
    """New on arXiv for a period. `relevance` puts the RELEVANCE_DEPTH papers nearest to the viewer's upvoted
    papers first (found by `recommend`), the rest newest first. With no viewer, or none of their upvotes, the
    list is newest first and its note says why; the returned `sort` is the order actually shown."""
    sort = check_new_sort(sort)
    first: list[str] = []
    note = None
    if sort == "relevance":
        liked: list[str] = []
        if viewer_id is not None:
            with store.read() as conn:
                liked = votes_repo.upvoted_ids(conn, viewer_id)
        if liked and recommend is not None:
            categories = [category] if category else followed(settings)
            first = recommend(liked, period.start, period.end, categories, RELEVANCE_DEPTH)
        else:
            sort, note = "newest", (NO_VOTES if viewer_id is not None else SIGN_IN)
    plist = build_list(
        store,
        settings,
        period,
        sort="newest",
        source="arxiv",
        first=first,
        category=category,
        viewer_id=viewer_id,
        limit=limit,
        offset=offset,
        now=now,
    )
    return NewPapers(plist, sort, note)
