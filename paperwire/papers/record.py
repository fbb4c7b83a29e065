"""The common shape every source format is parsed into, before it reaches the store.

Also the one gate every parsed record passes before it is written (`check_item`): the limits on
what one record may bring, text that is valid Unicode, dates arXiv could have, links that are web links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from paperwire.errors import InvalidInput

# What one record may bring. arXiv itself caps abstracts at 1,920 characters; the largest
# collaborations sign about 5,000 names. A record beyond any limit is skipped and reported.
MAX_TITLE_CHARS = 1_000
MAX_ABSTRACT_CHARS = 20_000
MAX_AUTHORS = 10_000
MAX_AUTHOR_NAME_CHARS = 500
MAX_COMMENTS_CHARS = 5_000
MAX_SHORT_TEXT_CHARS = 1_000  # doi, journal_ref, license, submitter
MAX_URL_CHARS = 2_000  # a longer link is dropped, the paper kept
MAX_CATEGORIES = 50
MAX_VERSION = 1_000
MAX_UPVOTES = 10_000_000  # the most upvoted papers have a few thousand; far below 32-bit integer columns
MAX_RECORD_BYTES = 16 * 1024 * 1024  # one JSON line; longer ones are skipped without being read whole
MAX_ID_CHARS = 64  # the papers.id column
EARLIEST_DATE = date(1991, 1, 1)  # arXiv opened in August 1991
LATEST_DATE_AHEAD = timedelta(days=366)  # dates more than a year from now are impossible
LINK_SCHEMES = frozenset({"http", "https"})

# Undecodable bytes: sources that decode a whole stream map each bad byte b to one character,
# U+DC00+b (Python's surrogateescape) or U+10FF00+b (where the text must be encoded again, for
# expat), so the record holding it can be rejected by `text_problem` with the byte named.
BAD_BYTE_MARK = 0x10FF00
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\U0010ff80-\U0010ffff]")

# New-style ids (0704.0001, 2503.11731) and old-style ones (hep-th/9901001, math.GT/0309136).
_NEW_ID = re.compile(r"^(\d{4}\.\d{4,5})(?:v(\d+))?$", re.ASCII)
_OLD_ID = re.compile(r"^([a-z][a-z\-]{0,31}(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?$", re.ASCII)
_ID_IN_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(.+?)(?:\.pdf)?/?$", re.IGNORECASE | re.ASCII
)
_VERSION_LABEL = re.compile(r"v(\d+)", re.ASCII)


def shown(value: object, limit: int = 60) -> str:
    """A value as it may appear in a message: its repr, cut to `limit` characters."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**18:
        return "a number of more than 18 digits"
    text = repr(value) if not isinstance(value, str) or len(value) <= limit else repr(value[:limit])
    return text if len(text) <= limit + 2 else text[:limit] + "..."


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Split an arXiv id, `arXiv:` id or arxiv.org URL into (id without version, version or None).

    Raises InvalidInput for anything that is not an arXiv identifier.
    """
    raw = (text or "").strip() if isinstance(text, str) else ""
    match = _ID_IN_URL.match(raw)
    if match:
        raw = match.group(1)
    if raw.lower().startswith("arxiv:"):
        raw = raw[6:]
    raw = raw.removeprefix("oai:arXiv.org:")
    for pattern in (_NEW_ID, _OLD_ID):
        found = pattern.match(raw)
        if found:
            version = check_version(found.group(2), "version") if found.group(2) else None
            return found.group(1), version
    raise InvalidInput(f"not an arXiv id: {shown(text)} (expected e.g. 2503.11731 or hep-th/9901001)")


def check_version(digits: str, field: str) -> int:
    """A version number from its ASCII digits, within 1..MAX_VERSION."""
    number = int(digits) if len(digits) <= 9 else MAX_VERSION + 1
    if not 1 <= number <= MAX_VERSION:
        cut = digits if len(digits) <= 12 else digits[:12] + "..."
        raise InvalidInput(f"{field}: version v{cut} is outside v1..v{MAX_VERSION}")
    return number


def parse_version_label(label: object, field: str) -> int:
    """The number of a version label such as "v2"."""
    found = _VERSION_LABEL.fullmatch(label) if isinstance(label, str) else None
    if found is None:
        raise InvalidInput(f"{field}: bad version label {shown(label)}")
    return check_version(found.group(1), field)


def clean_text(text: str | None) -> str:
    """Join arXiv's hard-wrapped lines into single spaces and trim; paragraphs are kept."""
    if not text:
        return ""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def text_field(obj: dict, key: str, label: str | None = None) -> str | None:
    """obj[key] as cleaned text; None when absent or empty; InvalidInput naming `label` (or key) when not a string."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{label or key}: expected a string, got {type(value).__name__}")
    return clean_text(value) or None


def text_problem(text: str) -> str | None:
    """What makes `text` unfit to store (undecodable bytes, a NUL, a control character), or None."""
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xDC80 <= code <= 0xDCFF or code >= BAD_BYTE_MARK:
        return f"invalid UTF-8 (byte 0x{code & 0xFF:02X})"
    if 0xD800 <= code <= 0xDFFF:
        return f"unpaired surrogate U+{code:04X}"
    if code == 0:
        return "holds a NUL character"
    return f"holds the control character U+{code:04X}"


def check_date(day: date, field: str) -> date:
    """`day` if arXiv could have it: from EARLIEST_DATE to a year from now."""
    latest = datetime.now(UTC).date() + LATEST_DATE_AHEAD
    if not EARLIEST_DATE <= day <= latest:
        raise InvalidInput(
            f"{field}: {day.isoformat()} is outside {EARLIEST_DATE.isoformat()} .. {latest.isoformat()}", field=field
        )
    return day


def safe_link(url: str | None) -> str | None:
    """`url` if it is an absolute http(s) link of sane length, else None: nothing else is ever linked."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if not text or len(text) > MAX_URL_CHARS or any(c.isspace() or not c.isprintable() for c in text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not host:
        return None
    return text


