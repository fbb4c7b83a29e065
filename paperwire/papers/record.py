"""The common shape every source format is parsed into, before it reaches the store."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from paperwire.errors import InvalidInput

# New-style ids (0704.0001, 2503.11731) and old-style ones (hep-th/9901001, math.GT/0309136).
_NEW_ID = re.compile(r"^(\d{4}\.\d{4,5})(?:v(\d+))?$")
_OLD_ID = re.compile(r"^([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(\d+))?$")
_ID_IN_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(.+?)(?:\.pdf)?/?$", re.I
)


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Split an arXiv id, `arXiv:` id or arxiv.org URL into (id without version, version or None).

    Raises InvalidInput for anything that is not an arXiv identifier.
    """
    raw = (text or "").strip()
    match = _ID_IN_URL.match(raw)
    if match:
        raw = match.group(1)
    if raw.lower().startswith("arxiv:"):
        raw = raw[6:]
    if raw.startswith("oai:arXiv.org:"):
        raw = raw[len("oai:arXiv.org:"):]
    for pattern in (_NEW_ID, _OLD_ID):
        found = pattern.match(raw)
        if found:
            version = int(found.group(2)) if found.group(2) else None
            return found.group(1), version
    raise InvalidInput(f"not an arXiv id: {text!r} (expected e.g. 2503.11731 or hep-th/9901001)")


def clean_text(text: str | None) -> str:
    """Join arXiv's hard-wrapped lines into single spaces and trim; paragraphs are kept."""
    if not text:
        return ""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


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
    """A record that could not be parsed: reported with its place and skipped."""

    file: str
    line: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "reason": self.reason}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class SourceInfo:
    """What a parse needs to know about its input: a display name and the source label."""

    name: str
    source: str = field(default="file")


_CATEGORY = re.compile(r"^[a-z][a-z\-]*(?:\.[A-Za-z][A-Za-z\-]*)?$")


def is_arxiv_category(text: str) -> bool:
    """Whether text looks like an arXiv category: cs.CL, hep-th, math.AG, cond-mat.mes-hall."""
    return len(text) <= 64 and bool(_CATEGORY.match(text))


def split_categories(raw: object) -> tuple[str, ...]:
    """Categories from a list or a space-separated string, primary first, without duplicates.

    ACM and MSC class codes that scrapers mix in (I.2.7, 68T50) are dropped.
    """
    items = raw.split() if isinstance(raw, str) else list(raw or [])
    seen: dict[str, None] = {}
    for item in items:
        if isinstance(item, str) and _CATEGORY.match(item.strip()):
            seen.setdefault(item.strip(), None)
    return tuple(seen)


def split_authors(raw: object) -> tuple[str, ...]:
    """Author names from a list, or from arXiv's one-string form "A, B, and C".

    TeX accents are kept as written; parenthesised affiliations are dropped.
    """
    if isinstance(raw, (list, tuple)):
        names = [p.get("name", "") if isinstance(p, dict) else p for p in raw]
        return tuple(" ".join(n.split()) for n in names if isinstance(n, str) and n.strip())
    if not isinstance(raw, str):
        return ()
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
