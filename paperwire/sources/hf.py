"""Hugging Face daily papers: the `/api/daily_papers` items and the two scraped archive shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from paperwire.errors import InvalidInput, MalformedDocument
from paperwire.papers.record import (
    ListingEntry,
    PaperRecord,
    ParsedItem,
    RecordError,
    clean_text,
    parse_arxiv_id,
    shown,
    split_authors,
    text_field,
    text_problem,
)
from paperwire.sources.dates import parse_date

SOURCE = "huggingface"


def decode_document(data: bytes, name: str) -> object:
    """Decode one JSON document; bytes that are not UTF-8 stay marked, so only the item holding them is refused.

    Raises MalformedDocument (with its line when known) for anything that is not JSON.
    """
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedDocument(f"{name}: bad JSON document: {exc.msg}", line=exc.lineno) from None
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits; nesting too deep
        raise MalformedDocument(f"{name}: bad JSON document: {type(exc).__name__}: {shown(str(exc), 80)}") from None


def parse_hf_daily(obj: object, name: str) -> Iterator[ParsedItem | RecordError]:
    """Parse decoded Hugging Face daily-papers JSON in any of its known shapes.

    Shapes: the API's list of items; an archive day `{"date", "papers": [...]}` (hf_bot);
    an object keyed by arXiv id (PaperExplorer). Each good paper carries its daily-list entry.
    Every field read is checked for its type: a wrong one makes that item a RecordError.
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
    bad = _bad_text(item)
    if bad:
        return RecordError(name, index, bad)
    try:
        return parse(item, name, index, *extra)
    except InvalidInput as exc:
        return RecordError(name, index, exc.message)


def _bad_text(item: dict) -> str | None:
    """The first string anywhere in the item (keys included) that is not valid text, as `path: problem`."""
    stack: list[tuple[str, object]] = [("", item)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem and "control character" not in problem:
                return f"{path or 'item'}: {problem}"
        elif isinstance(value, dict):
            for key, child in value.items():
                problem = text_problem(key)
                if problem and "control character" not in problem:
                    return f"{path or 'item'} key: {problem}"
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(value, list):
            stack.extend((f"{path}[{n}]", child) for n, child in enumerate(value))
    return None


def _required_title(obj: dict, key: str = "title", label: str | None = None) -> str:
    title = text_field(obj, key, label)
    if not title:
        raise InvalidInput("missing title")
    return title


def _id(obj: dict, *keys: str, fallback: str | None = None) -> tuple[str, int | None]:
    for key in keys:
        value = obj.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise InvalidInput(f"{key}: expected an arXiv id, got {type(value).__name__}")
        return parse_arxiv_id(value)
    return parse_arxiv_id(fallback or "")


def _parse_api_item(item: dict, name: str, index: int) -> ParsedItem:
    paper = item.get("paper")
    if not isinstance(paper, dict):
        raise InvalidInput("item has no 'paper' object")
    arxiv_id, version = _id(paper, "id")
    published = parse_date(paper.get("publishedAt"), "paper.publishedAt")
    list_day = parse_date(item.get("publishedAt"), "publishedAt") or published
    if list_day is None:
        raise InvalidInput("no listing date (publishedAt)")
    submitter = item.get("submittedBy") or paper.get("submittedOnDailyBy")
    if isinstance(submitter, dict):
        submitter = submitter.get("user") or submitter.get("name") or submitter.get("fullname")
    if submitter is not None and not isinstance(submitter, str):
        raise InvalidInput(f"submittedBy: expected a name, got {type(submitter).__name__}")
    title = text_field(paper, "title", "paper.title") or _required_title(item)
    record = PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=title,
        abstract=text_field(paper, "summary", "paper.summary") or "",
        authors=_names(paper, "authors"),
        published=published,
        code_url=text_field(paper, "githubRepo", "paper.githubRepo"),
        project_url=text_field(paper, "projectPage", "paper.projectPage"),
    )
    listing = ListingEntry(
        list_date=list_day,
        arxiv_id=arxiv_id,
        source=SOURCE,
        submitter=submitter or None,
        upvotes=_upvotes(paper.get("upvotes"), "paper.upvotes"),
    )
    return ParsedItem(record, name, index, listing)


def _parse_archive_item(item: dict, name: str, index: int, list_day: object) -> ParsedItem:
    arxiv_id, version = _id(item, "paper_id", "id")
    day = parse_date(item.get("date") or list_day, "date")
    if day is None:
        raise InvalidInput("no listing date")
    abstract = _raw_text(item, "abstract")
    summary = _raw_text(item, "summary_en")
    if summary and abstract.startswith(summary):
        # The scraper glued HF's one-line AI summary in front of the real abstract.
        abstract = abstract[len(summary) :]
    record = PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=_required_title(item),
        abstract=clean_text(abstract),
        authors=_names(item, "authors"),
        code_url=text_field(item, "github_url"),
    )
    listing = ListingEntry(day, arxiv_id, SOURCE, upvotes=_upvotes(item.get("upvotes")))
    return ParsedItem(record, name, index, listing)


def _parse_keyed_item(item: dict, name: str, index: int, key: str) -> ParsedItem:
    arxiv_id, version = _id(item, "url", fallback=key)
    published = parse_date(item.get("publication_date"), "publication_date")
    if published is None:
        raise InvalidInput("no publication_date")
    record = PaperRecord(
        arxiv_id=arxiv_id,
        version=version,
        title=_required_title(item),
        abstract=text_field(item, "abstract") or "",
        authors=_names(item, "authors"),
        published=published,
    )
    listing = ListingEntry(published, arxiv_id, SOURCE, upvotes=_upvotes(item.get("upvotes")))
    return ParsedItem(record, name, index, listing)


def _raw_text(obj: dict, key: str) -> str:
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"{key}: expected a string, got {type(value).__name__}")
    return value


def _names(obj: dict, key: str) -> tuple[str, ...]:
    """A list of names (or {"name": ...}); these sources never give one string of names."""
    if isinstance(obj.get(key), str):
        raise InvalidInput(f"{key}: expected a list of names, got a string")
    return split_authors(obj.get(key), key)


def _upvotes(raw: object, key: str = "upvotes") -> int:
    if raw is None:
        return 0
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise InvalidInput(f"{key}: expected a non-negative whole number, got {shown(raw)}")
    return raw
