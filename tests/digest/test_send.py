"""The sender and its ledger: idempotent reruns, skips, retries, permanent failures, pacing, dry runs, claims."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from paperwire.digest.send import send_due
from paperwire.digest.subscriptions import Preferences, add_subscriber, list_subscribers
from paperwire.errors import NotFound
from paperwire.feed.lists import Period
from paperwire.mail import MailUnavailable
from paperwire.store import digests as repo

DAY = Period.day(date(2025, 3, 18))
SUNDAY = Period.day(date(2025, 3, 16))


def _subscribers(store, count: int, prefix: str = "r") -> list[dict]:
    return [
        add_subscriber(store, f"{prefix}{i}@example.org", Preferences(top_n=2), confirmed=True) for i in range(count)
    ]


def _ledger(store, subscription_id: int) -> list[dict]:
    with store.read() as conn:
        return repo.deliveries_of(conn, subscription_id)


def test_rerun_after_success_sends_nothing(dsettings, dstore, engine, sink) -> None:
    subs = _subscribers(dstore, 5)
    first = send_due(dstore, dsettings, engine, period=DAY)
    assert (first.sent, first.skipped, first.failed) == (5, 0, 0)
    again = send_due(dstore, dsettings, engine, period=DAY)
    assert (again.sent, again.done_before) == (0, 5)
    assert sink.count() == 5
    [row] = _ledger(dstore, subs[0]["id"])
    assert row["status"] == "sent" and row["message_id"] == sink.to("r0@example.org")[0]["Message-ID"]
    with dstore.read() as conn:
        assert len(repo.delivered_ids(conn, subs[0]["id"])) == 2


def test_nothing_new_is_recorded_as_skipped(dsettings, dstore, engine, sink) -> None:
    sub = _subscribers(dstore, 1)[0]
    report = send_due(dstore, dsettings, engine, period=SUNDAY)
    assert (report.sent, report.skipped) == (0, 1) and sink.count() == 0
    [row] = _ledger(dstore, sub["id"])
    assert row["status"] == "skipped" and "weekend or holiday" in row["error"]
    assert send_due(dstore, dsettings, engine, period=SUNDAY).done_before == 1


def test_temporary_failures_are_retried(dsettings, dstore, engine, sink) -> None:
    sub = _subscribers(dstore, 1)[0]
    sink.flaky["r0@example.org"] = 2  # two 451 replies, then accepted
    report = send_due(dstore, dsettings, engine, period=DAY)
    assert (report.sent, report.failed) == (1, 0)
    assert len(sink.to("r0@example.org")) == 1
    sink.flaky["r0@example.org"] = 10  # more than the retries: failed now, tried again by the next run
    later = Period.day(date(2026, 2, 3))
    assert send_due(dstore, dsettings, engine, period=later).failed == 1
    assert _ledger(dstore, sub["id"])[0]["status"] == "failed"
    sink.flaky.clear()
    assert send_due(dstore, dsettings, engine, period=later).sent == 1
    row = _ledger(dstore, sub["id"])[0]
    assert row["status"] == "sent" and row["attempts"] == 2
    assert len(sink.to("r0@example.org")) == 2


def test_permanent_failures_stop_sending_to_an_address(dsettings, dstore, engine, sink) -> None:
    _subscribers(dstore, 2)
    sink.refuse["r1@example.org"] = 550
    days = [DAY, Period.day(date(2026, 2, 3)), Period.day(date(2026, 2, 4))]
    settings = dsettings.model_copy(update={"digest_max_permanent_failures": 2})
    first = send_due(dstore, settings, engine, period=days[0])
    assert (first.sent, first.failed, first.stopped) == (1, 1, 0)
    assert "550" in first.errors[0] and "r1@example.org" in first.errors[0]
    second = send_due(dstore, settings, engine, period=days[1])
    assert (second.failed, second.stopped) == (1, 1)
    third = send_due(dstore, settings, engine, period=days[2])
    assert third.failed == 0  # no longer tried
    rows = {row["email"]: row for row in list_subscribers(dstore)}
    assert rows["r1@example.org"]["permanent_failures"] == 2
    assert len(sink.to("r1@example.org")) == 0


def test_server_trouble_stops_the_run_without_blaming_subscribers(dsettings, dstore, engine, sink) -> None:
    subs = _subscribers(dstore, 3)
    sink.refuse_sender = 553
    with pytest.raises(MailUnavailable, match="refused the sender"):
        send_due(dstore, dsettings, engine, period=DAY)
    closed = dsettings.model_copy(update={"smtp_port": _closed_port(), "digest_retries": 1})
    with pytest.raises(MailUnavailable, match="could not be reached"):
        send_due(dstore, closed, engine, period=DAY)
    assert [len(_ledger(dstore, s["id"])) for s in subs] == [1, 0, 0]  # each run stopped at its first digest
    assert (
        _ledger(dstore, subs[0]["id"])[0]["attempts"] == 2 and _ledger(dstore, subs[0]["id"])[0]["status"] == "failed"
    )
    assert all(row["permanent_failures"] == 0 for row in list_subscribers(dstore))
    sink.refuse_sender = None
    assert send_due(dstore, dsettings, engine, period=DAY).sent == 3  # failed digests are tried again


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Addresses an older, looser check let into the store: no valid To header can hold them, or one would name another mailbox.
OLD_ADDRESSES = [
    "a[/x]b@example.org",
    "x,victim@example.org",
    "jörg@example.org",
    "victim@example.org(c)",
    "a(c)@example.org",
    "g:victim@example.org;",
    "ctl\x01@example.org",
]  # NUL: PostgreSQL holds none


def test_an_address_no_header_can_hold_fails_alone(dsettings, dstore, engine, sink, caplog) -> None:
    old = _subscribers(dstore, len(OLD_ADDRESSES), prefix="old")  # first in the run, then changed behind the validator
    with dstore.write() as conn:
        for sub, address in zip(old, OLD_ADDRESSES, strict=True):
            repo.update_subscription(conn, sub["id"], email=address)
    good = _subscribers(dstore, 3)
    with dstore.write() as conn:  # a Unicode domain can be delivered: in its IDNA form
        repo.update_subscription(conn, good[2]["id"], email="r2@exämple.org")
    assert send_due(dstore, dsettings, engine, period=DAY, dry_run=True).failed == len(OLD_ADDRESSES)
    report = send_due(dstore, dsettings, engine, period=DAY)
    assert (report.sent, report.failed) == (3, len(OLD_ADDRESSES))
    assert sorted(sink.per_address()) == ["r0@example.org", "r1@example.org", "r2@xn--exmple-cua.org"]  # not victim@
    for sub, address in zip(old, OLD_ADDRESSES, strict=True):
        [row] = _ledger(dstore, sub["id"])
        assert row["status"] == "failed" and "not a valid address" in row["error"], address
    assert all(_ledger(dstore, s["id"])[0]["status"] == "sent" for s in good)
    rows = {row["id"]: row for row in list_subscribers(dstore)}
    assert all(rows[s["id"]]["permanent_failures"] == 1 for s in old)
    assert "not a valid address" in caplog.text


def test_rate_limit_is_respected(dsettings, dstore, engine, sink) -> None:
    _subscribers(dstore, 6)
    settings = dsettings.model_copy(update={"digest_rate": 10.0})
    started = time.perf_counter()
    report = send_due(dstore, settings, engine, period=DAY)
    elapsed = time.perf_counter() - started
    assert report.sent == 6
    assert elapsed >= 0.5  # six messages at 10/s: five gaps of 0.1 s at least
    dates = [m["Date"] for m in sink.messages]
    assert len(dates) == 6


def test_dry_run_and_one_recipient(dsettings, dstore, engine, sink) -> None:
    subs = _subscribers(dstore, 3)
    dry = send_due(dstore, dsettings, engine, period=DAY, dry_run=True)
    assert (dry.sent, sink.count()) == (3, 0)
    assert all(not _ledger(dstore, s["id"]) for s in subs)
    one = send_due(dstore, dsettings, engine, period=DAY, to="R1@example.org")
    assert one.sent == 1 and [str(m["To"]) for m in sink.messages] == ["r1@example.org"]
    with pytest.raises(NotFound, match="no active subscription"):
        send_due(dstore, dsettings, engine, period=DAY, to="nobody@example.org")


def test_a_claim_is_held_by_one_sender_until_its_lease_expires(dsettings, dstore) -> None:
    sub = _subscribers(dstore, 1)[0]
    now = datetime.now(UTC)
    lease = timedelta(seconds=600)
    with dstore.write() as conn:
        first = repo.claim(conn, sub["id"], "daily:2025-03-18", "a", now, stale_before=now - lease, max_attempts=5)
    with dstore.write() as conn:
        assert (
            repo.claim(conn, sub["id"], "daily:2025-03-18", "b", now, stale_before=now - lease, max_attempts=5) is None
        )
    later = now + lease + timedelta(seconds=1)
    with dstore.write() as conn:
        taken = repo.claim(conn, sub["id"], "daily:2025-03-18", "b", later, stale_before=later - lease, max_attempts=5)
    assert taken == first
    with dstore.write() as conn:  # the first sender, back from the dead, can no longer record
        assert not repo.mark_sent(
            conn, first, "a", subscription_id=sub["id"], message_id="<m@x>", paper_ids=[], now=now
        )
        assert repo.mark_sent(conn, first, "b", subscription_id=sub["id"], message_id="<m@x>", paper_ids=[], now=now)


def test_only_claims_of_dead_senders_on_this_host_are_taken_over_at_once(dsettings, dstore, engine, sink) -> None:
    subs = _subscribers(dstore, 3)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname()[:60]
    holders = [f"{host}:{dead.pid}:gone", f"{host}:{os.getppid()}:alive", f"elsewhere:{dead.pid}:far"]
    now = datetime.now(UTC)
    for sub, holder in zip(subs, holders, strict=True):
        with dstore.write() as conn:
            repo.claim(conn, sub["id"], "daily:2025-03-18", holder, now, stale_before=now, max_attempts=5)
    report = send_due(dstore, dsettings, engine, period=DAY)
    assert (report.sent, report.done_before) == (1, 2)  # a live sender's claim, or another host's, waits for its lease
    assert [str(m["To"]) for m in sink.messages] == ["r0@example.org"]
    [row] = _ledger(dstore, subs[0]["id"])
    assert row["status"] == "sent" and row["attempts"] == 2
    assert [r["claimed_by"] for s in subs[1:] for r in _ledger(dstore, s["id"])] == holders[1:]


def test_due_periods_follow_each_subscribers_clock(dsettings, dstore, engine, sink) -> None:
    add_subscriber(
        dstore, "paris@example.org", Preferences(top_n=1, send_hour=8, timezone="Europe/Paris"), confirmed=True
    )
    add_subscriber(
        dstore, "tokyo@example.org", Preferences(top_n=1, send_hour=8, timezone="Asia/Tokyo"), confirmed=True
    )
    moment = datetime(2025, 3, 19, 3, 0, tzinfo=UTC)  # 04:00 in Paris (not yet), 12:00 in Tokyo (due)
    report = send_due(dstore, dsettings, engine, now=moment)
    assert [str(m["To"]) for m in sink.messages] == ["tokyo@example.org"]
    assert "Tuesday 18 March 2025" in sink.messages[0]["Subject"]
    assert report.done_before == 0
    later = send_due(dstore, dsettings, engine, now=moment + timedelta(hours=5))  # 09:00 in Paris
    assert later.sent == 1 and later.done_before == 1
