"""Several sender processes for one digest run: each takes the subscriptions whose id is k modulo n.

A run is CPU-bound in Python (composing, rendering and encoding the email, the ledger), so one process
uses one core however fast the mail server is; `digest_senders` processes use that many. They need
no coordination beyond the delivery ledger, whose claims already keep two senders (or two machines)
from sending one digest twice. The caller does the run's housekeeping once; this module starts the processes
(spawned: a fresh interpreter each, no inherited threads or connections), shows their combined
progress and sums their reports. Each process opens its own store, search engine and SMTP connection,
and sizes the native thread pools to its share of the cores.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from paperwire.config import Settings
from paperwire.errors import PaperwireError
from paperwire.feed.lists import Period
from paperwire.mail import MailUnavailable

if TYPE_CHECKING:
    from paperwire.digest.send import SendReport

_POLL = 0.2  # seconds between looks at the children while waiting for their messages


@dataclass(frozen=True)
class _Job:
    settings: Settings
    now: datetime
    period: Period | None
    dry_run: bool
    shard: tuple[int, int]


def send_parallel(
    settings: Settings,
    senders: int,
    *,
    now: datetime | None = None,
    period: Period | None = None,
    dry_run: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> SendReport:
    """Send every due digest once with `senders` processes; their SendReports summed (`seconds`: the whole run).
    The caller has done the run's housekeeping (send.prepare_run), as send.send_all does.

    Raises MailUnavailable when a sender found the mail server unreachable (the others finish their share).
    """
    from paperwire.digest.send import SendReport

    started = time.perf_counter()
    moment = now or datetime.now(UTC)
    context = multiprocessing.get_context("spawn")
    messages: multiprocessing.Queue[tuple[str, int, Any]] = context.Queue()
    children = [
        context.Process(
            target=_sender,
            args=(_Job(settings, moment, period, dry_run, (k, senders)), messages),
            name=f"paperwire-digest-sender-{k}",
        )
        for k in range(senders)
    ]
    for child in children:
        child.start()
    report = SendReport(dry_run=dry_run)
    progress: dict[int, tuple[int, int]] = {}
    failures: list[str] = []
    finished: set[int] = set()
    try:
        while len(finished) < senders:
            try:
                kind, k, value = messages.get(timeout=_POLL)
            except queue.Empty:
                for k, child in enumerate(children):
                    if k not in finished and not child.is_alive() and child.exitcode != 0:
                        finished.add(k)
                        failures.append(f"sender {k} stopped (exit code {child.exitcode})")
                continue
            if kind == "progress":
                progress[k] = value
                if on_progress:
                    on_progress(sum(d for d, _ in progress.values()), sum(t for _, t in progress.values()))
            elif kind == "report":
                report.add(SendReport(**value))
                finished.add(k)
            else:
                failures.append(value)
                finished.add(k)
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.terminate()
        messages.close()
    report.seconds = time.perf_counter() - started
    if failures:
        raise MailUnavailable("; ".join(dict.fromkeys(failures)))
    return report


def _sender(job: _Job, messages: multiprocessing.Queue[tuple[str, int, Any]]) -> None:
    """One sender process: its share of the subscriptions, its progress and report sent to the parent."""
    from paperwire.threads import share_thread_pools

    share_thread_pools(job.shard[1])  # before numpy, onnxruntime or faiss load in this fresh interpreter
    from paperwire.digest.send import send_due
    from paperwire.search.engine import SearchEngine
    from paperwire.store import Store

    k = job.shard[0]
    store = Store.open(job.settings)
    try:
        report = send_due(
            store,
            job.settings,
            SearchEngine(job.settings, store),
            now=job.now,
            period=job.period,
            dry_run=job.dry_run,
            shard=job.shard,
            on_progress=lambda done, total: messages.put(("progress", k, (done, total))),
        )
    except PaperwireError as exc:  # the mail server unreachable, or refusing our sender address
        messages.put(("error", k, exc.message))
        return
    finally:
        store.close()
    messages.put(("report", k, report.__dict__))
