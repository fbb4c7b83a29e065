"""The digest sender: for every due subscription, claim, compose, send and record, exactly once per period.

Each (subscription, period) has one row in the delivery ledger, `digest_deliveries`, whose
UNIQUE(subscription_id, period) constraint lets exactly one sender claim it (an INSERT that only one
process, or one machine on PostgreSQL, can win). The claim is committed before composing; the digest
is then sent over one reused SMTP connection, and `status=sent` with its Message-ID and the papers it
held is committed in one transaction. A claim older than `digest_claim_lease` seconds belongs to a
sender that died; one conditional UPDATE lets exactly one later sender take it over. A sender starting
on the host of a dead one (its process gone, as the token's host and pid tell) takes its claims over at
once, so a rerun right after a crash completes the period without waiting for the lease.

Exactly-once, and its one gap: a crash (or `kill -9`) at any moment leaves each digest either
recorded (never sent again), unclaimed (sent by the next run) or claimed and unsent (sent by the
next run on the same host, or by any run after the lease expires). The only way to get a digest twice is a crash after the mail
server accepted it (its 250 reply to DATA) and before the `sent` row committed: that window is one
SMTP round trip plus one commit, a few milliseconds per message, and no protocol can close it
(SMTP has no two-phase commit). Its network twin is the same gap seen from the server: a
connection that drops after the server stored a message but before its 250 reached us makes the
retry send it again (RFC 1047). A resent digest carries the same Message-ID, so many mailboxes
show it once. Everything else is exactly-once.

Temporary failures (4xx replies, dropped connections, an unreachable server) are retried with
exponential backoff on a fresh connection; permanent ones (5xx) are counted on the subscription, and
after `digest_max_permanent_failures` in a row no more digests go to that address. `digest_rate`
paces one sender process.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from tenacity import RetryCallState

from paperwire.config import Settings
from paperwire.digest.compose import Composer, Digest
from paperwire.digest.periods import LatestDays, due_period, frequency_of, period_key
from paperwire.digest.render import render_digest
from paperwire.digest.subscriptions import check_address, purge_expired
from paperwire.errors import NotFound
from paperwire.feed.lists import Period
from paperwire.mail import BadRecipient, Mailer, MailUnavailable
from paperwire.processes import dead_here
from paperwire.retrying import Pacer, retrying
from paperwire.search.engine import SearchEngine
from paperwire.store import Store
from paperwire.store import digests as repo

log = logging.getLogger("paperwire.digest")
PAGE = 200  # subscriptions read per query: memory stays flat in the number of subscribers
MAX_ERRORS = 20  # errors a report keeps word for word (the counts hold them all)
MAX_CLAIMS = 5  # runs that may try one digest (a failed one is tried again by the next run, up to this)


class DeliveryError(MailUnavailable):
    """The mail server did not take a digest; `code` is its SMTP reply code (None: connection trouble)."""

    def __init__(self, message: str, *, code: int | None = None, ours: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.ours = ours  # the server refused our sender address: no subscriber's fault, and no point going on

    @property
    def permanent(self) -> bool:
        return not self.ours and self.code is not None and 500 <= self.code < 600


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}".strip()
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


class DigestMailer(Mailer):
    """A Mailer whose failures keep the SMTP reply code, to tell temporary refusals from permanent ones."""

    def _deliver(self, smtp: smtplib.SMTP, message: EmailMessage) -> None:
        where = self._where()
        try:
            refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            reply = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
            raise DeliveryError(f"mail server {where} refused {message['To']}: {code} {reply}", code=code) from None
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryError(
                f"mail server {where} refused the sender {exc.sender}: {_reason(exc)}", code=exc.smtp_code, ours=True
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"mail server {where} refused the message: {_reason(exc)}", code=exc.smtp_code
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"mail server {where} did not take the message: {_reason(exc)}") from None
        if refused:
            code, _ = next(iter(refused.values()))
            raise DeliveryError(f"mail server {where} refused {', '.join(refused)}", code=code)


class _Outbox:
    """One SMTP connection, opened on first use, reopened after a temporary failure, paced at `rate` messages/s."""

    def __init__(self, mailer: Mailer, rate: float) -> None:
        self.mailer = mailer
        self.pacer = Pacer(1.0 / rate) if rate > 0 else None
        self._open = False

    def send(self, message: EmailMessage) -> str:
        if self.pacer is not None:
            self.pacer.wait_turn()
        try:
            if not self._open:
                self.mailer.__enter__()
                self._open = True
            return self.mailer.send(message)
        except DeliveryError as exc:
            if not exc.permanent:
                self.close()
            raise
        except MailUnavailable as exc:  # could not connect or log in
            self.close()
            raise DeliveryError(exc.message) from None

    def close(self) -> None:
        if self._open:
            self._open = False
            self.mailer.__exit__(None, None, None)


@dataclass
class SendReport:
    """What a sender run did, and where its time went."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    stopped: int = 0  # addresses that reached the permanent-failure limit in this run
    done_before: int = 0  # already sent or skipped, or being sent by another sender
    not_due: int = 0
    dry_run: bool = False
    compose_s: float = 0.0
    render_s: float = 0.0
    send_s: float = 0.0
    ledger_s: float = 0.0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        verb = "would send" if self.dry_run else "sent"
        text = f"{verb} {self.sent}, skipped {self.skipped}, failed {self.failed}"
        if self.done_before:
            text += f", {self.done_before} already done"
        if self.stopped:
            text += f"; {self.stopped} addresses stopped after repeated permanent failures"
        return text + f" in {self.seconds:.1f} s"

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}

    def add(self, other: SendReport) -> None:
        """Count another sender's run into this one (time spent is summed; `seconds` is left to the caller)."""
        for name, value in other.__dict__.items():
            if name in ("dry_run", "seconds"):
                continue
            if name == "errors":
                self.errors.extend(other.errors[: max(0, MAX_ERRORS - len(self.errors))])
            else:
                setattr(self, name, getattr(self, name) + value)


