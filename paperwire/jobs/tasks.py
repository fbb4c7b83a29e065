"""What each kind of job does: fetch new papers, complete listed ones with arXiv's metadata, embed them, update
the search indexes, send due digests, draw thumbnails of listed papers, draw maps of the field, prune.

Each task takes a JobContext and returns a one-line result. Tasks are safe to run twice (a job taken
over after its worker died runs again): ingest is idempotent, embedding resumes from the vectors
already committed, digests go through the delivery ledger, and papers with a thumbnail are skipped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from paperwire.application import Paperwire
from paperwire.digest.send import send_all
from paperwire.errors import PaperwireError
from paperwire.feed import period_map
from paperwire.feed.lists import followed
from paperwire.papers.enrich import Lookup, enrich_listed
from paperwire.papers.fetch import Fetch, catch_up
from paperwire.papers.thumbnails import make_thumbnails
from paperwire.search.indexer import SORT_WINDOW, embed_pending
from paperwire.store import jobs as rows
from paperwire.store.embeddings import count_pending

log = logging.getLogger("paperwire.jobs")


class LeaseLost(PaperwireError):
    """Another worker took this job over (this one stalled past its lease); stop without reporting."""


@dataclass
class JobContext:
    """What a running task may use: the application (settings, store, engine, mailer), the job, and a check
    that this worker still holds the job."""

    app: Paperwire
    fetch: Fetch | None
    job: rows.Job
    now: datetime
    lost: threading.Event = field(default_factory=threading.Event)
    lookup: Lookup | None = None

    def check(self) -> None:
        """Raise LeaseLost when the heartbeat found the job taken over; tasks call it between batches."""
        if self.lost.is_set():
            raise LeaseLost(f"job {self.job.id} ({self.job.kind}) was taken over by another worker")


def fetch_new(ctx: JobContext) -> str:
    """Fetch each followed category's papers updated since its last fetch (a day of overlap)."""
    if not ctx.app.settings.scheduler_fetch:
        return "fetching is switched off (scheduler_fetch)"
    added = updated = 0
    for category in followed(ctx.app.settings):
        ctx.check()
        result = catch_up(ctx.app, category, ctx.now.date(), ctx.fetch)
        added, updated = added + result.added, updated + result.updated
    return f"{added} new papers, {updated} updated"


def enrich(ctx: JobContext) -> str:
    """Fetch arXiv's metadata for listed papers known only from Hugging Face or a submission (a page at a time)."""
    if not ctx.app.settings.scheduler_fetch:
        return "fetching is switched off (scheduler_fetch)"
    return enrich_listed(ctx.app, lookup=ctx.lookup, on_progress=lambda done, total: ctx.check()).summary()


def embed(ctx: JobContext) -> str:
    """Embed up to scheduler_embed_limit papers; queue a follow-up job while a backlog remains."""
    store, engine, settings = ctx.app.store, ctx.app.engine, ctx.app.settings
    with store.read() as conn:
        if rows.running_elsewhere(conn, "embed", ctx.job.id, ctx.now):
            return "another worker is embedding"
        if not count_pending(conn, engine.model):
            return "nothing to embed"  # without loading the model
    report = embed_pending(
        store,
        engine.embedder,
        batch_size=settings.embed_batch_size,
        sort_window=SORT_WINDOW,
        limit=settings.scheduler_embed_limit,
        on_progress=lambda done, total: ctx.check(),
    )
    with store.write() as conn:
        if count_pending(conn, engine.model):
            # Keyed by this job, so a finished job queues exactly one follow-up even if it is run twice.
            rows.enqueue(conn, "embed", ctx.now, key=f"embed-after:{ctx.job.id}")
    return report.summary()


def index(ctx: JobContext) -> str:
    """Bring this machine's search indexes up to date (with search_index "database" they live in the database; every
    node's searches also catch up on their own, so it matters little which node runs this)."""
    counts = ctx.app.engine.sync()
    if ctx.app.engine.in_database:
        return "up to date (on PostgreSQL the full-text and pgvector indexes follow the rows)"
    return f"{counts['keyword']} keyword documents, {counts['vectors']} vectors added"


def send(ctx: JobContext) -> str:
    """Send the digests that are due (the delivery ledger keeps each to one sender)."""
    app = ctx.app  # the senders send through their own DigestMailer, which keeps the SMTP reply codes
    return send_all(app.store, app.settings, app.engine, now=ctx.now).summary()


def thumbnails(ctx: JobContext) -> str:
    """Draw the first PDF page of up to scheduler_thumbnail_limit listed papers that have no thumbnail yet."""
    with ctx.app.store.read() as conn:
        if rows.running_elsewhere(conn, "thumbnails", ctx.job.id, ctx.now):
            return "another worker is drawing thumbnails"
    report = make_thumbnails(ctx.app, limit=ctx.app.settings.scheduler_thumbnail_limit, now=ctx.now, check=ctx.check)
    for failure in report.failed:
        log.warning("thumbnail of %s failed (attempt %d): %s", failure.arxiv_id, failure.attempts, failure.reason)
    return report.summary()


def field_map(ctx: JobContext) -> str:
    """Draw and cache the map of the period in the job's payload (queued by the map page), or, with none, of the
    latest week and month with papers (`paperwire jobs add field_map`)."""
    app = ctx.app
    if ctx.job.payload:
        chosen = [period_map.period_of_job(ctx.job.payload)]
    else:
        chosen = period_map.latest_periods(app.store, app.settings)
    drawn = []
    for period in chosen:
        ctx.check()
        found = period_map.draw_period(app.store, app.settings, period, app.engine.model)
        drawn.append(f"{period.key}: {len(found.ids)} papers, {len(found.labels)} clusters in {found.seconds:.1f} s")
    return "; ".join(drawn) or "no papers to map"


def prune(ctx: JobContext) -> str:
    """Delete finished jobs older than job_retention_days."""
    with ctx.app.store.write() as conn:
        removed = rows.prune(conn, ctx.now - timedelta(days=ctx.app.settings.job_retention_days))
    return f"removed {removed} finished jobs"


TASKS: dict[str, Callable[[JobContext], str]] = {
    "fetch": fetch_new,
    "enrich": enrich,
    "embed": embed,
    "index": index,
    "send": send,
    "thumbnails": thumbnails,
    "field_map": field_map,
    "prune": prune,
}
