"""What each kind of job does: fetch new papers, embed them, update the search indexes, send due digests, prune.

Each task takes a JobContext and returns a one-line result. Tasks are safe to run twice (a job taken
over after its worker died runs again): ingest is idempotent, embedding resumes from the vectors
already committed, and digests go through the delivery ledger.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from paperwire.config import Settings
from paperwire.digest.send import send_due
from paperwire.errors import PaperwireError
from paperwire.feed.lists import followed
from paperwire.papers.ingest import ingest_items
from paperwire.search.engine import SearchEngine
from paperwire.search.indexer import embed_pending
from paperwire.store import Store
from paperwire.store import jobs as rows
from paperwire.store.embeddings import count_pending
from paperwire.store.state import get_state, set_state

log = logging.getLogger("paperwire.jobs")
FIRST_FETCH_DAYS = 3  # how far back the first fetch of a category goes
FETCH_MAX = 2000  # papers fetched per category per job at most

Fetch = Callable[[str, date], Iterable[Any]]  # (category, since) -> parsed items


class LeaseLost(PaperwireError):
    """Another worker took this job over (this one stalled past its lease); stop without reporting."""


@dataclass
class JobContext:
    """What a running task may use: the shared services, the job, and a check that it still holds the job."""

    settings: Settings
    store: Store
    engine: SearchEngine
    fetch: Fetch
    job: rows.Job
    now: datetime
    mailer: Any = None
    lost: threading.Event = field(default_factory=threading.Event)

    def check(self) -> None:
        """Raise LeaseLost when the heartbeat found the job taken over; tasks call it between batches."""
        if self.lost.is_set():
            raise LeaseLost(f"job {self.job.id} ({self.job.kind}) was taken over by another worker")


def arxiv_fetch(settings: Settings) -> Fetch:
    """The real fetch: the arXiv API, politely (one request every 3 s)."""

    def fetch(category: str, since: date) -> Iterable[Any]:
        from paperwire.sources.arxiv_api import fetch_category
        from paperwire.sources.http import PoliteClient

        with PoliteClient(settings) as client:
            yield from fetch_category(client, settings, category, since=since, max_results=FETCH_MAX)

    return fetch


def fetch_new(ctx: JobContext) -> str:
    """Fetch each followed category's papers updated since its last fetch (a day of overlap)."""
    if not ctx.settings.scheduler_fetch:
        return "fetching is switched off (scheduler_fetch)"
    added = updated = 0
    for category in followed(ctx.settings):
        ctx.check()
        key = f"scheduler:arxiv:{category}:fetched"
        last = get_state(ctx.store, key)
        since = (
            date.fromisoformat(last) - timedelta(days=1) if last else ctx.now.date() - timedelta(days=FIRST_FETCH_DAYS)
        )
        result = ingest_items(
            ctx.store,
            ctx.fetch(category, since),
            source="arxiv-api",
            batch_size=min(ctx.settings.ingest_batch_size, 100),
        )
        added, updated = added + result.added, updated + result.updated
        set_state(ctx.store, key, ctx.now.date().isoformat())
    return f"{added} new papers, {updated} updated"


def embed(ctx: JobContext) -> str:
    """Embed up to scheduler_embed_limit papers; queue a follow-up job while a backlog remains."""
    with ctx.store.read() as conn:
        if rows.running_elsewhere(conn, "embed", ctx.job.id, ctx.now):
            return "another worker is embedding"
        if not count_pending(conn, ctx.engine.model):
            return "nothing to embed"  # without loading the model
    report = embed_pending(
        ctx.store,
        ctx.engine.embedder,
        batch_size=ctx.settings.embed_batch_size,
        limit=ctx.settings.scheduler_embed_limit,
        on_progress=lambda done, total: ctx.check(),
    )
    with ctx.store.write() as conn:
        if count_pending(conn, ctx.engine.model):
            # Keyed by this job, so a finished job queues exactly one follow-up even if it is run twice.
            rows.enqueue(conn, "embed", ctx.now, key=f"embed-after:{ctx.job.id}")
    return report.summary()


def index(ctx: JobContext) -> str:
    """Bring this machine's search indexes up to date (on PostgreSQL they live in the database)."""
    counts = ctx.engine.sync()
    if ctx.store.dialect == "postgresql":
        return "up to date (on PostgreSQL the full-text and pgvector indexes follow the rows)"
    return f"{counts['keyword']} keyword documents, {counts['vectors']} vectors added"


def send(ctx: JobContext) -> str:
    """Send the digests that are due (the delivery ledger keeps each to one sender)."""
    return send_due(ctx.store, ctx.settings, ctx.engine, now=ctx.now, mailer=ctx.mailer).summary()


def prune(ctx: JobContext) -> str:
    """Delete finished jobs older than job_retention_days."""
    with ctx.store.write() as conn:
        removed = rows.prune(conn, ctx.now - timedelta(days=ctx.settings.job_retention_days))
    return f"removed {removed} finished jobs"


TASKS: dict[str, Callable[[JobContext], str]] = {
    "fetch": fetch_new,
    "embed": embed,
    "index": index,
    "send": send,
    "prune": prune,
}
