"""Helpers shared by the list, paper, feed and API tests: add a paper (with a daily-list entry), read ids from pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import ListingEntry, PaperRecord, ParsedItem
from paperwire.store import Store
from paperwire.store import accounts as accounts_repo

HF_DAY = "2026-02-03"
TOP = "2602.00919"  # 280 upvotes, first on the HF day
SECOND = "2602.02276"  # 233 upvotes
SCRIPT_TITLE = "<script>alert(1)</script>"


def add_paper(
    store: Store,
    pid: str,
    title: str,
    *,
    day: date | None = None,
    upvotes: int = 0,
    categories: tuple[str, ...] = ("cs.CL",),
    authors: tuple[str, ...] = ("Ada Lovelace",),
    abstract: str = "An abstract.",
    published: date | None = None,
) -> None:
    """Ingest one paper, listed on `day` when given."""
    record = PaperRecord(pid, title, abstract, authors, categories, version=1, published=published)
    listing = ListingEntry(day, pid, "huggingface", upvotes=upvotes) if day else None
    report = ingest_items(store, [ParsedItem(record, "test", 1, listing=listing)], source="test")
    assert not report.errors, report.errors


def hide(store: Store, pid: str) -> None:
    with store.write() as conn:
        assert accounts_repo.set_paper_hidden(conn, pid, True, datetime.now(UTC))


def listed_ids(html: str) -> list[str]:
    """Paper ids of the list items of a page, in order."""
    return re.findall(r'<h2 class="paper-title"><a href="/papers/([^"]+)">', html)


def counts(html: str) -> dict[str, int]:
    """Upvote count shown in each vote form, by paper id."""
    found = re.findall(r'action="/papers/([^"]+)/vote".*?<span data-count[^>]*>(\d+)</span>', html, re.S)
    return {pid: int(n) for pid, n in found}
