"""The scheduler behind `paperwire worker` and (unless scheduler_enabled is off) `paperwire serve`.

Every `scheduler_interval` seconds it runs four steps in turn: fetch the followed categories' new
papers from the arXiv API (if scheduler_fetch), embed papers without a vector, bring the search
indexes up to date, and send the digests that are due. A step that fails is logged and the next
one still runs; the next tick tries again. Several schedulers may run at once (several servers):
the delivery ledger keeps each digest to one sender.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from paperwire.config import Settings
from paperwire.digest.send import send_due
from paperwire.feed.lists import followed
from paperwire.papers.ingest import ingest_items
from paperwire.search.engine import SearchEngine
from paperwire.search.indexer import embed_pending
from paperwire.store import Store
from paperwire.store.embeddings import count_pending
from paperwire.store.state import get_state, set_state

log = logging.getLogger("paperwire.scheduler")
FIRST_FETCH_DAYS = 3  # how far back the first fetch of a category goes
FETCH_MAX = 2000  # papers fetched per category per tick at most

Fetch = Callable[[str, date], Iterable[Any]]  # (category, since) -> parsed items


@dataclass
class TickReport:
    """What one tick did: a one-line result or error per step."""

    steps: dict[str, str] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)


def _arxiv_fetch(settings: Settings) -> Fetch:
    def fetch(category: str, since: date) -> Iterable[Any]:
        from paperwire.sources.arxiv_api import fetch_category
        from paperwire.sources.http import PoliteClient

        with PoliteClient(settings) as client:
            yield from fetch_category(client, settings, category, since=since, max_results=FETCH_MAX)

    return fetch


class Scheduler:
    """Runs the fetch, embed, index and send steps; `tick()` once (tests, `worker --once`) or `run(stop)`."""

    def __init__(self, settings: Settings, store: Store, engine: SearchEngine | None = None, *,
                 fetch: Fetch | None = None, mailer: Any = None) -> None:  # fmt: skip
        self.settings, self.store = settings, store
        self.engine = engine or SearchEngine(settings, store)
        self.fetch = fetch or _arxiv_fetch(settings)
        self.mailer = mailer

    def tick(self, now: datetime | None = None) -> TickReport:
        moment = now or datetime.now(UTC)
        report = TickReport()
        steps: list[tuple[str, Callable[[], str]]] = []
        if self.settings.scheduler_fetch:
            steps.append(("fetch", lambda: self.fetch_new(moment)))
        steps += [("embed", self.embed), ("index", self.index), ("send", lambda: self.send(moment))]
        for name, step in steps:
            try:
                report.steps[name] = step()
            except Exception as exc:  # noqa: BLE001 - a failing step is logged; the others still run
                log.exception("scheduler: %s failed", name)
                report.steps[name] = f"failed: {exc}"
                report.failed.append(name)
        return report

    def fetch_new(self, now: datetime) -> str:
        """Fetch each followed category's papers updated since its last fetch (a day of overlap)."""
        added = updated = 0
        for category in followed(self.settings):
            key = f"scheduler:arxiv:{category}:fetched"
            last = get_state(self.store, key)
            since = date.fromisoformat(last) - timedelta(days=1) if last else now.date() - timedelta(days=FIRST_FETCH_DAYS)
            result = ingest_items(self.store, self.fetch(category, since), source="arxiv-api",
                                  batch_size=min(self.settings.ingest_batch_size, 100))  # fmt: skip
            added, updated = added + result.added, updated + result.updated
            set_state(self.store, key, now.date().isoformat())
        return f"{added} new papers, {updated} updated"

    def embed(self) -> str:
        with self.store.read() as conn:
            if not count_pending(conn, self.engine.model):
                return "nothing to embed"  # without loading the model
        # Bounded per tick, so a large backlog (a fresh bulk ingest) is worked off without starving the site.
        report = embed_pending(self.store, self.engine.embedder, batch_size=self.settings.embed_batch_size,
                               limit=self.settings.scheduler_embed_limit)  # fmt: skip
        return report.summary()

    def index(self) -> str:
        counts = self.engine.sync()
        return f"{counts['keyword']} keyword documents, {counts['vectors']} vectors"

    def send(self, now: datetime) -> str:
        return send_due(self.store, self.settings, self.engine, now=now, mailer=self.mailer).summary()

    def run(self, stop: threading.Event) -> None:
        """Tick every scheduler_interval seconds until `stop` is set."""
        while not stop.is_set():
            started = time.monotonic()
            report = self.tick()
            log.info("scheduler tick: %s", "; ".join(f"{k}: {v}" for k, v in report.steps.items()))
            stop.wait(max(0.0, self.settings.scheduler_interval - (time.monotonic() - started)))


def start_background(settings: Settings) -> threading.Event | None:
    """Start the scheduler in a daemon thread with its own store (for `paperwire serve`); None when switched off.

    Set the returned event to stop it after the current step.
    """
    if not settings.scheduler_enabled:
        return None
    stop = threading.Event()

    def main() -> None:
        store = Store.open(settings)
        try:
            Scheduler(settings, store).run(stop)
        finally:
            store.close()

    threading.Thread(target=main, name="paperwire-scheduler", daemon=True).start()
    return stop
