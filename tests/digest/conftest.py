"""Digest fixtures: a controllable SMTP sink (refusals, temporary failures, freezing), a store with real papers."""

from __future__ import annotations

import asyncio
import email
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email import policy
from typing import Any

import pytest

from paperwire.config import Settings
from paperwire.feed.lists import Period, build_list
from paperwire.papers.load import ingest_paths
from paperwire.search.engine import SearchEngine
from paperwire.search.indexer import import_vectors
from paperwire.store import Store
from paperwire.store import papers as papers_repo
from tests.conftest import FIXTURES, start_smtp

PAPERS = FIXTURES / "papers-300.jsonl"  # 300 papers first published 2025-03-18 (cs.CV mostly)
HF_DAY = FIXTURES / "hf-archive-2026-02-03.json"  # the Hugging Face list of 2026-02-03, with upvotes
VECTORS = FIXTURES / "papers-300.vectors.npz"
DAY = "daily:2025-03-18"


class Sink:
    """A real SMTP server (aiosmtpd) that keeps what it accepts and can misbehave on purpose.

    refuse: address -> permanent code at RCPT (e.g. 550); refuse_sender: a code for every MAIL FROM; flaky: address -> number of 451 replies to DATA
    before accepting; freeze_after: once that many messages are stored, every further DATA is held
    (never stored) until `release()`, then refused with 451, so a sender killed meanwhile cannot have
    had a 250 for the message it was sending.
    """

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.raw: list[bytes] = []  # each stored message as it came over the wire
        self.refuse: dict[str, int] = {}
        self.flaky: dict[str, int] = {}
        self.freeze_after: int | None = None
        self.refuse_sender: int | None = None
        self.held = 0
        self._thaw = threading.Event()
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_MAIL(self, server, session, envelope, address, options):
                if sink.refuse_sender:
                    return f"{sink.refuse_sender} 5.7.1 <{address}>: sender not allowed"
                envelope.mail_from = address
                return "250 OK"

            async def handle_RCPT(self, server, session, envelope, address, options):
                code = sink.refuse.get(address.lower())
                if code:
                    return f"{code} 5.1.1 <{address}>: no such mailbox"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                to = envelope.rcpt_tos[0].lower()
                with sink.lock:
                    if sink.flaky.get(to, 0) > 0:
                        sink.flaky[to] -= 1
                        return "451 4.3.0 try again later"
                    frozen = sink.freeze_after is not None and len(sink.messages) >= sink.freeze_after
                    if frozen:
                        sink.held += 1
                if frozen:
                    while not sink._thaw.is_set():
                        await asyncio.sleep(0.02)
                    return "451 4.3.2 frozen by the test"
                message = email.message_from_bytes(envelope.content, policy=policy.default)
                with sink.lock:
                    sink.messages.append(message)
                    sink.raw.append(envelope.original_content or envelope.content)
                return "250 OK"

        self.controller = start_smtp(Handler())
        self.port = self.controller.port

    def to(self, address: str) -> list[Any]:
        with self.lock:
            return [m for m in self.messages if str(m["To"]).lower() == address.lower()]

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def per_address(self) -> Counter[str]:
        with self.lock:
            return Counter(str(m["To"]).lower() for m in self.messages)

    def release(self) -> None:
        self._thaw.set()

    def stop(self) -> None:
        self.release()
        self.controller.stop()


@pytest.fixture
def sink() -> Iterator[Sink]:
    server = Sink()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dsettings(settings: Settings, sink: Sink) -> Settings:
    """The test's database, mailing through the sink, without pacing and with fast retries."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": sink.port,
            "site_url": "http://testserver",
            "digest_rate": 0.0,
            "digest_retry_backoff": 0.01,
            "digest_topic_mode": "keyword",
            "secret_key": "digest-test-secret",
            "mail_from": "Paperwire <digest@paperwire.test>",
        }
    )


@pytest.fixture
def dstore(dsettings: Settings) -> Iterator[Store]:
    store = Store.open(dsettings)
    ingest_paths(store, [PAPERS, HF_DAY])
    list_the_arxiv_day(store, dsettings)
    yield store
    store.close()


def list_the_arxiv_day(store: Store, settings: Settings) -> None:
    """Put every followed paper of 2025-03-18 on that day's Daily papers (0 upvotes), as if the community had
    picked them all: a digest's trending section draws on Daily papers only, and these tests need one."""
    day = date(2025, 3, 18)
    new = build_list(store, settings, Period.day(day), sort="newest", source="arxiv").items
    now = datetime.now(UTC)
    rows = [
        {"list_date": day, "paper_id": item.id, "source": "huggingface", "submitter": None, "submitted_by": None}
        | {"source_upvotes": 0, "created_at": now}
        for item in new
    ]
    with store.write() as conn:
        papers_repo.insert_listings(conn, rows)


@pytest.fixture
def engine(dsettings: Settings, dstore: Store, default_embedder: Any) -> SearchEngine:
    import_vectors(dstore, VECTORS, default_embedder.name)
    search = SearchEngine(dsettings, dstore, embedder=default_embedder)
    search.sync()
    return search
