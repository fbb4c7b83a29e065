"""Parse arXiv API responses (Atom 1.0 with OpenSearch and arXiv extensions) into PaperRecords."""

from __future__ import annotations

import codecs
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO
from xml.parsers import expat

from paperwire.errors import InvalidInput, MalformedDocument
from paperwire.papers.record import (
    BAD_BYTE_MARK,
    PaperRecord,
    ParsedItem,
    RecordError,
    VersionInfo,
    clean_text,
    parse_arxiv_id,
    split_categories,
)
from paperwire.sources.dates import parse_datetime

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
_ENTRY = _ATOM + "entry"
_PAGING = {
    _OPENSEARCH + "totalResults": "total_results",
    _OPENSEARCH + "startIndex": "start_index",
    _OPENSEARCH + "itemsPerPage": "items_per_page",
}
_WANTED = frozenset({_ENTRY, *_PAGING})
_ERROR_ID = "http://arxiv.org/api/errors"
_CHUNK = 1 << 16
_DOI_PREFIXES = ("http://dx.doi.org/", "https://dx.doi.org/", "https://doi.org/", "http://doi.org/")
_UNDECODED = re.compile("[\udc80-\udcff]")
_MARKS = {0xDC00 + byte: BAD_BYTE_MARK + byte for byte in range(0x80, 0x100)}


@dataclass
class AtomPage:
    """One page of an arXiv API answer: its entries and the OpenSearch paging figures."""

    items: list[ParsedItem | RecordError] = field(default_factory=list)
    total_results: int | None = None
    start_index: int | None = None
    items_per_page: int | None = None


def iter_elements(stream: BinaryIO, name: str, tags: Collection[str]) -> Iterator[tuple[ET.Element, int]]:
    """Yield each complete element whose `{ns}tag` is in `tags`, with its 1-based start line.

    Streams in chunks and drops yielded elements, so memory stays flat on large saved
    responses. Built on expat (what ElementTree.iterparse uses) because iterparse does not
    expose the line a start tag sits on. Raises MalformedDocument for XML that does not parse
    and for any DOCTYPE (arXiv sends none; entity tricks come in one). The input is read as
    UTF-8 whatever it declares; bytes that are not UTF-8 reach the text as marks
    (record.BAD_BYTE_MARK), so only the record holding them is refused.
    """
    parser = expat.ParserCreate(encoding="UTF-8", namespace_separator="}")
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    parser.buffer_text = True
    builder = ET.TreeBuilder()
    open_elements: list[tuple[ET.Element, int]] = []
    finished: list[tuple[ET.Element, int, ET.Element | None]] = []

    def qualified(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def on_start(tag: str, attrs: dict[str, str]) -> None:
        attrib = {qualified(key): value for key, value in attrs.items()}
        open_elements.append((builder.start(qualified(tag), attrib), parser.CurrentLineNumber))

    def on_end(tag: str) -> None:
        element = builder.end(qualified(tag))
        _, line = open_elements.pop()
        if element.tag in tags:
            parent = open_elements[-1][0] if open_elements else None
            finished.append((element, line, parent))

    def on_doctype(*_: object) -> None:
        line = parser.CurrentLineNumber
        raise MalformedDocument(f"{name}: a DOCTYPE at line {line} is not accepted", line=line)

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = on_doctype
    while True:
        chunk = stream.read(_CHUNK)
        text = decoder.decode(chunk, not chunk)
        if _UNDECODED.search(text):
            text = text.translate(_MARKS)
        try:
            parser.Parse(text.encode("utf-8"), not chunk)
        except expat.ExpatError as exc:
            reason = expat.ErrorString(exc.code)
            raise MalformedDocument(
                f"{name}: not well-formed XML ({reason}) at line {exc.lineno}, column {exc.offset}",
                line=exc.lineno,
            ) from None
        for element, line, parent in finished:
            yield element, line
            if parent is not None:
                parent.remove(element)
            element.clear()
        finished.clear()
        if not chunk:
            return


def parse_atom(data: bytes, name: str) -> AtomPage:
    """Parse one arXiv API response; bad XML or an API error feed raise MalformedDocument."""
    page = AtomPage()
    page.items = list(_walk(io.BytesIO(data), name, page))
    return page


def iter_atom(stream: BinaryIO, name: str) -> Iterator[ParsedItem | RecordError]:
    """Stream the entries of a saved arXiv API response from disk, in constant memory."""
    yield from _walk(stream, name, AtomPage())


def _walk(stream: BinaryIO, name: str, page: AtomPage) -> Iterator[ParsedItem | RecordError]:
    for element, line in iter_elements(stream, name, _WANTED):
        if element.tag == _ENTRY:
            yield _entry(element, name, line)
        else:
            setattr(page, _PAGING[element.tag], _int(element.text))


def _entry(entry: ET.Element, name: str, line: int) -> ParsedItem | RecordError:
    raw_id = (entry.findtext(_ATOM + "id") or "").strip()
    if not raw_id:
        return RecordError(file=name, line=line, reason="entry has no <id>")
    if raw_id.startswith(_ERROR_ID):
        summary = clean_text(entry.findtext(_ATOM + "summary")) or raw_id
        raise MalformedDocument(summary, line=line)
    try:
        arxiv_id, version = parse_arxiv_id(raw_id)
    except InvalidInput:
        return RecordError(file=name, line=line, reason=f"entry id {raw_id!r} is not an arXiv id")
    title = clean_text(entry.findtext(_ATOM + "title"))
    if not title:
        return RecordError(file=name, line=line, reason=f"entry {arxiv_id} has no title")
    try:
        published = _timestamp(entry, "published")
        updated = _timestamp(entry, "updated")
    except InvalidInput as exc:
        return RecordError(file=name, line=line, reason=f"entry {arxiv_id}: {exc.message}")
    paper = PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        abstract=clean_text(entry.findtext(_ATOM + "summary")),
        authors=_authors(entry),
        categories=_categories(entry),
        version=version,
        published=published.date() if published else None,
        updated=updated.date() if updated else None,
        doi=_optional(entry.findtext(_ARXIV + "doi")) or _doi_link(entry),
        journal_ref=_optional(entry.findtext(_ARXIV + "journal_ref")),
        comments=_optional(entry.findtext(_ARXIV + "comment")),
        pdf_url=_link(entry, "pdf"),
        versions=_versions(version, published, updated),
    )
    return ParsedItem(paper=paper, file=name, line=line)


