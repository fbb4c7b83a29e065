"""The worker: plans the periodic jobs, claims due jobs one at a time, runs them under a renewed lease.

Several workers (on one machine or many) share one queue. Each periodic job has a key made of its kind
and the start of its period, so however many workers plan it, it is queued, and so run, once per period.
`paperwire serve` runs one worker in a background thread unless scheduler_enabled is off; on SQLite
that is the whole deployment, on PostgreSQL add `paperwire worker` processes anywhere.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DBAPIError

from paperwire import metrics
from paperwire.application import Paperwire
from paperwire.config import Settings
from paperwire.errors import ConfigError
from paperwire.jobs.tasks import TASKS, JobContext, LeaseLost
from paperwire.papers.enrich import Lookup
from paperwire.papers.fetch import Fetch
from paperwire.processes import dead_here
from paperwire.store import Store
from paperwire.store import jobs as rows

log = logging.getLogger("paperwire.jobs")
DAY = 86400.0


def periods(settings: Settings) -> dict[str, float]:
    """The periodic jobs, in the order they are queued within a period, and their periods in seconds."""
    every = settings.scheduler_interval
    plan: dict[str, float] = {"fetch": every, "enrich": every} if settings.scheduler_fetch else {}
    plan |= {"embed": every, "index": every, "send": every}
    if settings.scheduler_thumbnails:
        plan["thumbnails"] = every
    return plan | {"prune": DAY}


def period_key(kind: str, now: datetime, seconds: float) -> str:
    """The dedupe key of `kind`'s job for the period holding `now`, e.g. send@2026-11-29T10:00:00+00:00."""
    start = int(now.timestamp() // seconds * seconds)
    return f"{kind}@{datetime.fromtimestamp(start, UTC).isoformat()}"


@dataclass
class Outcome:
    """One job run: its kind, id, final state (done, queued again, failed, lost) and one-line result."""

    job_id: int
    kind: str
    state: str
    result: str


@dataclass
class DrainReport:
    """What `run_due` did: every job it ran, in order."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.state in ("failed", "queued")]


def worker_name() -> str:
    """A worker id unique across machines and restarts: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def release_dead_local(store: Store, now: datetime) -> list[int]:
    """Expire the leases of jobs held by workers of this host whose process is gone (killed, crashed).

    A restarted worker then resumes their jobs at once instead of waiting for the lease to run out.
    A reused pid only means waiting for the lease as usual. The ids of the jobs released.
    """
    host = socket.gethostname()
    released = []
    with store.write() as conn:
        for job_id, holder in rows.held_by(conn, f"{host}:"):
            if dead_here(holder, host) and rows.expire_lease(conn, job_id, holder, now):
                released.append(job_id)
    for job_id in released:
        log.warning("job %s: its worker on this host is gone; taking it over", job_id)
    return released


class Worker:
    """Claims and runs jobs for one application's store; `run_due()` once (tests, `worker --once`) or `run(stop)`."""

    def __init__(
        self,
        app: Paperwire,
        *,
        fetch: Fetch | None = None,
        lookup: Lookup | None = None,
        kinds: list[str] | None = None,
        name: str | None = None,
    ) -> None:
        self.app = app
        self.settings, self.store = app.settings, app.store
        self.fetch = fetch  # None: the arXiv API (tests give a stand-in)
        self.lookup = lookup  # the same, for papers asked for by id
        self.kinds = kinds
        self.name = name or worker_name()
        self._planned: dict[str, str] = {}

    def plan(self, now: datetime) -> list[str]:
        """Queue this period's periodic jobs that are not queued yet (by any worker); the keys added."""
        added: list[str] = []
        wanted = {
            kind: period_key(kind, now, seconds)
            for kind, seconds in periods(self.settings).items()
            if not self.kinds or kind in self.kinds
        }
        if all(self._planned.get(kind) == key for kind, key in wanted.items()):
            return added  # nothing new since the last call: no write transaction
        with self.store.write() as conn:
            for kind, key in wanted.items():
                if self._planned.get(kind) != key and rows.enqueue(
                    conn, kind, now, key=key, max_attempts=self.settings.job_max_attempts
                ):
                    added.append(key)
        self._planned.update(wanted)
        return added

    def claim(self, now: datetime) -> rows.Job | None:
        with self.store.write() as conn:
            rows.give_up_expired(conn, now)
            return rows.claim(conn, self.name, now, now + timedelta(seconds=self.settings.job_lease), kinds=self.kinds)

    def run_job(self, job: rows.Job, now: datetime) -> Outcome:
        """Run one claimed job, renewing its lease from a heartbeat thread, and record how it ended."""
        ctx = JobContext(self.app, self.fetch, job, now, lookup=self.lookup)
        stop_beating = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(ctx, stop_beating), daemon=True, name=f"paperwire-job-{job.id}-lease"
        )
        beat.start()
        started = time.perf_counter()
        task = TASKS.get(job.kind)
        try:
            if task is None:
                raise ValueError(f"unknown job kind {job.kind!r}")
            result = task(ctx)
        except LeaseLost as exc:
            log.warning("%s", exc)
            return self._outcome(job, "lost", str(exc), started)
        except Exception as exc:
            log.exception("job %s (%s) failed", job.id, job.kind)
            stop_beating.set()
            delay = self.settings.job_retry_delay * 2 ** (job.attempts - 1)
            with self.store.write() as conn:
                state = rows.fail(
                    conn,
                    job,
                    datetime.now(UTC),
                    f"{type(exc).__name__}: {exc}",
                    retry_at=now + timedelta(seconds=delay),
                )
            return self._outcome(job, state, f"failed: {exc}", started)
        finally:
            stop_beating.set()
            beat.join()
        with self.store.write() as conn:
            kept = rows.finish(conn, job, datetime.now(UTC), result)
        return self._outcome(job, "done" if kept else "lost", result, started)

    def _outcome(self, job: rows.Job, state: str, result: str, started: float) -> Outcome:
        metrics.JOBS_RUN.labels(kind=job.kind, outcome=state).inc()
        metrics.JOB_SECONDS.labels(kind=job.kind).observe(time.perf_counter() - started)
        log.info("job %s %s: %s: %s", job.id, job.kind, state, result)
        return Outcome(job.id, job.kind, state, result)

    def _heartbeat(self, ctx: JobContext, stop: threading.Event) -> None:
        interval = self.settings.job_lease / 3
        while not stop.wait(interval):
            try:
                with self.store.write() as conn:
                    held = rows.renew(conn, ctx.job, datetime.now(UTC) + timedelta(seconds=self.settings.job_lease))
            except DBAPIError as exc:  # the database is away: keep trying until the lease would run out
                log.warning("job %s: could not renew the lease: %s", ctx.job.id, exc.orig)
                continue
            if not held:
                ctx.lost.set()
                return

    def run_due(self, now: datetime | None = None, *, clock: Callable[[], datetime] | None = None) -> DrainReport:
        """Plan this period's jobs, then run every due job until none is left (`worker --once`)."""
        moment = now or datetime.now(UTC)
        report = DrainReport()
        release_dead_local(self.store, moment)
        self.plan(moment)
        while (job := self.claim(moment)) is not None:
            report.outcomes.append(self.run_job(job, moment))
            moment = clock() if clock else (now or datetime.now(UTC))
        return report

    def run(self, stop: threading.Event) -> None:
        """Run jobs as they fall due until `stop` is set; a database outage is waited out, not fatal."""
        backoff = 1.0
        released = False
        while not stop.is_set():
            try:
                now = datetime.now(UTC)
                if not released:  # once at start: jobs of this host's dead workers are taken over at once
                    release_dead_local(self.store, now)
                    released = True
                self.plan(now)
                job = self.claim(now)
                backoff = 1.0
            except DBAPIError as exc:
                log.warning("jobs: database unavailable (%s); retrying in %.0f s", exc.orig, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            if job is None:
                stop.wait(self.settings.job_poll_interval)
                continue
            try:
                self.run_job(job, now)
            except DBAPIError as exc:  # recording the outcome failed; the lease runs out and the job is retried
                log.warning("job %s: database unavailable while recording (%s)", job.id, exc.orig)


def serve_metrics(settings: Settings) -> int | None:
    """Serve this process's Prometheus metrics on 127.0.0.1:worker_metrics_port; the port, or None when off."""
    if not settings.worker_metrics_port:
        return None
    from prometheus_client import start_http_server

    try:
        start_http_server(settings.worker_metrics_port, addr="127.0.0.1")
    except OSError as exc:
        raise ConfigError(
            f"cannot serve worker metrics on port {settings.worker_metrics_port}: {exc.strerror}"
        ) from None
    return settings.worker_metrics_port


def start_background(settings: Settings) -> threading.Event | None:
    """Run a worker in a daemon thread with its own store (for `paperwire serve`); None when switched off.

    Set the returned event to stop it after the current job.
    """
    if not settings.scheduler_enabled:
        return None
    serve_metrics(settings)
    stop = threading.Event()

    def main() -> None:
        with Paperwire(settings, store=Store.open(settings, migrate=False)) as app:
            Worker(app).run(stop)

    threading.Thread(target=main, name="paperwire-worker", daemon=True).start()
    return stop
