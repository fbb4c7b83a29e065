"""Hugging Face daily papers: the `/api/daily_papers` items and the two scraped archive shapes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from paperwire.errors import InvalidInput
from paperwire.papers.record import (
    ListingEntry,
    PaperRecord,
    ParsedItem,
    RecordError,
    clean_text,
    parse_arxiv_id,
)
from paperwire.sources.dates import parse_date

SOURCE = "huggingface"


def parse_hf_daily(obj: object, name: str) -> Iterator[ParsedItem | RecordError]:
    """Parse decoded Hugging Face daily-papers JSON in any of its known shapes.

    Shapes: the API's list of items; an archive day `{"date", "papers": [...]}` (hf_bot);
    an object keyed by arXiv id (PaperExplorer). Each good paper carries its daily-list entry.
    """
    if isinstance(obj, list):
        for index, item in enumerate(obj, start=1):
            yield _guarded(_parse_api_item, item, name, index)
    elif isinstance(obj, dict) and isinstance(obj.get("papers"), list):
        list_day = obj.get("date")
        for index, item in enumerate(obj["papers"], start=1):
            yield _guarded(_parse_archive_item, item, name, index, list_day)
    elif isinstance(obj, dict):
        for index, (key, item) in enumerate(obj.items(), start=1):
            yield _guarded(_parse_keyed_item, item, name, index, key)
    else:
        yield RecordError(name, 1, "not a Hugging Face daily papers document (expected a list or an object)")


def _guarded(parse: Any, item: object, name: str, index: int, *extra: Any) -> ParsedItem | RecordError:
    """Run one item parser; a bad item becomes a RecordError at its position (item number as line)."""
    if not isinstance(item, dict):
        return RecordError(name, index, "item is not a JSON object")
    try:
        return parse(item, name, index, *extra)
    except InvalidInput as exc:
        return RecordError(name, index, exc.message)


def _required_title(raw: object) -> str:
    title = clean_text(raw if isinstance(raw, str) else None)
    if not title:
        raise InvalidInput("missing title")
    return title


def _author_names(raw: object) -> tuple[str, ...]:
    names = []
    for author in raw or []:
        if isinstance(author, dict):
            author = author.get("name")
        if isinstance(author, str) and author.strip():
            names.append(" ".join(author.split()))
    return tuple(names)


def _parse_api_item(item: dict, name: str, index: int) -> ParsedItem:
    paper = item.get("paper")
    if not isinstance(paper, dict):
        raise InvalidInput("item has no 'paper' object")
    arxiv_id, version = parse_arxiv_id(str(paper.get("id", "")))
    published = parse_date(paper.get("publishedAt"), "paper.publishedAt")
    list_day = parse_date(item.get("publishedAt"), "publishedAt") or published
    if list_day is None:
        raise InvalidInput("no listing date (publishedAt)")
    submitter = item.get("submittedBy") or paper.get("submittedOnDailyBy")
    if isinstance(submitter, dict):
        submitter = submitter.get("user") or submitter.get("name") or submitter.get("fullname")
    record = PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=_required_title(paper.get("title") or item.get("title")),
        abstract=clean_text(paper.get("summary")),
        authors=_author_names(paper.get("authors")),
        published=published,
        code_url=paper.get("githubRepo") or None,
        project_url=paper.get("projectPage") or None,
    )
    listing = ListingEntry(
        list_date=list_day,
        arxiv_id=arxiv_id,
        source=SOURCE,
        submitter=submitter if isinstance(submitter, str) else None,
        upvotes=_upvotes(paper.get("upvotes")),
    )
    return ParsedItem(record, name, index, listing)


def _parse_archive_item(item: dict, name: str, index: int, list_day: object) -> ParsedItem:
    arxiv_id, version = parse_arxiv_id(str(item.get("paper_id") or item.get("id") or ""))
    day = parse_date(item.get("date") or list_day, "date")
    if day is None:
        raise InvalidInput("no listing date")
    abstract = item.get("abstract") or ""
    summary = item.get("summary_en") or ""
    if summary and abstract.startswith(summary):
        # The scraper glued HF's one-line AI summary in front of the real abstract.
        abstract = abstract[len(summary):]
    record = PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=_required_title(item.get("title")),
        abstract=clean_text(abstract),
        authors=_author_names(item.get("authors")),
        code_url=item.get("github_url") or None,
    )
    listing = ListingEntry(day, arxiv_id, SOURCE, upvotes=_upvotes(item.get("upvotes")))
    return ParsedItem(record, name, index, listing)


def _parse_keyed_item(item: dict, name: str, index: int, key: str) -> ParsedItem:
    arxiv_id, version = parse_arxiv_id(str(item.get("url") or key))
    published = parse_date(item.get("publication_date"), "publication_date")
    if published is None:
        raise InvalidInput("no publication_date")
    record = PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=_required_title(item.get("title")),
        abstract=clean_text(item.get("abstract")),
        authors=_author_names(item.get("authors")),
        published=published,
    )
    listing = ListingEntry(published, arxiv_id, SOURCE, upvotes=_upvotes(item.get("upvotes")))
    return ParsedItem(record, name, index, listing)


def _upvotes(raw: object) -> int:
    if raw is None:
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise InvalidInput(f"upvotes must be a non-negative integer, got {raw!r}")
    return raw


def list_day_of(item: ParsedItem) -> date | None:
    """The daily-list date of a parsed item, if it has one."""
    return item.listing.list_date if item.listing else None
