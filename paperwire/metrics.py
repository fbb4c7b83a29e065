"""Every Prometheus metric Paperwire exposes at /metrics, defined once here and observed by the domain modules.

`paperwire serve --workers N` (N > 1) puts its web workers in prometheus-client's multi-process mode
(a fresh PROMETHEUS_MULTIPROC_DIR per run), so whichever worker answers a scrape reports the sum of
all of them. The job queue's depth is read from the database at each scrape, not counted.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

HTTP_REQUEST_SECONDS = Histogram(
    "paperwire_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status.",
    ["route", "method", "status"],
)
SEARCH_SECONDS = Histogram(
    "paperwire_search_duration_seconds",
    "Time of one search (keyword, semantic or hybrid, filters-only listings included), by mode.",
    ["mode"],
)
EMAILS = Counter("paperwire_emails", "Emails handed to the SMTP server, by outcome (sent, failed).", ["outcome"])
PAPERS_INGESTED = Counter(
    "paperwire_papers_ingested",
    "Papers written by ingest, by source and outcome (added, updated).",
    ["source", "outcome"],
)


def observe_search(mode: str, started: float) -> None:
    """Record a search that began at `started` (time.perf_counter())."""
    SEARCH_SECONDS.labels(mode=mode).observe(time.perf_counter() - started)


def record_ingest(source: str, report: Any) -> None:
    """Count what one ingest added and updated (an IngestReport)."""
    PAPERS_INGESTED.labels(source=source, outcome="added").inc(report.added)
    PAPERS_INGESTED.labels(source=source, outcome="updated").inc(report.updated)


PAPERS_EMBEDDED = Counter("paperwire_papers_embedded", "Papers embedded (vectors written), by model.", ["model"])
JOBS_RUN = Counter(
    "paperwire_jobs_run",
    "Background jobs run by this process, by kind and outcome (done, queued, failed, lost).",
    ["kind", "outcome"],
)
JOB_SECONDS = Histogram("paperwire_job_duration_seconds", "Time to run one background job, by kind.", ["kind"])


def registry() -> CollectorRegistry:
    """The registry to expose: all web workers' metrics together in multi-process mode, else this process's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    from prometheus_client import multiprocess

    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    return combined


def job_queue(depth: dict[tuple[str, str], int]) -> CollectorRegistry:
    """The queue's depth as a one-scrape gauge family, `paperwire_jobs{kind, state}`."""
    family = GaugeMetricFamily(
        "paperwire_jobs",
        "Jobs in the queue by kind and state (queued = due now, "
        "waiting = due later, running, done, failed), read from the database at each scrape.",
        labels=["kind", "state"],
    )
    for (kind, state), count in sorted(depth.items()):
        family.add_metric([kind, state], count)

    class _Once:
        def collect(self) -> Iterator[Any]:
            yield family

    once = CollectorRegistry()
    once.register(_Once())
    return once