def _host() -> str:
    return socket.gethostname()[:60]


def sender_token() -> str:
    """Who holds a claim: host, process and a random part (two runs of one process differ)."""
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def release_dead_local(store: Store) -> list[int]:
    """End the claims of senders on this host whose process is gone (killed, crashed); the delivery ids released.

    Their digests are then claimed again by this run instead of waiting for `digest_claim_lease`.
    """
    host = _host()
    released = []
    with store.write() as conn:
        for delivery_id, holder in repo.claims_held_by(conn, f"{host}:"):
            if dead_here(holder, host) and repo.release_claim(
                conn, delivery_id, holder, f"sender {holder} died while holding the claim"
            ):
                released.append(delivery_id)
    for delivery_id in released:
        log.warning("digest delivery %s: its sender on this host is gone; taking it over", delivery_id)
    return released


def send_all(
    store: Store,
    settings: Settings,
    engine: SearchEngine,
    *,
    senders: int | None = None,
    now: datetime | None = None,
    period: Period | None = None,
    to: str | None = None,
    dry_run: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> SendReport:
    """Send every due digest once, in this process or in `senders` processes (default: `digest_senders`).

    One subscriber (`to`) is always sent from this process. What the CLI and the job worker call.
    """
    count = settings.digest_senders if senders is None else senders
    if count > 1 and to is None:
        from paperwire.digest.senders import send_parallel

        moment = now or datetime.now(UTC)
        if not dry_run:
            prepare_run(store, settings, moment)  # once, here, before the senders start
        return send_parallel(settings, count, now=moment, period=period, dry_run=dry_run, on_progress=on_progress)
    return send_due(store, settings, engine, now=now, period=period, to=to, dry_run=dry_run, on_progress=on_progress)


def prepare_run(store: Store, settings: Settings, now: datetime) -> None:
    """A run's housekeeping, once before its senders start: purge stale sign-ups, free dead senders' claims."""
    purge_expired(store, settings, now)
    release_dead_local(store)


def send_due(
    store: Store,
    settings: Settings,
    engine: SearchEngine,
    *,
    now: datetime | None = None,
    period: Period | None = None,
    to: str | None = None,
    dry_run: bool = False,
    mailer: Mailer | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    shard: tuple[int, int] | None = None,
) -> SendReport:
    """Send every due digest once: all active subscribers, or only `to`; `period` forces one (for its frequency).

    `dry_run` composes and renders without claiming, sending or recording. `shard` (k, n) takes only the
    subscriptions whose id is k modulo n: one of n sender processes (paperwire.digest.senders), whose
    parent has done the run's housekeeping. Raises MailUnavailable (after recording the digest in hand
    as failed) when the mail server cannot be reached at all.
    """
    started = time.perf_counter()
    moment = now or datetime.now(UTC)
    report = SendReport(dry_run=dry_run)
    address = check_address(to) if to else None
    limit = settings.digest_max_permanent_failures
    with store.read() as conn:
        total = repo.count_active(conn, max_failures=limit, email=address, shard=shard)
    if address and not total:
        raise NotFound(f"no active subscription for {address} (unconfirmed, unsubscribed or stopped after bounces)")
    if not dry_run and shard is None:
        prepare_run(store, settings, moment)
    run = _Run(
        store,
        settings,
        Composer(store, settings, engine, now=moment, ahead=True),
        moment,
        period,
        report,
        _Outbox(mailer or DigestMailer(settings), settings.digest_rate),
    )
    done, after = 0, 0
    try:
        while True:
            with store.read() as conn:
                page = repo.active_page(
                    conn, after_id=after, limit=PAGE, max_failures=limit, email=address, shard=shard
                )
            if not page:
                break
            after = page[-1]["id"]
            run.page(page)
            for subscription in page:
                run.one(subscription)
                done += 1
                if on_progress:
                    on_progress(done, total)
    finally:
        run.composer.close()
        run.outbox.close()
        report.seconds = time.perf_counter() - started
    return report


class _Run:
    """One sender run's state: its claim token, caches and report."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        composer: Composer,
        now: datetime,
        forced: Period | None,
        report: SendReport,
        outbox: _Outbox,
    ) -> None:
        self.store, self.settings, self.composer, self.now = store, settings, composer, now
        self.forced, self.report, self.outbox = forced, report, outbox
        self.token = sender_token()
        self.latest = LatestDays(store, settings)
        self.periods: dict[int, Period | None] = {}
        self.ledger: dict[tuple[int, str], dict[str, Any]] = {}

    def period_of(self, subscription: dict[str, Any]) -> Period | None:
        if self.forced is not None:
            return self.forced if frequency_of(self.forced) == subscription["frequency"] else None
        return due_period(subscription, self.now, self.latest)

    def page(self, page: list[dict[str, Any]]) -> None:
        """Look up the periods of a page of subscriptions and their ledger rows in one query."""
        self.periods = {s["id"]: self.period_of(s) for s in page}
        pairs = [(sid, period_key(p)) for sid, p in self.periods.items() if p is not None]
        with self.store.read() as conn:
            self.ledger = repo.ledger_rows(conn, pairs)
        done = {key for key, row in self.ledger.items() if row["status"] in ("sent", "skipped")}
        self.composer.prepare(
            (s, p) for s in page if (p := self.periods[s["id"]]) is not None and (s["id"], period_key(p)) not in done
        )

    def one(self, subscription: dict[str, Any]) -> None:
        period = self.periods.get(subscription["id"])
        if period is None:
            self.report.not_due += 1
            return
        row = self.ledger.get((subscription["id"], period_key(period)))
        if row is not None and row["status"] in ("sent", "skipped"):
            self.report.done_before += 1
            return
        if self.report.dry_run:
            self._dry(subscription, period)
            return
        clock = time.perf_counter()
        settings = self.settings
        with self.store.write() as conn:
            moment = datetime.now(UTC)
            delivery = repo.claim(
                conn,
                subscription["id"],
                period_key(period),
                self.token,
                moment,
                stale_before=moment - timedelta(seconds=settings.digest_claim_lease),
                max_attempts=MAX_CLAIMS,
            )
        self.report.ledger_s += time.perf_counter() - clock
        if delivery is None:
            self.report.done_before += 1
            return
        try:
            digest = self._compose(subscription, period)
        except Exception as exc:
            log.exception("digest: composing for subscription %s failed", subscription["id"])
            self._failed(delivery, subscription, f"composing failed: {exc}", permanent=False)
            return
        if digest.skipped_reason:
            with self.store.write() as conn:
                repo.mark_skipped(conn, delivery, self.token, digest.skipped_reason, datetime.now(UTC))
            self.report.skipped += 1
            return
        self._deliver(delivery, digest)

    def _compose(self, subscription: dict[str, Any], period: Period) -> Digest:
        clock = time.perf_counter()
        try:
            return self.composer.compose(subscription, period)
        finally:
            self.report.compose_s += time.perf_counter() - clock

    def _dry(self, subscription: dict[str, Any], period: Period) -> None:
        digest = self._compose(subscription, period)
        if digest.skipped_reason:
            self.report.skipped += 1
            return
        try:
            render_digest(self.settings, self.store, digest, now=self.now)
        except BadRecipient as exc:
            self.report.failed += 1
            self._note(subscription, exc.message)
            return
        self.report.sent += 1

    def _deliver(self, delivery: int, digest: Digest) -> None:
        clock = time.perf_counter()
        try:
            message = render_digest(self.settings, self.store, digest)
        except BadRecipient as exc:  # stored before addresses were validated: this subscriber only, for good
            log.warning("digest for subscription %s: %s", digest.subscription["id"], exc.message)
            self._failed(delivery, digest.subscription, exc.message, permanent=True)
            return
        finally:
            self.report.render_s += time.perf_counter() - clock
        clock = time.perf_counter()
        email = digest.subscription["email"]

        def note_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome is not None else None
            log.warning("digest to %s: %s; retrying", email, getattr(error, "message", error))

        policy = retrying(
            attempts=self.settings.digest_retries + 1,
            retry_if=lambda exc: isinstance(exc, DeliveryError) and not exc.permanent and not exc.ours,
            backoff_base=self.settings.digest_retry_backoff,
            jitter=0.0,  # digest_retry_backoff doubles exactly; the pacer already spreads the messages
            before_sleep=note_retry,
        )
        try:
            message_id = policy(self.outbox.send, message)
        except DeliveryError as exc:
            self.report.send_s += time.perf_counter() - clock
            self._failed(delivery, digest.subscription, exc.message, permanent=exc.permanent)
            if exc.ours or exc.code is None:
                raise  # unreachable, or refusing our sender address: stop here, the next run carries on
            return
        self.report.send_s += time.perf_counter() - clock
        clock = time.perf_counter()
        with self.store.write() as conn:
            recorded = repo.mark_sent(
                conn,
                delivery,
                self.token,
                subscription_id=digest.subscription["id"],
                message_id=message_id,
                paper_ids=digest.paper_ids,
                now=datetime.now(UTC),
            )
        self.report.ledger_s += time.perf_counter() - clock
        if not recorded:
            log.error(
                "digest %s for subscription %s: claim lost while sending (lease too short?)",
                digest.key,
                digest.subscription["id"],
            )
        self.report.sent += 1

    def _failed(self, delivery: int, subscription: dict[str, Any], error: str, *, permanent: bool) -> None:
        with self.store.write() as conn:
            count = repo.mark_failed(
                conn, delivery, self.token, error, subscription_id=subscription["id"], permanent=permanent
            )
        self.report.failed += 1
        self._note(subscription, error)
        if permanent and count >= self.settings.digest_max_permanent_failures:
            self.report.stopped += 1
            log.warning("digest: no more digests to %s after %d permanent failures", subscription["email"], count)

    def _note(self, subscription: dict[str, Any], error: str) -> None:
        if len(self.report.errors) < MAX_ERRORS:
            self.report.errors.append(f"{subscription['email']}: {error}")
