"""Install the bundled demo corpus into an instance: papers, daily lists, shipped vectors, search indexes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from paperwire.config import Settings
from paperwire.demo import import_demo_vectors, load_demo
from paperwire.papers.ingest import IngestReport
from paperwire.search.engine import SearchEngine
from paperwire.store import Store
from paperwire.store.papers import counts, listing_days


class Services(Protocol):
    """What installing the demo needs of the application object (paperwire.application.Paperwire has it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> Store: ...

    @property
    def engine(self) -> SearchEngine: ...


@dataclass(frozen=True)
class DemoInstall:
    """What installing the demo did and what the instance now holds."""

    report: IngestReport  # the ingest of the demo files
    vectors: int  # precomputed vectors imported (0 when another embedding model is configured)
    indexed: dict[str, int]  # search index documents added: keyword, vectors
    totals: dict[str, int]  # rows per kind in the database (papers, listings, ...)
    days: list[tuple[date, int]]  # the daily lists, newest first: (day, papers)


def install_demo(app: Services) -> DemoInstall:
    """Load the demo corpus and its vectors (idempotent) and bring the search indexes up to date."""
    report = load_demo(app.store, batch_size=app.settings.ingest_batch_size)
    vectors = import_demo_vectors(app.store, app.settings.embedding_model)
    indexed = app.engine.sync()
    with app.store.read() as conn:
        totals = counts(conn)
        days = listing_days(conn)
    return DemoInstall(report, vectors, indexed, totals, days)
