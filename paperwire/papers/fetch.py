"""Fetch papers from a live source and ingest them: the arXiv API, OAI-PMH, Hugging Face daily lists, one paper.

The one place that joins an HTTP client, a source and `ingest_items`, and that keeps where each incremental
fetch stopped; the CLI, the job worker and the submit page call these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from paperwire.config import Settings
from paperwire.papers.ingest import IngestReport, ingest_items
from paperwire.papers.record import ParsedItem, RecordError
from paperwire.papers.submit import Submission, submit
from paperwire.sources.dates import parse_day
from paperwire.sources.http import PoliteClient
from paperwire.store import Store
from paperwire.store.state import get_state, set_state

FETCH_BATCH = 100  # papers written per transaction at most while fetching, so progress shows as it goes
FIRST_FETCH_DAYS = 3  # how far back the first scheduled fetch of a category goes
FETCH_MAX = 2000  # papers fetched per category per scheduled fetch at most

Fetch = Callable[[str, date], Iterable[ParsedItem | RecordError]]  # (category, since) -> parsed items
OnError = Callable[[RecordError], None] | None
OnBatch = Callable[[IngestReport], None] | None


class Services(Protocol):
    """What fetching needs of the application object (paperwire.application.Paperwire has it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    def http_client(self) -> PoliteClient: ...


def ingest_fetched(
    app: Services,
    items: Iterable[ParsedItem | RecordError],
    *,
    source: str,
    on_error: OnError = None,
    on_batch: OnBatch = None,
) -> IngestReport:
    """Ingest items as a live source yields them, in small batches; bad records are reported and skipped."""
    return ingest_items(
        app.store,
        items,
        source=source,
        batch_size=min(app.settings.ingest_batch_size, FETCH_BATCH),
        on_error=on_error,
        on_batch=on_batch,
    )


def fetch_arxiv(
    app: Services,
    category: str,
    *,
    since: date | None = None,
    max_results: int | None = None,
    on_error: OnError = None,
    on_batch: OnBatch = None,
) -> IngestReport:
    """Fetch and ingest a category's newest papers from the arXiv API (newest first, back to `since`)."""
    from paperwire.sources.arxiv_api import fetch_category

    app.store  # noqa: B018 - the database is opened (and brought up to date) before any request
    with app.http_client() as client:
        items = fetch_category(client, app.settings, category, since=since, max_results=max_results)
        return ingest_fetched(app, items, source="arxiv-api", on_error=on_error, on_batch=on_batch)


@dataclass(frozen=True)
class Harvested:
    """What an OAI-PMH harvest ingested, and the day the next incremental harvest starts from (None: unchanged)."""

    report: IngestReport
    next_from: str | None


def harvest_oai(
    app: Services,
    set_spec: str,
    *,
    start: date | None = None,
    until: date | None = None,
    on_error: OnError = None,
    on_batch: OnBatch = None,
) -> Harvested:
    """Harvest and ingest an OAI-PMH set since `start` (default: where the last harvest of the set stopped)."""
    from paperwire.sources.oai_harvest import harvest

    key = f"oai:{set_spec}:last_datestamp"
    start = start or parse_day(get_state(app.store, key), "stored datestamp")
    with app.http_client() as client:
        run = harvest(client, app.settings, set_spec, start, until)
        report = ingest_fetched(app, run, source="oai", on_error=on_error, on_batch=on_batch)
    next_from = run.last_datestamp[:10] if run.last_datestamp else None
    if next_from:
        set_state(app.store, key, next_from)
    return Harvested(report, next_from)


def fetch_hf(app: Services, day: date, *, on_error: OnError = None, on_batch: OnBatch = None) -> IngestReport:
    """Fetch and ingest one day of Hugging Face daily papers, with their upvotes, into that day's list."""
    from paperwire.sources.hf_api import fetch_daily

    app.store  # noqa: B018 - the database is opened (and brought up to date) before any request
    with app.http_client() as client:
        items = fetch_daily(client, app.settings, day)
    return ingest_fetched(app, items, source="huggingface", on_error=on_error, on_batch=on_batch)


def arxiv_updates(app: Services, max_results: int = FETCH_MAX) -> Fetch:
    """The scheduled fetch's source: a category's papers updated since a day, from the arXiv API."""

    def fetch(category: str, since: date) -> Iterator[ParsedItem | RecordError]:
        from paperwire.sources.arxiv_api import fetch_category

        with app.http_client() as client:
            yield from fetch_category(client, app.settings, category, since=since, max_results=max_results)

    return fetch


def catch_up(app: Services, category: str, today: date, fetch: Fetch | None = None) -> IngestReport:
    """Ingest a followed category's papers updated since its last catch-up (a day of overlap), and remember today."""
    key = f"scheduler:arxiv:{category}:fetched"
    last = parse_day(get_state(app.store, key), "stored fetch day")
    since = last - timedelta(days=1) if last else today - timedelta(days=FIRST_FETCH_DAYS)
    report = ingest_fetched(app, (fetch or arxiv_updates(app))(category, since), source="arxiv-api")
    set_state(app.store, key, today.isoformat())
    return report


def submit_from_arxiv(
    app: Services,
    raw_id: str,
    *,
    day: date,
    submitter: str | None = None,
    user_id: int | None = None,
    max_age_days: int | None = None,
    daily_quota: int | None = None,
    retries: int | None = None,
    timeout: float | None = None,
) -> Submission:
    """Put a paper on `day`'s list, fetching it from the arXiv API when unknown (see papers.submit.submit).

    `retries` and `timeout` cap the client's own settings, for a visitor who is waiting for the answer.
    """
    from paperwire.sources.arxiv_api import fetch_ids

    settings = app.settings
    if retries is not None or timeout is not None:
        settings = settings.model_copy(
            update={
                "http_retries": min(settings.http_retries, settings.http_retries if retries is None else retries),
                "http_timeout": min(settings.http_timeout, settings.http_timeout if timeout is None else timeout),
            }
        )
    client = app.http_client() if settings is app.settings else PoliteClient(settings)
    with client:

        def fetch(arxiv_id: str) -> list[ParsedItem]:
            return fetch_ids(client, settings, [arxiv_id])

        return submit(
            app.store,
            raw_id,
            day=day,
            fetch=fetch,
            submitter=submitter,
            user_id=user_id,
            max_age_days=max_age_days,
            daily_quota=daily_quota,
        )
