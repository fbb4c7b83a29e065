"""The map of a period's papers: which papers (those of the period's two lists), whether the cached map is current,
drawing it (in a job, or at once for a small period) and asking the job queue for it.

A map is cached per period with the key of the papers it was drawn from (a hash of their ids). The page shows the
cached map when its key is the current one; otherwise it draws a small period at once, or queues a `field_map` job
(one per period and set of papers: the job's dedupe key holds both) and shows the old map, if any, meanwhile.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from paperwire.config import Settings
from paperwire.errors import InvalidInput
from paperwire.feed import field_map
from paperwire.feed.field_map import FieldMap
from paperwire.feed.lists import Kind, ListItem, Period, Source, build_list, latest_period, parse_period
from paperwire.store import Store
from paperwire.store import embeddings as vectors_repo
from paperwire.store import field_maps as cache
from paperwire.store import jobs as job_rows

JOB_KIND = "field_map"
INLINE_LIMIT = 300  # papers drawn during the request (1.3 s on 2 cores: bench/field_map.py --inline); more: a job
JOB_KEY_CHARS = 16
SOURCES: tuple[Source, ...] = ("community", "arxiv")  # Daily papers, New on arXiv


@dataclass
class PeriodMap:
    """What the map page shows: the period's papers, the map (None while none was ever drawn), whether that map
    is of the current papers, whether a job is drawing one, or why that job failed."""

    period: Period
    items: list[ListItem] = field(default_factory=list)
    drawn: FieldMap | None = None
    current: bool = False
    queued: bool = False
    failed: int | None = None  # the id of the job that failed to draw it (its error is for the admin: `jobs list`)


def period_papers(store: Store, settings: Settings, period: Period, *, viewer_id: int | None = None) -> list[ListItem]:
    """The papers of both of a period's lists (Daily papers, then New on arXiv), each once, by votes."""
    seen: dict[str, ListItem] = {}
    for source in SOURCES:
        plist = build_list(store, settings, period, sort="votes", source=source, viewer_id=viewer_id)
        for item in plist.items:
            seen.setdefault(item.id, item)
    return list(seen.values())


def papers_key(ids: list[str]) -> str:
    """The key of a set of papers: the SHA-256 of their sorted ids (order and repeats do not matter)."""
    return hashlib.sha256("\n".join(sorted(set(ids))).encode()).hexdigest()


def cached(settings: Settings, period: Period) -> FieldMap | None:
    """The period's cached map, current or not; None when none was drawn (or its file is unreadable)."""
    data = cache.read_map(settings, period.key)
    if data is None:
        return None
    try:
        return FieldMap.from_dict(data)
    except (KeyError, TypeError, ValueError):
        return None


def draw_period(
    store: Store, settings: Settings, period: Period, model: str, *, items: list[ListItem] | None = None
) -> FieldMap:
    """Draw the map of a period's papers from their stored vectors of `model` and cache it; papers without a
    vector are left off the map and listed in its `missing`."""
    items = period_papers(store, settings, period) if items is None else items
    ids = [item.id for item in items]
    with store.read() as conn:
        found = vectors_repo.vectors_of(conn, model, ids)
    placed = [item for item in items if item.id in found]
    vectors = np.vstack([found[item.id] for item in placed]) if placed else np.zeros((0, 1), np.float32)
    drawn = field_map.draw(
        [item.id for item in placed],
        vectors,
        [f"{item.title}. {item.abstract}" for item in placed],
        key=papers_key(ids),
        missing=[pid for pid in ids if pid not in found],
    )
    cache.write_map(settings, period.key, drawn.as_dict())
    return drawn


def _still_current(store: Store, drawn: FieldMap, key: str, model: str) -> bool:
    """Whether a cached map shows the current papers: the same key, and no paper it lacked a vector for has one now."""
    if drawn.key != key:
        return False
    if not drawn.missing:
        return True
    with store.read() as conn:
        return not vectors_repo.vectors_of(conn, model, list(drawn.missing))


def request_map(store: Store, settings: Settings, period: Period, key: str) -> int | None:
    """Queue the job that draws this period's map for these papers, once; the id of that job when it has failed
    for good (it is not queued again: `paperwire jobs retry ID` does that, its error is in `jobs list`), else None."""
    job_key = f"{JOB_KIND}:{period.key}:{key[:JOB_KEY_CHARS]}"
    with store.write() as conn:
        job_rows.enqueue(
            conn,
            JOB_KIND,
            datetime.now(UTC),
            key=job_key,
            payload={"period": period.param, "key": period.key},
            max_attempts=settings.job_max_attempts,
        )
        job = job_rows.by_key(conn, job_key)
    if job is not None and job["state"] == "failed":
        return int(job["id"])
    return None


def period_map(
    store: Store,
    settings: Settings,
    period: Period,
    model: str,
    *,
    viewer_id: int | None = None,
    inline_limit: int = INLINE_LIMIT,
) -> PeriodMap:
    """The map page's content: the cached map when current; else drawn now (at most `inline_limit` papers) or
    asked of the job queue, with the previous map of the period, if any, in the meantime."""
    items = period_papers(store, settings, period, viewer_id=viewer_id)
    shown = PeriodMap(period, items)
    if not items:
        return shown
    key = papers_key([item.id for item in items])
    drawn = cached(settings, period)
    if drawn is not None and _still_current(store, drawn, key, model):
        shown.drawn, shown.current = drawn, True
    elif len(items) <= inline_limit:
        shown.drawn, shown.current = draw_period(store, settings, period, model, items=items), True
    else:
        shown.drawn, shown.failed = drawn, request_map(store, settings, period, key)
        shown.queued = shown.failed is None
    return shown


def period_of_job(payload: dict[str, object]) -> Period:
    """The period a field_map job draws, from its payload ({"period": "week", "key": "2026-W06"})."""
    param, key = payload.get("period"), payload.get("key")
    if param not in ("date", "week", "month") or not isinstance(key, str):
        raise InvalidInput(f"a field_map job needs a period and its key, got {payload!r}", field="payload")
    period = parse_period(
        day=key if param == "date" else None,
        week=key if param == "week" else None,
        month=key if param == "month" else None,
    )
    assert period is not None  # a key was given
    return period


def latest_periods(store: Store, settings: Settings, kinds: tuple[Kind, ...] = ("week", "month")) -> list[Period]:
    """The latest week and month with papers on either list: what a field_map job without a period draws."""
    found: list[Period] = []
    for kind in kinds:
        for source in SOURCES:
            period = latest_period(store, settings, kind, source=source)
            if period is not None and period not in found:
                found.append(period)
    return found
