"""The job queue's rows on both databases: dedupe by key, claim order, leases, takeover, retries, SKIP LOCKED."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from paperwire.store import Store
from paperwire.store import jobs as rows

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def _claim(store: Store, worker: str, now: datetime, lease: float = 60.0) -> rows.Job | None:
    with store.write() as conn:
        rows.give_up_expired(conn, now)
        return rows.claim(conn, worker, now, now + timedelta(seconds=lease))


def _add(store: Store, kind: str, now: datetime = T0, **options) -> int | None:
    with store.write() as conn:
        return rows.enqueue(conn, kind, now, **options)


def _depth(store: Store, now: datetime = T0) -> dict[tuple[str, str], int]:
    with store.read() as conn:
        return rows.depth(conn, now)


def test_a_key_queues_a_job_once(store: Store) -> None:
    first = _add(store, "send", key="send@2026-11-29T10:00:00+00:00")
    assert first is not None
    assert _add(store, "send", key="send@2026-11-29T10:00:00+00:00") is None
    assert _add(store, "send") is not None and _add(store, "send") is not None  # no key: no dedupe
    assert _depth(store) == {("send", "queued"): 3}


def test_claims_take_due_jobs_oldest_first_and_never_twice(store: Store) -> None:
    later = _add(store, "send", run_at=T0 + timedelta(minutes=5))
    first, second = _add(store, "fetch"), _add(store, "embed")
    assert _depth(store) == {("send", "waiting"): 1, ("fetch", "queued"): 1, ("embed", "queued"): 1}
    a, b = _claim(store, "a", T0, lease=3600), _claim(store, "b", T0, lease=3600)
    assert (a.id, a.kind, a.attempts, a.locked_by) == (first, "fetch", 1, "a")
    assert (b.id, b.kind) == (second, "embed")
    assert _claim(store, "c", T0) is None  # the third is not due yet
    assert _claim(store, "c", T0 + timedelta(minutes=5)).id == later


def test_a_job_whose_worker_died_is_taken_over_after_its_lease(store: Store) -> None:
    job_id = _add(store, "embed")
    dead = _claim(store, "dead", T0, lease=30)
    assert _claim(store, "alive", T0 + timedelta(seconds=29)) is None  # the lease still holds
    taken = _claim(store, "alive", T0 + timedelta(seconds=31))
    assert (taken.id, taken.attempts, taken.locked_by) == (job_id, 2, "alive")
    with store.write() as conn:  # the dead worker (had it only stalled) can neither renew nor report
        assert not rows.renew(conn, dead, T0 + timedelta(minutes=5))
        assert not rows.finish(conn, dead, T0, "late")
        assert rows.finish(conn, taken, T0 + timedelta(seconds=40), "embedded 10")
    with store.read() as conn:
        [job] = rows.recent(conn)
    assert (job["state"], job["result"], job["attempts"]) == ("done", "embedded 10", 2)


def test_failures_are_retried_later_then_marked_failed(store: Store) -> None:
    job_id = _add(store, "fetch", max_attempts=2)
    job = _claim(store, "w", T0)
    with store.write() as conn:
        assert rows.fail(conn, job, T0, "OSError: network down", retry_at=T0 + timedelta(seconds=30)) == "queued"
    assert _claim(store, "w", T0 + timedelta(seconds=10)) is None
    job = _claim(store, "w", T0 + timedelta(seconds=30))
    assert (job.id, job.attempts) == (job_id, 2)
    with store.write() as conn:
        assert rows.fail(conn, job, T0, "OSError: still down", retry_at=T0 + timedelta(seconds=60)) == "failed"
    assert _claim(store, "w", T0 + timedelta(days=1)) is None
    with store.write() as conn:
        assert rows.retry(conn, job_id, T0) and not rows.retry(conn, job_id, T0)  # only a failed job
    assert _claim(store, "w", T0).attempts == 1


def test_a_job_killed_on_its_last_attempt_ends_failed(store: Store) -> None:
    _add(store, "embed", max_attempts=1)
    _claim(store, "dead", T0, lease=10)
    assert _claim(store, "w", T0 + timedelta(seconds=11)) is None
    with store.read() as conn:
        [job] = rows.recent(conn)
    assert job["state"] == "failed" and "lease ran out" in job["error"]


def test_prune_deletes_only_old_finished_jobs(store: Store) -> None:
    for _ in range(3):
        _add(store, "index")
    done = _claim(store, "w", T0)
    with store.write() as conn:
        rows.finish(conn, done, T0, "ok")
    _claim(store, "w", T0)  # running: kept
    with store.write() as conn:
        assert rows.prune(conn, T0 - timedelta(days=1)) == 0
        assert rows.prune(conn, T0 + timedelta(days=1)) == 1
    assert _depth(store) == {("index", "running"): 1, ("index", "queued"): 1}


def test_concurrent_workers_claim_each_job_exactly_once(store: Store) -> None:
    for _ in range(40):
        _add(store, "send")
    claimed: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        while (job := _claim(store, name, T0)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 40


def test_postgresql_claims_skip_a_row_locked_by_an_open_claim(store: Store) -> None:
    """FOR UPDATE SKIP LOCKED: a second worker does not wait for the first worker's transaction."""
    if store.dialect != "postgresql":
        pytest.skip("SQLite has one writer at a time; SKIP LOCKED is a PostgreSQL feature")
    first, second = _add(store, "send"), _add(store, "send")
    with store.engine.connect() as slow:
        slow.begin()
        held = rows.claim(slow, "slow", T0, T0 + timedelta(minutes=1))  # row locked, not committed
        with store.engine.connect() as fast, fast.begin():
            fast.execute(sa.text("SET LOCAL lock_timeout = '2s'"))  # waiting would fail the test, not hang it
            other = rows.claim(fast, "fast", T0, T0 + timedelta(minutes=1))
        assert (held.id, other.id) == (first, second)
        slow.rollback()
    assert _claim(store, "again", T0).id == first  # the rolled-back claim left it queued
