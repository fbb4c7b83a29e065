"""A real `kill -9` in the middle of an ingest loses nothing committed, and a rerun finishes the job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.store import Store
from paperwire.store import papers as repo

pytestmark = pytest.mark.slow  # a real ingest killed with kill -9: 5 to 20 s

TOTAL = 30_000
BATCH = 200


def _write_input(path: Path) -> None:
    with path.open("w") as out:
        for n in range(1, TOTAL + 1):
            record = {
                "id": f"2501.{n:05d}",
                "title": f"Paper number {n}",
                "abstract": "words " * 40,
                "authors": ["A. Author", "B. Author"],
                "categories": ["cs.CL"],
                "published": "2025-01-02",
            }
            out.write(json.dumps(record) + "\n")


def _papers(store: Store) -> int:
    with store.read() as conn:
        return repo.counts(conn)["papers"]


def test_kill_9_mid_ingest_then_rerun(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "big.jsonl"
    _write_input(source)
    env = {
        **os.environ,
        "PAPERWIRE_HOME": str(settings.home),
        "PAPERWIRE_DATABASE_URL": settings.database_url or "",
        "PAPERWIRE_INGEST_BATCH_SIZE": str(BATCH),
    }
    command = [sys.executable, "-m", "paperwire", "ingest", str(source), "--json"]
    store = Store.open(settings)
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _papers(store) < 5 * BATCH and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    committed = _papers(store)
    assert process.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    assert 0 < committed < TOTAL and committed % BATCH == 0  # only whole batches, nothing half-written
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert (report["added"], report["unchanged"], report["skipped"]) == (TOTAL - committed, committed, 0)
    assert _papers(store) == TOTAL
    store.close()
