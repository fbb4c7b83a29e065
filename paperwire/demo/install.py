"""Install the bundled demo corpus into an instance: papers, daily lists, shipped vectors, search indexes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from paperwire.demo import import_demo_vectors, load_demo
from paperwire.papers.ingest import IngestReport
from paperwire.store.papers import counts, listing_days

if TYPE_CHECKING:
    from paperwire.application import Paperwire


@dataclass(frozen=True)
class DemoInstall:
    """What installing the demo did and what the instance now holds."""

    report: IngestReport  # the ingest of the demo files
    vectors: int  # precomputed vectors imported (0 when another embedding model is configured)
    indexed: dict[str, int]  # search index documents added: keyword, vectors
    totals: dict[str, int]  # rows per kind in the database (papers, listings, ...)
    days: list[tuple[date, int]]  # the daily lists, newest first: (day, papers)


def install_demo(app: Paperwire) -> DemoInstall:
    """Load the demo corpus and its vectors (idempotent) and bring the search indexes up to date."""
    report = load_demo(app.store, batch_size=app.settings.ingest_batch_size)
    vectors = import_demo_vectors(app.store, app.settings.embedding_model)
    indexed = app.engine.sync()
    with app.store.read() as conn:
        totals = counts(conn)
        days = listing_days(conn)
    return DemoInstall(report, vectors, indexed, totals, days)
