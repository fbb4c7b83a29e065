"""Three real `paperwire worker` processes share one queue: every period's jobs run once, spread over the workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from paperwire.config import Settings
from paperwire.store import Store
from paperwire.store import jobs as rows


def test_three_workers_run_each_periodic_job_once(settings: Settings, store: Store) -> None:
    env = os.environ | {
        "PAPERWIRE_HOME": str(settings.home), "PAPERWIRE_DATABASE_URL": settings.database_url or "",
        "PAPERWIRE_SCHEDULER_INTERVAL": "2", "PAPERWIRE_JOB_POLL_INTERVAL": "0.2", "PAPERWIRE_SCHEDULER_FETCH": "false",
        "PAPERWIRE_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    workers = [subprocess.Popen([sys.executable, "-m", "paperwire", "worker"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE) for _ in range(3)]  # fmt: skip
    try:
        time.sleep(12)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        errors = [worker.communicate(timeout=30)[1].decode() for worker in workers]
    with store.read() as conn:
        jobs = [j for j in rows.recent(conn, limit=1000) if j["kind"] != "prune"]
    periods = Counter(j["key"].split("@")[1] for j in jobs)
    assert len(periods) >= 3, (periods, errors)  # 2 s periods over about 10 s of running workers
    finished = [j for j in jobs if j["state"] == "done"]
    assert set(periods.values()) == {3}, periods  # embed, index and send: one job each per period
    assert all(j["attempts"] == 1 for j in finished), [j for j in finished if j["attempts"] != 1]
    assert len({j["locked_by"] for j in finished}) >= 2, "the jobs were not spread over the workers"
    assert not any(j["state"] == "failed" for j in jobs), jobs
