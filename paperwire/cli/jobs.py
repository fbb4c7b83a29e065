"""`paperwire worker` and `paperwire jobs ...`: run and inspect the background job queue."""

from __future__ import annotations

import json
import logging
import signal
import threading
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from paperwire.cli.common import Group, app_of, err, out
from paperwire.errors import InvalidInput

log = logging.getLogger("paperwire.jobs")

jobs_app = typer.Typer(cls=Group, no_args_is_help=True, help="Inspect and queue background jobs.")
KINDS = ("fetch", "embed", "index", "send", "thumbnails", "field_map", "prune")


def _kinds(kind: list[str] | None) -> list[str] | None:
    for name in kind or []:
        if name not in KINDS:
            raise InvalidInput(f"unknown job kind {name!r}: choose from {', '.join(KINDS)}")
    return kind or None


def worker(
    ctx: typer.Context,
    once: Annotated[
        bool, typer.Option("--once", help="Queue this period's jobs, run every due job, then exit.")
    ] = False,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only run jobs of this kind (repeatable), e.g. embed on a GPU machine."),
    ] = None,
) -> None:
    """Run background jobs: fetch the followed categories, embed new papers, update the indexes, send due digests."""
    from paperwire.jobs.worker import Worker, serve_metrics
    from paperwire.logs import configure_logging

    pw = app_of(ctx)
    settings = pw.settings
    configure_logging(settings)
    runner = Worker(pw, kinds=_kinds(kind))
    if not once and (port := serve_metrics(settings)):
        err.print(f"metrics at http://127.0.0.1:{port}/metrics", markup=False)
    if once:
        report = runner.run_due()
        for outcome in report.outcomes:
            out.print(f"{outcome.kind} (job {outcome.job_id}): {outcome.state}: {outcome.result}", markup=False)
        if not report.outcomes:
            out.print("no job was due")
        if report.failed:
            raise typer.Exit(1)
        return
    err.print(
        f"worker {runner.name}: periodic jobs every {settings.scheduler_interval:g} s (Ctrl-C to stop)", markup=False
    )
    stop = threading.Event()
    _stop_on_signals(stop)
    try:
        runner.run(stop)
    except KeyboardInterrupt:
        stop.set()


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM (systemd, kill) and Ctrl-C let the job in hand finish, then stop; a second one stops at once.

    A worker started in the background of a script inherits an ignored SIGINT; it stays ignored (the
    convention for background jobs), and SIGTERM still stops it.
    """

    def handle(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        log.info("worker: %s received; stopping after the job in hand", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, handle)


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    state: Annotated[
        str | None, typer.Option("--state", help="Only jobs in this state: queued, running, done, failed.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Jobs to show, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the queue's depth by kind and state, and the newest jobs."""
    from paperwire import jobqueue

    store = app_of(ctx).store
    recent = jobqueue.recent(store, limit=limit, state=state)
    depth = jobqueue.depth(store)
    if as_json:
        out.print(
            json.dumps(
                {"depth": [{"kind": k, "state": s, "count": n} for (k, s), n in sorted(depth.items())], "jobs": recent},
                default=str,
            ),
            markup=False,
        )
        return
    out.print(", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(depth.items())) or "the queue is empty", markup=False)
    table = Table("id", "kind", "state", "attempts", "run at", "finished", "result or error")
    for job in recent:
        moment = job["finished_at"] or job["started_at"]
        table.add_row(
            str(job["id"]),
            Text(job["kind"]),
            job["state"],
            f"{job['attempts']}/{job['max_attempts']}",
            job["run_at"].strftime("%Y-%m-%d %H:%M:%S"),
            moment.strftime("%H:%M:%S") if moment else "",
            Text((job["error"] if job["state"] == "failed" else job["result"] or job["error"] or "")[:80]),
        )
    out.print(table)


@jobs_app.command("add")
def jobs_add(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="fetch, embed, index, send, thumbnails, field_map or prune.")],
) -> None:
    """Queue a job to run now (a running worker picks it up), e.g. `paperwire jobs add embed` after a bulk ingest."""
    from paperwire import jobqueue

    _kinds([kind])
    pw = app_of(ctx)
    job_id = jobqueue.enqueue_now(pw.store, kind, max_attempts=pw.settings.job_max_attempts)
    out.print(f"queued {kind} as job {job_id}", markup=False)


@jobs_app.command("retry")
def jobs_retry(
    ctx: typer.Context,
    job_id: Annotated[int, typer.Argument(help="The id of a failed job.")],
) -> None:
    """Queue a failed job again, with its attempts reset."""
    from paperwire import jobqueue

    jobqueue.retry(app_of(ctx).store, job_id)
    out.print(f"job {job_id} queued again", markup=False)