@dataclass(frozen=True)
class VersionInfo:
    """One version of a paper as a source reported it."""

    version: int
    created: datetime | None = None


@dataclass(frozen=True)
class PaperRecord:
    """One paper's metadata as read from one source. Fields a source lacks stay None/empty.

    `arxiv_id` never carries a version; `version` is the latest version the source knew of.
    `categories` has the primary category first.
    """

    arxiv_id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    version: int | None = None
    published: date | None = None
    updated: date | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    license: str | None = None
    submitter: str | None = None
    pdf_url: str | None = None
    code_url: str | None = None
    project_url: str | None = None
    versions: tuple[VersionInfo, ...] = ()


@dataclass(frozen=True)
class ListingEntry:
    """A paper's place in a daily list (Hugging Face daily papers, a submission, a listing)."""

    list_date: date
    arxiv_id: str
    source: str
    submitter: str | None = None
    upvotes: int = 0


@dataclass(frozen=True)
class ParsedItem:
    """A successfully parsed record and where it came from (`line` is 1-based; 0 if unknown)."""

    paper: PaperRecord
    file: str
    line: int
    listing: ListingEntry | None = None


@dataclass(frozen=True)
class RecordError:
    """A record that could not be parsed: reported with its place and skipped (`line` 0: the file as a whole)."""

    file: str
    line: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?$", re.ASCII)


def is_arxiv_category(text: str) -> bool:
    """Whether text looks like an arXiv category: cs.CL, hep-th, math.AG, cond-mat.mes-hall."""
    return len(text) <= 64 and bool(_CATEGORY.match(text))


def check_category(text: str, field: str = "category") -> str:
    """`text`, stripped, if it is an arXiv category (cs.CL, hep-th, math.AG); else InvalidInput naming `field`.

    The one category check of options, form fields, query terms, API parameters and fetches.
    """
    category = text.strip()
    if not is_arxiv_category(category):
        raise InvalidInput(
            f"{field}: {shown(category, 40)} is not an arXiv category (e.g. cs.CL, hep-th, math.AG)", field=field
        )
    return category


def split_categories(raw: object, field: str = "categories") -> tuple[str, ...]:
    """Categories from a list or a space-separated string, primary first, without duplicates.

    ACM and MSC class codes that scrapers mix in (I.2.7, 68T50) are dropped; a value of
    another type is an InvalidInput naming `field`.
    """
    if raw is None:
        return ()
    if isinstance(raw, str):
        items = raw.split()
    elif isinstance(raw, (list, tuple)):
        items = list(raw)
    else:
        raise InvalidInput(f"{field}: expected a list or a space-separated string, got {type(raw).__name__}")
    seen: dict[str, None] = {}
    for item in items:
        if not isinstance(item, str):
            raise InvalidInput(f"{field}: expected strings, got {type(item).__name__} {shown(item)}")
        if is_arxiv_category(item.strip()):
            seen.setdefault(item.strip(), None)
    return tuple(seen)


def split_authors(raw: object, field: str = "authors") -> tuple[str, ...]:
    """Author names from a list (of names or {"name": ...}), or from arXiv's one-string form "A, B, and C".

    TeX accents are kept as written; parenthesised affiliations are dropped. A value of another
    type is an InvalidInput naming `field`.
    """
    if raw is None:
        return ()
    if isinstance(raw, (list, tuple)):
        names = []
        for position, entry in enumerate(raw):
            name = entry.get("name") if isinstance(entry, dict) else entry
            if not isinstance(name, str):
                raise InvalidInput(f"{field}[{position}]: expected a name, got {type(name).__name__}")
            if name.strip():
                names.append(" ".join(name.split()))
        return tuple(names)
    if not isinstance(raw, str):
        raise InvalidInput(f"{field}: expected a list or a string, got {type(raw).__name__}")
    chunks: list[str] = []
    current: list[str] = []
    depth = 0
    for char in " ".join(raw.split()):
        if char in "({":
            depth += 1
        elif char in ")}":
            depth = max(depth - 1, 0)
        if char == "," and depth == 0:
            chunks.append("".join(current))
            current = []
        else:
            current.append(char)
    chunks.append("".join(current))
    return tuple(part for chunk in chunks for part in _split_and(_drop_parentheses(chunk)) if part)


