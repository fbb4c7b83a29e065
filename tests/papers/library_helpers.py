"""Shared by the library tests: papers to match against, and an application whose arXiv API is a replay server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from paperwire.application import Paperwire
from paperwire.config import Settings
from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import PaperRecord, ParsedItem
from paperwire.store import Store
from paperwire.store.accounts import set_paper_hidden
from tests.sources.replay import ReplayServer, Reply

API = "/api/query"
ARXIV_FIXTURES = Path(__file__).parents[1] / "sources" / "fixtures"
FETCHABLE = ("2502.09876", "2503.12044")  # what arxiv_api_page2.xml holds
PAPERS = (
    PaperRecord("1706.03762", "Attention Is All You Need", "Transformers.", ("Ashish Vaswani",), ("cs.CL",)),
    PaperRecord(
        "1810.04805",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "Masked language models.",
        ("Jacob Devlin",),
        ("cs.CL",),
        doi="10.18653/v1/N19-1423",
    ),
    PaperRecord("hep-th/9901001", "An Old String Theory Paper", "Strings.", ("A. Physicist",), ("hep-th",)),
    PaperRecord("2001.00001", r"Learning \emph{Über} $\alpha$-Models Quickly", "Greek.", ("B. Author",), ("cs.LG",)),
    PaperRecord("2001.00002", "A Twin Title For Testing", "One.", ("C. Author",), ("cs.LG",)),
    PaperRecord("2001.00003", "A twin title, for testing!", "Two.", ("D. Author",), ("cs.LG",)),
    PaperRecord("2001.00004", "A Hidden Paper On Something", "Hidden.", ("E. Author",), ("cs.LG",)),
    PaperRecord("2001.00005", "Same Title As Another Id", "A namesake.", ("F. Author",), ("cs.LG",)),
)


def seed_papers(store: Store) -> None:
    """PAPERS in the store, 2001.00004 hidden by moderators."""
    report = ingest_items(store, [ParsedItem(p, "seed", n) for n, p in enumerate(PAPERS, 1)], source="test")
    assert not report.errors
    with store.write() as conn:
        set_paper_hidden(conn, "2001.00004", True, datetime.now(UTC))


def arxiv_reply() -> Reply:
    """The arXiv API's answer naming FETCHABLE."""
    body = (ARXIV_FIXTURES / "arxiv_api_page2.xml").read_bytes()
    return Reply(200, body, {"Content-Type": "application/atom+xml; charset=utf-8"})


@contextmanager
def replay_app(settings: Settings, store: Store) -> Iterator[tuple[Paperwire, ReplayServer]]:
    """The application on `store`, its remote sources pointing at a started replay server (fast, few retries)."""
    server = ReplayServer().start()
    try:
        fast = settings.model_copy(
            update={
                "arxiv_api_url": f"{server.url}{API}",
                "request_interval": 0.01,
                "http_timeout": 2.0,
                "http_retries": 1,
                "zotero_api_url": server.url,
            }
        )
        yield Paperwire(fast, store=store), server
    finally:
        server.stop()