def _timestamp(entry: ET.Element, tag: str) -> datetime | None:
    return parse_datetime((entry.findtext(_ATOM + tag) or "").strip(), f"<{tag}>")


def _versions(version: int | None, published: datetime | None, updated: datetime | None) -> tuple[VersionInfo, ...]:
    # The API's <published> is when v1 was submitted, <updated> when the returned version was.
    if version is None:
        return ()
    if version == 1:
        return (VersionInfo(1, published),)
    return (VersionInfo(1, published), VersionInfo(version, updated))


def _authors(entry: ET.Element) -> tuple[str, ...]:
    names = (clean_text(author.findtext(_ATOM + "name")) for author in entry.iter(_ATOM + "author"))
    return tuple(name for name in names if name)


def _categories(entry: ET.Element) -> tuple[str, ...]:
    terms: list[str] = []
    primary = entry.find(_ARXIV + "primary_category")
    if primary is not None:
        terms.append(primary.get("term", ""))
    terms.extend(category.get("term", "") for category in entry.iter(_ATOM + "category"))
    return split_categories(terms)


def _link(entry: ET.Element, title: str) -> str | None:
    for link in entry.iter(_ATOM + "link"):
        if link.get("title") == title and link.get("href"):
            return link.get("href")
    return None


def _doi_link(entry: ET.Element) -> str | None:
    href = _link(entry, "doi")
    if not href:
        return None
    for prefix in _DOI_PREFIXES:
        if href.startswith(prefix):
            return href[len(prefix) :]
    return href


def _optional(text: str | None) -> str | None:
    return clean_text(text) or None


def _int(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None
