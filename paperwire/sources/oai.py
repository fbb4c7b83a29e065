"""Parse arXiv OAI-PMH ListRecords responses (formats `arXiv` and `arXivRaw`) into PaperRecords."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO

from paperwire.errors import InvalidInput, SourceUnavailable
from paperwire.papers.record import (
    PaperRecord,
    ParsedItem,
    RecordError,
    VersionInfo,
    clean_text,
    parse_arxiv_id,
    parse_version_label,
    shown,
    split_authors,
    split_categories,
)
from paperwire.sources.arxiv_atom import iter_elements
from paperwire.sources.dates import parse_date, parse_datetime

_OAI = "{http://www.openarchives.org/OAI/2.0/}"
_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
_ARXIV = "{http://arxiv.org/OAI/arXiv/}"
_RECORD = _OAI + "record"
_TOKEN = _OAI + "resumptionToken"
_ERROR = _OAI + "error"
_WANTED = frozenset({_RECORD, _TOKEN, _ERROR})
_NO_RECORDS = "noRecordsMatch"


@dataclass
class OaiPage:
    """One OAI-PMH answer: its records, where to resume, and the newest datestamp (next `from`)."""

    items: list[ParsedItem | RecordError] = field(default_factory=list)
    resumption_token: str | None = None
    complete_list_size: int | None = None
    error_code: str | None = None
    last_datestamp: str | None = None


def parse_oai(data: bytes, name: str) -> OaiPage:
    """Parse one ListRecords response; `noRecordsMatch` is an empty page, other OAI errors raise."""
    page = OaiPage()
    page.items = list(_walk(io.BytesIO(data), name, page))
    return page


def iter_oai(stream: BinaryIO, name: str) -> Iterator[ParsedItem | RecordError]:
    """Stream the records of a saved ListRecords response from disk, in constant memory."""
    yield from _walk(stream, name, OaiPage())


def _walk(stream: BinaryIO, name: str, page: OaiPage) -> Iterator[ParsedItem | RecordError]:
    for element, line in iter_elements(stream, name, _WANTED):
        if element.tag == _RECORD:
            stamp = (element.findtext(f"{_OAI}header/{_OAI}datestamp") or "").strip()
            if stamp and (page.last_datestamp is None or stamp > page.last_datestamp):
                page.last_datestamp = stamp
            item = _record(element, name, line)
            if item is not None:
                yield item
        elif element.tag == _TOKEN:
            page.resumption_token = (element.text or "").strip() or None
            size = (element.get("completeListSize") or "").strip()
            page.complete_list_size = int(size) if size.isascii() and size.isdigit() and len(size) < 19 else None
        else:
            code = element.get("code", "")
            if code != _NO_RECORDS:
                text = clean_text(element.text)
                raise SourceUnavailable(f"OAI-PMH error {code[:40]}: {text[:200]}")
            page.error_code = code


def _record(record: ET.Element, name: str, line: int) -> ParsedItem | RecordError | None:
    header = record.find(_OAI + "header")
    if header is not None and header.get("status") == "deleted":
        return None
    identifier = (record.findtext(f"{_OAI}header/{_OAI}identifier") or "").strip()
    metadata = record.find(_OAI + "metadata")
    body = metadata[0] if metadata is not None and len(metadata) else None
    if body is None:
        reason = f"record {identifier or '?'} has no metadata"
        return RecordError(file=name, line=line, reason=reason)
    try:
        if body.tag == _RAW + "arXivRaw":
            paper = _raw_paper(body, identifier)
        elif body.tag == _ARXIV + "arXiv":
            paper = _arxiv_paper(body, identifier)
        else:
            raise InvalidInput(f"unsupported metadata format {shown(body.tag)}")
    except InvalidInput as exc:
        return RecordError(file=name, line=line, reason=f"record {identifier[:80] or '?'}: {exc.message}")
    return ParsedItem(paper=paper, file=name, line=line)


def _raw_paper(body: ET.Element, identifier: str) -> PaperRecord:
    arxiv_id, title = _identity(body, _RAW, identifier)
    found = (_raw_version(element) for element in body.iter(_RAW + "version"))
    versions = sorted(found, key=lambda pair: pair[0])
    version_info = tuple(VersionInfo(number, created) for number, created in versions)
    first = version_info[0].created if version_info else None
    last = version_info[-1].created if version_info else None
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        abstract=clean_text(body.findtext(_RAW + "abstract")),
        authors=split_authors(body.findtext(_RAW + "authors") or ""),
        categories=_categories(body.findtext(_RAW + "categories")),
        version=version_info[-1].version if version_info else None,
        published=first.date() if first else None,
        updated=last.date() if last else None,
        doi=_optional(body.findtext(_RAW + "doi")),
        journal_ref=_optional(body.findtext(_RAW + "journal-ref")),
        comments=_optional(body.findtext(_RAW + "comments")),
        license=_optional(body.findtext(_RAW + "license")),
        submitter=_optional(body.findtext(_RAW + "submitter")),
        versions=version_info,
    )


def _arxiv_paper(body: ET.Element, identifier: str) -> PaperRecord:
    arxiv_id, title = _identity(body, _ARXIV, identifier)
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        abstract=clean_text(body.findtext(_ARXIV + "abstract")),
        authors=tuple(filter(None, (_full_name(a) for a in body.iter(_ARXIV + "author")))),
        categories=_categories(body.findtext(_ARXIV + "categories")),
        published=_day(body, "created"),
        updated=_day(body, "updated"),
        doi=_optional(body.findtext(_ARXIV + "doi")),
        journal_ref=_optional(body.findtext(_ARXIV + "journal-ref")),
        comments=_optional(body.findtext(_ARXIV + "comments")),
        license=_optional(body.findtext(_ARXIV + "license")),
    )


def _identity(body: ET.Element, ns: str, identifier: str) -> tuple[str, str]:
    raw_id = (body.findtext(ns + "id") or identifier).strip()
    try:
        arxiv_id, _ = parse_arxiv_id(raw_id)
    except InvalidInput:
        raise InvalidInput(f"id {shown(raw_id)} is not an arXiv id") from None
    title = clean_text(body.findtext(ns + "title"))
    if not title:
        raise InvalidInput("no title")
    return arxiv_id, title


def _raw_version(element: ET.Element) -> tuple[int, datetime | None]:
    number = parse_version_label((element.get("version") or "").strip(), "version")
    text = (element.findtext(_RAW + "date") or "").strip()
    return number, parse_datetime(text, f"date of v{number}")


def _day(body: ET.Element, tag: str) -> date | None:
    return parse_date((body.findtext(_ARXIV + tag) or "").strip(), f"<{tag}>")


def _full_name(author: ET.Element) -> str:
    parts = (author.findtext(_ARXIV + tag) for tag in ("forenames", "keyname", "suffix"))
    return " ".join(clean_text(part) for part in parts if clean_text(part))


def _categories(text: str | None) -> tuple[str, ...]:
    return split_categories(text or "")


def _optional(text: str | None) -> str | None:
    return clean_text(text) or None
