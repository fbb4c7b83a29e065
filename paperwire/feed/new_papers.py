"""New on arXiv: the papers first published in a period in the followed categories, newest first or, for a
signed-in reader, their For you ranking first (their library and upvotes). The one list behind its page and feeds.

The feed layer does not reach the search engine or the recommender (they sit beside and above it); the edge
passes in `Recommend`, which paperwire.recommend.for_you provides (`ranked_new`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from paperwire.config import Settings
from paperwire.errors import InvalidInput
from paperwire.feed.lists import PaperList, Period, build_list, followed
from paperwire.store import Store

NEW_SORTS = ("newest", "relevance")
RELEVANCE_DEPTH = 100  # papers ranked by relevance; the rest of a long period follows, newest first
SIGN_IN = "Sign in and vote for papers to rank them by your interests: until then they are shown newest first."
NO_VOTES = (
    "Vote for papers or add some to your library to rank by your interests: until then they are shown newest first."
)

# (reader's user id, period, categories, how many) -> the ids of the period's papers in those categories ranked
# for the reader, best first; empty when the reader has no papers to rank by
Recommend = Callable[[int, Period, Sequence[str], int], list[str]]


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
    """New on arXiv for a period. `relevance` puts the viewer's RELEVANCE_DEPTH best papers first (ranked by
    `recommend`), the rest newest first. With no viewer, or no papers of theirs to rank by, the list is newest
    first and its note says why; the returned `sort` is the order actually shown."""
    sort = check_new_sort(sort)
    first: list[str] = []
    note = None
    if sort == "relevance":
        if viewer_id is not None and recommend is not None:
            categories = [category] if category else followed(settings)
            first = recommend(viewer_id, period, categories, RELEVANCE_DEPTH)
        if not first:
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
