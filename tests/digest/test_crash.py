"""Exactly once across `kill -9` and concurrent senders: real `python -m paperwire digest send` processes, a real SMTP sink.

Run on SQLite and PostgreSQL (the `settings` fixture gives both). The crash test kills the sender
while it waits for the server's reply to a message the sink holds and never stores, so the kill
lands outside the double-send window documented in paperwire/digest/send.py; should a duplicate
ever appear, the assertion message says so.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.digest.subscriptions import Preferences, add_subscriber
from paperwire.store import Store
from paperwire.store import digests as repo
from tests.digest.conftest import DAY, Sink

pytestmark = pytest.mark.slow  # real senders killed with kill -9: 6 to 9 s a test

REPO = Path(__file__).resolve().parents[2]
SUBSCRIBERS = 300


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    env.update(
        {
            "PAPERWIRE_HOME": str(settings.home),
            "PAPERWIRE_SMTP_HOST": "127.0.0.1",
            "PAPERWIRE_SMTP_PORT": str(settings.smtp_port),
            "PAPERWIRE_SITE_URL": settings.site_url,
            "PAPERWIRE_SECRET_KEY": settings.secret_key or "",
            "PAPERWIRE_DIGEST_RATE": "0",
            "PAPERWIRE_DIGEST_CLAIM_LEASE": "1",
            "PAPERWIRE_DIGEST_RETRY_BACKOFF": "0.01",
            **extra,
        }
    )
    if settings.database_url:
        env["PAPERWIRE_DATABASE_URL"] = settings.database_url
    return env


def _sender(settings: Settings, **extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "paperwire", "digest", "send", "--period", DAY, "--json"]
    return subprocess.Popen(
        command, cwd=REPO, env=_env(settings, **extra), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def _subscribe_all(store: Store) -> list[str]:
    addresses = [f"reader{i:03d}@example.org" for i in range(SUBSCRIBERS)]
    for address in addresses:
        add_subscriber(store, address, Preferences(top_n=3, use_upvotes=False), confirmed=True)
    return addresses


def _assert_exactly_once(sink: Sink, addresses: list[str]) -> None:
    counts = sink.per_address()
    twice = sorted(a for a, n in counts.items() if n > 1)
    assert not twice, (
        f"DOUBLE SEND: {len(twice)} subscribers got the digest more than once ({twice[:5]}): a sender "
        "died between the server's 250 and the commit of the sent row (the window in send.py)"
    )
    missing = [a for a in addresses if counts[a] == 0]
    assert not missing, f"{len(missing)} subscribers got no digest, e.g. {missing[:5]}"
    assert sum(counts.values()) == len(addresses)


def _statuses(store: Store) -> dict[str, int]:
    with store.read() as conn:
        rows = repo.ledger_rows(conn, [(s["id"], DAY) for s in repo.list_subscriptions(conn)])
    found: dict[str, int] = {}
    for row in rows.values():
        found[row["status"]] = found.get(row["status"], 0) + 1
    return found


def test_kill_9_mid_run_then_immediate_rerun_sends_each_digest_once(dsettings, dstore, sink) -> None:
    addresses = _subscribe_all(dstore)
    killed_after = 120
    sink.freeze_after = killed_after
    lease = {"PAPERWIRE_DIGEST_CLAIM_LEASE": "600"}  # the default: a rerun must not wait for it
    first = _sender(dsettings, **lease)
    try:
        _wait_for(lambda: sink.count() >= killed_after, f"{killed_after} messages")
        _wait_for(lambda: sink.held >= 1, "the sender to send message 121")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    assert sink.count() == killed_after
    left = _statuses(dstore)
    assert left == {"sent": killed_after, "claimed": 1}, left  # one digest claimed by the dead sender
    sink.freeze_after = None
    sink.release()
    second = _sender(dsettings, **lease)  # at once: the dead sender was on this host, so its claim is taken over
    output, errors = second.communicate(timeout=180)
    assert second.returncode == 0, errors
    report = json.loads(output.strip().splitlines()[-1])
    assert report["sent"] == SUBSCRIBERS - killed_after and report["done_before"] == killed_after
    _assert_exactly_once(sink, addresses)
    assert _statuses(dstore) == {"sent": SUBSCRIBERS}
    rerun = _sender(dsettings, **lease)
    output, errors = rerun.communicate(timeout=180)
    assert json.loads(output.strip().splitlines()[-1])["sent"] == 0, errors
    _assert_exactly_once(sink, addresses)


def test_two_concurrent_senders_never_send_a_digest_twice(dsettings, dstore, sink) -> None:
    addresses = _subscribe_all(dstore)
    paced = {"PAPERWIRE_DIGEST_RATE": "150"}  # each alone would take 2 s: the two runs overlap
    senders = [_sender(dsettings, **paced), _sender(dsettings, **paced)]
    reports = []
    for sender in senders:
        output, errors = sender.communicate(timeout=180)
        assert sender.returncode == 0, errors
        reports.append(json.loads(output.strip().splitlines()[-1]))
    _assert_exactly_once(sink, addresses)
    assert sum(r["sent"] for r in reports) == SUBSCRIBERS
    assert all(r["sent"] > 0 for r in reports), f"the senders did not overlap: {reports}"
    assert _statuses(dstore) == {"sent": SUBSCRIBERS}
