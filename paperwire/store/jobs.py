"""The job queue's rows: enqueue (deduplicated by key), claim with a lease, renew, finish, retry, count, prune.

A claim selects the oldest due job with FOR UPDATE SKIP LOCKED, so on PostgreSQL any number of workers
on any number of machines claim different jobs without waiting on each other; on SQLite the same
statements run under the single writer lock (BEGIN IMMEDIATE) and SKIP LOCKED is simply not needed.
A job whose lease ran out while "running" (its worker was killed) is due again and is taken over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paperwire.store.schema import jobs
from paperwire.store.upsert import insert_for

STATES = ("queued", "running", "done", "failed")


@dataclass(frozen=True)
class Job:
    """A claimed job: what to do, and the lease its worker must hold to report on it."""

    id: int
    kind: str
    key: str | None
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    locked_by: str


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def enqueue(
    conn: Connection,
    kind: str,
    now: datetime,
    *,
    key: str | None = None,
    payload: dict[str, Any] | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 3,
) -> int | None:
    """Add a job; None when a job with the same key exists already (that is how periodic jobs fire once)."""
    stmt = (
        insert_for(conn, jobs)
        .values(
            kind=kind,
            key=key,
            payload=payload or {},
            state="queued",
            run_at=run_at or now,
            attempts=0,
            max_attempts=max_attempts,
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(jobs.c.id)
    )
    created = conn.execute(stmt).scalar()
    return int(created) if created is not None else None


def _due(now: datetime) -> Any:
    t = jobs.c
    return sa.or_(sa.and_(t.state == "queued", t.run_at <= now), sa.and_(t.state == "running", t.locked_until < now))


def give_up_expired(conn: Connection, now: datetime) -> int:
    """Fail running jobs whose lease ran out with no attempts left (their worker died each time)."""
    t = jobs.c
    return conn.execute(
        jobs.update()
        .where(t.state == "running", t.locked_until < now, t.attempts >= t.max_attempts)
        .values(
            state="failed",
            finished_at=now,
            locked_by=None,
            locked_until=None,
            error=sa.func.coalesce(t.error, "") + "the lease ran out on the last attempt (worker died?)",
        )
    ).rowcount


def claim(
    conn: Connection, worker: str, now: datetime, lease_until: datetime, *, kinds: list[str] | None = None
) -> Job | None:
    """Take the oldest due job (or one whose worker's lease ran out) for `worker`; None when nothing is due."""
    t = jobs.c
    pick = sa.select(t.id).where(_due(now), t.attempts < t.max_attempts)
    if kinds:
        pick = pick.where(t.kind.in_(kinds))
    pick = pick.order_by(t.run_at, t.id).limit(1).with_for_update(skip_locked=True)
    job_id = conn.execute(pick).scalar()
    if job_id is None:
        return None
    row = conn.execute(
        jobs.update()
        .where(t.id == job_id)
        .values(state="running", locked_by=worker, locked_until=lease_until, attempts=t.attempts + 1, started_at=now)
        .returning(t.id, t.kind, t.key, t.payload, t.attempts, t.max_attempts, t.locked_by)
    ).one()
    return Job(
        id=row.id,
        kind=row.kind,
        key=row.key,
        payload=dict(row.payload or {}),
        attempts=row.attempts,
        max_attempts=row.max_attempts,
        locked_by=row.locked_by,
    )


def _held(job: Job) -> Any:
    t = jobs.c
    return sa.and_(t.id == job.id, t.state == "running", t.locked_by == job.locked_by)


def renew(conn: Connection, job: Job, lease_until: datetime) -> bool:
    """Extend the lease; False when the worker lost it (another worker took the job over)."""
    return bool(conn.execute(jobs.update().where(_held(job)).values(locked_until=lease_until)).rowcount)


def finish(conn: Connection, job: Job, now: datetime, result: str) -> bool:
    """Mark a job done; False when the lease was lost meanwhile (the other worker reports instead)."""
    values = {"state": "done", "finished_at": now, "result": result[:2000], "locked_until": None}
    return bool(conn.execute(jobs.update().where(_held(job)).values(**values)).rowcount)


def fail(conn: Connection, job: Job, now: datetime, error: str, *, retry_at: datetime | None) -> str:
    """Record a failure: back to "queued" at `retry_at` while attempts remain, else "failed". The new state."""
    state = "queued" if retry_at is not None and job.attempts < job.max_attempts else "failed"
    values: dict[str, Any] = {"state": state, "error": error[:2000], "locked_by": None, "locked_until": None}
    if state == "queued":
        values["run_at"] = retry_at
    else:
        values["finished_at"] = now
    conn.execute(jobs.update().where(_held(job)).values(**values))
    return state


def held_by(conn: Connection, prefix: str) -> list[tuple[int, str]]:
    """Running jobs whose worker id starts with `prefix` (this host's workers): (id, worker id)."""
    t = jobs.c
    query = sa.select(t.id, t.locked_by).where(t.state == "running", t.locked_by.startswith(prefix, autoescape=True))
    return [(row.id, row.locked_by) for row in conn.execute(query)]


def expire_lease(conn: Connection, job_id: int, worker: str, now: datetime) -> bool:
    """End a lease early (its worker is known to be dead), so the job is due at once."""
    t = jobs.c
    query = jobs.update().where(t.id == job_id, t.state == "running", t.locked_by == worker)
    return bool(conn.execute(query.values(locked_until=now - timedelta(seconds=1))).rowcount)


def by_key(conn: Connection, key: str) -> dict[str, Any] | None:
    """The id, state and error of the job queued under `key`, or None when there is none."""
    t = jobs.c
    row = conn.execute(sa.select(t.id, t.state, t.error).where(t.key == key)).first()
    return dict(row._mapping) if row is not None else None


def running_elsewhere(conn: Connection, kind: str, job_id: int, now: datetime) -> bool:
    """Whether another job of `kind` holds a live lease (used to keep one embedder at a time)."""
    t = jobs.c
    query = sa.select(t.id).where(t.kind == kind, t.id != job_id, t.state == "running", t.locked_until >= now)
    return conn.execute(query.limit(1)).first() is not None


def depth(conn: Connection, now: datetime) -> dict[tuple[str, str], int]:
    """Jobs per (kind, state); "queued" counts only jobs already due, "waiting" those scheduled later."""
    t = jobs.c
    state = sa.case((sa.and_(t.state == "queued", t.run_at > now), "waiting"), else_=t.state)
    rows = conn.execute(sa.select(t.kind, state.label("state"), sa.func.count()).group_by(t.kind, state))
    return {(row[0], row[1]): int(row[2]) for row in rows}


def recent(conn: Connection, *, limit: int = 20, state: str | None = None) -> list[dict[str, Any]]:
    """The newest jobs, for `paperwire jobs list`."""
    t = jobs.c
    query = sa.select(jobs).order_by(t.id.desc()).limit(limit)
    if state:
        query = query.where(t.state == state)
    rows = [dict(row._mapping) for row in conn.execute(query)]
    for row in rows:
        for name in ("run_at", "locked_until", "created_at", "started_at", "finished_at"):
            row[name] = _utc(row[name])
    return rows


def retry(conn: Connection, job_id: int, now: datetime) -> bool:
    """Queue a failed job again with fresh attempts."""
    t = jobs.c
    values = {"state": "queued", "run_at": now, "attempts": 0, "finished_at": None}
    return bool(conn.execute(jobs.update().where(t.id == job_id, t.state == "failed").values(**values)).rowcount)


def prune(conn: Connection, before: datetime) -> int:
    """Delete finished jobs (done or failed) older than `before`."""
    t = jobs.c
    return conn.execute(jobs.delete().where(t.state.in_(("done", "failed")), t.finished_at < before)).rowcount