def _split_and(text: str) -> list[str]:
    words = text.split()
    parts: list[list[str]] = [[]]
    for word in words:
        if word == "and":
            parts.append([])
        else:
            parts[-1].append(word)
    return [" ".join(part) for part in parts]


def _drop_parentheses(text: str) -> str:
    kept: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return " ".join("".join(kept).split())


# The gate: every parsed record passes it before it is written.

_TEXT_LIMITS = {
    "title": MAX_TITLE_CHARS,
    "abstract": MAX_ABSTRACT_CHARS,
    "comments": MAX_COMMENTS_CHARS,
    "doi": MAX_SHORT_TEXT_CHARS,
    "journal_ref": MAX_SHORT_TEXT_CHARS,
    "license": MAX_SHORT_TEXT_CHARS,
    "submitter": MAX_SHORT_TEXT_CHARS,
}
_LINKS = ("pdf_url", "code_url", "project_url")


def check_item(item: ParsedItem) -> ParsedItem | RecordError:
    """The item as it may be stored, or a RecordError at its place saying which field breaks which rule.

    Links other than http(s) are dropped, not refused: the paper is still worth having.
    """
    try:
        paper = check_record(item.paper)
        listing = check_listing(item.listing) if item.listing is not None else None
    except InvalidInput as exc:
        return RecordError(item.file, item.line, exc.message)
    if paper is item.paper and listing is item.listing:
        return item
    return replace(item, paper=paper, listing=listing)


def check_record(record: PaperRecord) -> PaperRecord:
    """`record` within every limit (InvalidInput otherwise), its links reduced to http(s) ones."""
    _check_text(record.arxiv_id, "id", MAX_ID_CHARS)
    if not record.title:
        raise InvalidInput("missing title")
    for name, limit in _TEXT_LIMITS.items():
        value = getattr(record, name)
        if value is not None:
            _check_text(value, name, limit)
    if len(record.authors) > MAX_AUTHORS:
        raise InvalidInput(f"authors: {len(record.authors)} names, more than the limit of {MAX_AUTHORS}")
    if record.authors and not _fine_names(record.authors):
        for position, name in enumerate(record.authors):
            _check_text(name, f"author {position + 1}", MAX_AUTHOR_NAME_CHARS)
    if len(record.categories) > MAX_CATEGORIES:
        raise InvalidInput(f"categories: {len(record.categories)}, more than the limit of {MAX_CATEGORIES}")
    for category in record.categories:
        if not isinstance(category, str) or not is_arxiv_category(category):
            raise InvalidInput(f"categories: {shown(category)} is not an arXiv category")
    if record.version is not None:
        _check_number(record.version, "version", 1, MAX_VERSION)
    for name in ("published", "updated"):
        value = getattr(record, name)
        if value is not None:
            check_date(value, name)
    for info in record.versions:
        _check_number(info.version, "versions", 1, MAX_VERSION)
        if info.created is not None:
            check_date(info.created.date(), f"versions.v{info.version}")
    links: dict[str, Any] = {name: safe_link(getattr(record, name)) for name in _LINKS}
    if all(links[name] == getattr(record, name) for name in _LINKS):
        return record
    return replace(record, **links)


def check_listing(entry: ListingEntry) -> ListingEntry:
    """`entry` if its date, upvotes and submitter are within the limits; InvalidInput otherwise."""
    check_date(entry.list_date, "list date")
    _check_number(entry.upvotes, "upvotes", 0, MAX_UPVOTES)
    if entry.submitter is not None:
        _check_text(entry.submitter, "submitter", MAX_SHORT_TEXT_CHARS)
    return entry


def _fine_names(names: tuple[str, ...]) -> bool:
    """Whether every name passes `_check_text`, tested at once (papers with thousands of authors)."""
    if not all(isinstance(name, str) for name in names):
        return False
    return len(max(names, key=len)) <= MAX_AUTHOR_NAME_CHARS and text_problem("\n".join(names)) is None


def _check_text(value: object, field: str, limit: int) -> None:
    if not isinstance(value, str):
        raise InvalidInput(f"{field}: expected text, got {type(value).__name__}")
    if len(value) > limit:
        raise InvalidInput(f"{field}: {len(value)} characters, more than the limit of {limit}")
    problem = text_problem(value)
    if problem:
        raise InvalidInput(f"{field}: {problem}")


def _check_number(value: object, field: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field}: expected a whole number, got {shown(value)}")
    if not low <= value <= high:
        raise InvalidInput(f"{field}: {shown(value)} is outside {low}..{high}")
