"""Several sender processes: each digest sent exactly once, the subscribers split without overlap, failures reported."""

from __future__ import annotations

import socket
from datetime import date

import pytest

from paperwire.digest.send import send_all
from paperwire.digest.subscriptions import Preferences, add_subscriber
from paperwire.feed.lists import Period
from paperwire.mail import MailUnavailable
from paperwire.store import digests as repo

DAY = Period.day(date(2025, 3, 18))


def _subscribers(store, count: int) -> list[dict]:
    return [add_subscriber(store, f"s{i}@example.org", Preferences(top_n=2), confirmed=True) for i in range(count)]


def test_shards_split_the_subscribers_without_overlap(dsettings, dstore) -> None:
    ids = {s["id"] for s in _subscribers(dstore, 11)}
    with dstore.read() as conn:
        shares = [
            {s["id"] for s in repo.active_page(conn, after_id=0, limit=100, max_failures=5, shard=(k, 3))}
            for k in range(3)
        ]
        counts = [repo.count_active(conn, max_failures=5, shard=(k, 3)) for k in range(3)]
    assert set().union(*shares) == ids and sum(len(share) for share in shares) == len(ids)
    assert counts == [len(share) for share in shares] and all(shares)


def test_two_sender_processes_send_each_digest_exactly_once(dsettings, dstore, engine, sink) -> None:
    subs = _subscribers(dstore, 9)
    progress: list[tuple[int, int]] = []
    report = send_all(dstore, dsettings, engine, senders=2, period=DAY, on_progress=lambda *p: progress.append(p))
    assert (report.sent, report.failed, report.skipped) == (9, 0, 0)
    assert sorted(sink.per_address().values()) == [1] * 9
    assert progress[-1] == (9, 9)
    with dstore.read() as conn:
        rows = [repo.deliveries_of(conn, s["id"]) for s in subs]
    assert all(len(r) == 1 and r[0]["status"] == "sent" for r in rows)
    assert len({r[0]["claimed_by"].split(":")[1] for r in rows}) == 2  # two processes held the claims
    again = send_all(dstore, dsettings, engine, senders=2, period=DAY)
    assert (again.sent, again.done_before) == (0, 9) and sink.count() == 9


def test_senders_that_cannot_reach_the_server_fail_the_run(dsettings, dstore, engine, sink) -> None:
    subs = _subscribers(dstore, 4)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = dsettings.model_copy(update={"smtp_port": probe.getsockname()[1], "digest_retries": 0})
    with pytest.raises(MailUnavailable, match="could not be reached"):
        send_all(dstore, closed, engine, senders=2, period=DAY)
    with dstore.read() as conn:
        statuses = [row["status"] for s in subs for row in repo.deliveries_of(conn, s["id"])]
    assert statuses and set(statuses) == {"failed"} and sink.count() == 0
    assert send_all(dstore, dsettings, engine, senders=2, period=DAY).sent == 4  # the next run sends them
