"""One-by-one submission: put a paper on a day's list, fetching its metadata from arXiv if unknown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from paperwire.errors import Conflict, NotFound
from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import ListingEntry, PaperRecord, ParsedItem, parse_arxiv_id
from paperwire.store import Store
from paperwire.store import papers as repo

Fetcher = Callable[[str], list[ParsedItem]]  # arXiv id -> parsed records (the arXiv API in production)


@dataclass(frozen=True)
class Submission:
    arxiv_id: str
    title: str
    list_date: date
    fetched: bool


def submit(
    store: Store, raw_id: str, *, day: date, fetch: Fetcher, submitter: str | None = None,
    user_id: int | None = None,
) -> Submission:  # fmt: skip
    """Add a paper to `day`'s daily list; raises InvalidInput, NotFound, Conflict or SourceUnavailable."""
    arxiv_id, _ = parse_arxiv_id(raw_id)
    with store.read() as conn:
        paper = repo.get_paper(conn, arxiv_id)
        if paper is not None and repo.load_listings(conn, [arxiv_id]).get((day, arxiv_id)):
            raise Conflict(f"{arxiv_id} is already on the list of {day.isoformat()}")
    fetched = False
    if paper is None:
        records = [item for item in fetch(arxiv_id) if item.paper.arxiv_id == arxiv_id]
        if not records:
            raise NotFound(f"arXiv has no paper {arxiv_id}")
        fetched = True
        ingest_items(store, records, source="arxiv-api")
        with store.read() as conn:
            paper = repo.get_paper(conn, arxiv_id)
    assert paper is not None
    entry = ListingEntry(day, arxiv_id, "submission", submitter=submitter)
    item = ParsedItem(_record_of(paper), "submission", 0, entry)
    ingest_items(store, [item], source="submission")
    if user_id is not None:
        with store.write() as conn:
            repo.set_listing_submitter(conn, day, arxiv_id, user_id)
    return Submission(arxiv_id, paper["title"], day, fetched)


def _record_of(paper: dict) -> PaperRecord:
    """The stored row as a record, so re-ingesting it changes nothing but the listing."""
    fields = {name: paper[name] for name in repo.PAPER_FIELDS}
    fields["authors"] = tuple(fields["authors"])
    fields["categories"] = tuple(fields["categories"])
    return PaperRecord(arxiv_id=paper["id"], **fields)
