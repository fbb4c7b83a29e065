"""One-by-one submission: put a paper on a day's list, fetching its metadata from arXiv if unknown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from paperwire.errors import Conflict, InvalidInput, NotFound, PaperwireError
from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import ListingEntry, PaperRecord, ParsedItem, parse_arxiv_id
from paperwire.store import Store
from paperwire.store import papers as repo
from paperwire.store.accounts import submissions_since

Fetcher = Callable[[str], list[ParsedItem]]  # arXiv id -> parsed records (the arXiv API in production)


class AlreadyListed(Conflict):
    """The paper is on a daily list already: it stays on the day it was first listed, with its votes."""

    def __init__(self, arxiv_id: str, day: date) -> None:
        super().__init__(
            f"{arxiv_id} is already on the list of {day.isoformat()}: it stays there, with its votes and comments"
        )
        self.arxiv_id, self.day = arxiv_id, day


@dataclass(frozen=True)
class Submission:
    arxiv_id: str
    title: str
    list_date: date
    fetched: bool


def submit(
    store: Store,
    raw_id: str,
    *,
    day: date,
    fetch: Fetcher,
    submitter: str | None = None,
    user_id: int | None = None,
    max_age_days: int | None = None,
    daily_quota: int | None = None,
) -> Submission:
    """Add a paper to `day`'s daily list; raises InvalidInput, NotFound, AlreadyListed (a paper appears on the day
    it was first listed, whoever submits it again), Conflict or SourceUnavailable.

    With `max_age_days`, papers first published longer ago than that before `day` are refused; with
    `daily_quota` and `user_id`, a user's submissions since midnight UTC are capped (429).
    """
    arxiv_id, _ = parse_arxiv_id(raw_id)
    with store.read() as conn:
        if user_id is not None and daily_quota is not None:
            midnight = datetime.combine(datetime.now(UTC).date(), time(), tzinfo=UTC)
            if submissions_since(conn, user_id, midnight) >= daily_quota:
                raise PaperwireError(
                    f"you have reached today's limit of {daily_quota} submissions: try again tomorrow", status=429
                )
        paper = repo.get_paper(conn, arxiv_id)
        listed = sorted(listed_day for listed_day, _ in repo.load_listings(conn, [arxiv_id])) if paper else []
        if listed:
            raise AlreadyListed(arxiv_id, listed[0])
    fetched = False
    if paper is not None:
        _check_age(arxiv_id, paper["published"], day, max_age_days)
    else:
        records = [item for item in fetch(arxiv_id) if item.paper.arxiv_id == arxiv_id]
        if not records:
            raise NotFound(f"arXiv has no paper {arxiv_id}")
        _check_age(arxiv_id, records[0].paper.published, day, max_age_days)
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


def _check_age(arxiv_id: str, published: date | None, day: date, max_age_days: int | None) -> None:
    if max_age_days is None or published is None:
        return
    if published < day - timedelta(days=max_age_days):
        raise InvalidInput(
            f"{arxiv_id} was first published on {published.isoformat()}: only papers from the "
            f"last {max_age_days} days can be submitted"
        )


def _record_of(paper: dict) -> PaperRecord:
    """The stored row as a record, so re-ingesting it changes nothing but the listing."""
    fields = {name: paper[name] for name in repo.PAPER_FIELDS}
    fields["authors"] = tuple(fields["authors"])
    fields["categories"] = tuple(fields["categories"])
    return PaperRecord(arxiv_id=paper["id"], **fields)
