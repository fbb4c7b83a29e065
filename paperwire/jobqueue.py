"""The job queue as the edges see it: its depth, the newest jobs, queueing a job now, retrying a failed one.

The worker (paperwire.jobs) claims and runs jobs; the CLI and /metrics inspect and feed the queue through here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from paperwire.errors import InvalidInput
from paperwire.store import Store
from paperwire.store import jobs as rows

STATES = rows.STATES


def depth(store: Store) -> dict[tuple[str, str], int]:
    """Jobs per (kind, state) now: "queued" counts only jobs already due, "waiting" those scheduled later."""
    with store.read() as conn:
        return rows.depth(conn, datetime.now(UTC))


def recent(store: Store, *, limit: int, state: str | None = None) -> list[dict[str, Any]]:
    """The newest jobs, optionally only those in one state."""
    if state is not None and state not in STATES:
        raise InvalidInput(f"unknown state {state!r}: choose from {', '.join(STATES)}", field="state")
    with store.read() as conn:
        return rows.recent(conn, limit=limit, state=state)


def enqueue_now(store: Store, kind: str, *, max_attempts: int) -> int:
    """Queue a job of `kind` due now; returns its id."""
    with store.write() as conn:
        job_id = rows.enqueue(conn, kind, datetime.now(UTC), max_attempts=max_attempts)
    assert job_id is not None, "a job queued without a key is never a duplicate"
    return job_id


def retry(store: Store, job_id: int) -> None:
    """Queue a failed job again, its attempts reset."""
    with store.write() as conn:
        if not rows.retry(conn, job_id, datetime.now(UTC)):
            raise InvalidInput(f"job {job_id} does not exist or has not failed")
