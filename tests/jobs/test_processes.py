"""Three real `paperwire worker` processes share one queue: every period's jobs run once, spread over the workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from paperwire.config import Settings
from paperwire.store import Store
from paperwire.store import jobs as rows

pytestmark = pytest.mark.slow  # real worker processes, stopped by signals: about 13 s a test


def test_three_workers_run_each_periodic_job_once(settings: Settings, store: Store) -> None:
    env = os.environ | {
        "PAPERWIRE_HOME": str(settings.home),
        "PAPERWIRE_DATABASE_URL": settings.database_url or "",
        "PAPERWIRE_SCHEDULER_INTERVAL": "2",
        "PAPERWIRE_JOB_POLL_INTERVAL": "0.2",
        "PAPERWIRE_SCHEDULER_FETCH": "false",
        "PAPERWIRE_LOG_LEVEL": "WARNING",
    }
    # Ctrl-C for the first; SIGTERM for the others, one of them started as a script's background job (SIGINT ignored)
    stops = [(signal.SIG_DFL, signal.SIGINT), (signal.SIG_IGN, signal.SIGTERM), (signal.SIG_DFL, signal.SIGTERM)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "paperwire", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=lambda inherited=inherited: signal.signal(signal.SIGINT, inherited),  # type: ignore[misc]
        )
        for inherited, _ in stops
    ]
    try:
        # Until four periods have jobs (about 8 s once the workers run; their start-up is slower on a busy machine).
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(_periods(store)) < 4:
            time.sleep(0.5)
    finally:
        for worker, (_, stop) in zip(workers, stops, strict=True):
            worker.send_signal(stop)
        errors = [worker.communicate(timeout=60)[1].decode() for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0], errors
    with store.read() as conn:
        jobs = [j for j in rows.recent(conn, limit=1000) if j["kind"] != "prune"]
    periods = Counter(j["key"].split("@")[1] for j in jobs)
    assert len(periods) >= 3, (periods, errors)  # 2 s periods
    finished = [j for j in jobs if j["state"] == "done"]
    assert set(periods.values()) == {3}, periods  # embed, index and send: one job each per period
    assert all(j["attempts"] == 1 for j in finished), [j for j in finished if j["attempts"] != 1]
    assert len({j["locked_by"] for j in finished}) >= 2, "the jobs were not spread over the workers"
    assert not any(j["state"] == "failed" for j in jobs), jobs


def test_a_worker_serves_its_own_metrics(settings: Settings, store: Store) -> None:
    import socket
    import urllib.request
    from datetime import UTC, datetime

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with store.write() as conn:
        rows.enqueue(conn, "index", datetime.now(UTC))
    env = os.environ | {
        "PAPERWIRE_HOME": str(settings.home),
        "PAPERWIRE_DATABASE_URL": settings.database_url or "",
        "PAPERWIRE_WORKER_METRICS_PORT": str(port),
        "PAPERWIRE_JOB_POLL_INTERVAL": "0.2",
        "PAPERWIRE_SCHEDULER_FETCH": "false",
        "PAPERWIRE_SCHEDULER_INTERVAL": "3600",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "paperwire", "worker", "--kind", "index"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        text = ""
        deadline = time.monotonic() + 60
        while 'paperwire_jobs_run_total{kind="index",outcome="done"} 2.0' not in text and time.monotonic() < deadline:
            time.sleep(0.3)
            try:
                text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
            except OSError:
                continue
        # the job queued above and this period's periodic index job
        assert 'paperwire_jobs_run_total{kind="index",outcome="done"} 2.0' in text, text[-2000:]
        assert "paperwire_job_duration_seconds_count" in text
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)


def _periods(store: Store) -> set[str]:
    """The scheduler periods that have jobs so far (prune aside)."""
    with store.read() as conn:
        return {j["key"].split("@")[1] for j in rows.recent(conn, limit=1000) if j["kind"] != "prune"}
