"""The entries of an imported library and what every format shares: recognising arXiv ids and DOIs inside
fields (a URL, a note, "arXiv preprint arXiv:..."), folding titles for matching, telling the format apart."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Literal

from paperwire.errors import InvalidInput
from paperwire.papers.record import parse_arxiv_id

Format = Literal["bibtex", "ris", "csl-json", "ids"]
FORMATS: tuple[Format, ...] = ("bibtex", "ris", "csl-json", "ids")
MAX_ENTRIES = 20_000  # entries read from one file; the rest are reported, not read
LABEL_CHARS = 200  # an entry as shown in a report
_EXTENSIONS: dict[str, Format] = {
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".ris": "ris",
    ".json": "csl-json",
    ".csljson": "csl-json",
    ".txt": "ids",
}
# An arXiv id where it follows "arXiv:" or sits in an arxiv.org address; parse_arxiv_id checks what it finds.
_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf|html)/|\barxiv:\s*)([a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}|\d{4}\.\d{4,5})",
    re.IGNORECASE | re.ASCII,
)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_DOI_IN_TEXT = re.compile(r"\b(10\.\d{4,9}/\S+)", re.ASCII)
_NOT_ASCII_WORD = re.compile(r"[^0-9a-z]+")
_BIBTEX_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_RIS_START = re.compile(r"^TY  - ", re.MULTILINE)


@dataclass(frozen=True)
class Entry:
    """One reference: how to show it, and what can match it to a paper."""

    label: str
    title: str | None = None
    arxiv_ids: tuple[str, ...] = ()
    dois: tuple[str, ...] = ()


@dataclass(frozen=True)
class BadEntry:
    """A part of the file that could not be read as an entry, and why."""

    label: str
    reason: str


@dataclass
class ParsedFile:
    """What a file held: its format, the entries read and the parts that could not be read."""

    format: str  # a Format, or "zotero"
    entries: list[Entry] = field(default_factory=list)
    problems: list[BadEntry] = field(default_factory=list)


def label_of(*parts: str | None) -> str:
    """An entry's label from its parts (key, title, line), on one line and cut to LABEL_CHARS."""
    text = " ".join(" ".join(p.split()) for p in parts if p and p.strip())
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def normalise_title(title: str) -> str:
    """A title folded for matching: accents and case folded, LaTeX braces, commands and punctuation dropped,
    spaces collapsed ("{BERT}: Pre-training..." and "BERT - pre-training ..." are the same)."""
    text = _latex_text(title) if "\\" in title or "$" in title else title
    if text.isascii():  # most titles: the same folding, ten times faster than going character by character
        return " ".join(_NOT_ASCII_WORD.sub(" ", text.lower()).split())
    decomposed = unicodedata.normalize("NFKD", text)
    kept = (ch if unicodedata.category(ch)[0] in "LN" else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join("".join(kept).casefold().split())


def _latex_text(title: str) -> str:
    """A title's LaTeX as text (\\alpha as α, \\emph{x} as x), as bibtexparser decodes a .bib file's values."""
    from pylatexenc.latex2text import LatexNodes2Text

    try:
        return str(LatexNodes2Text(math_mode="text").latex_to_text(title))
    except Exception:  # pylatexenc gives up on some broken LaTeX; the title is then folded as written
        return title


def arxiv_ids_in(text: str | None) -> list[str]:
    """arXiv ids named in free text: after "arXiv:" or in an arxiv.org address (without version)."""
    found: list[str] = []
    for match in _ARXIV_IN_TEXT.finditer(text or ""):
        try:
            found.append(parse_arxiv_id(match.group(1))[0])
        except InvalidInput:
            continue
    return found


def split_doi(raw: str | None) -> tuple[list[str], list[str]]:
    """(arXiv ids, other DOIs) of a DOI field: arXiv's own DOIs (10.48550/arXiv.X) name an arXiv id."""
    ids: list[str] = []
    dois: list[str] = []
    for match in _DOI_IN_TEXT.finditer(raw or ""):
        doi = match.group(1).rstrip(".,;)}")
        arxiv = _ARXIV_DOI.match(doi)
        if arxiv:
            try:
                ids.append(parse_arxiv_id(arxiv.group(1))[0])
                continue
            except InvalidInput:
                pass
        dois.append(doi)
    return ids, dois


def bare_arxiv_id(value: str | None) -> str | None:
    """An id field's value as an arXiv id (2503.11731, arXiv:..., an arxiv.org URL), or None."""
    if not value:
        return None
    try:
        return parse_arxiv_id(value.strip())[0]
    except InvalidInput:
        return None


def make_entry(
    label: str, title: str | None, *, id_fields: Iterable[str | None], dois: Iterable[str | None], text: Iterable[str]
) -> Entry:
    """An entry from its fields: `id_fields` hold an id alone, `dois` DOIs, `text` free text that may name ids."""
    ids: list[str] = [i for i in (bare_arxiv_id(v) for v in id_fields) if i]
    found_dois: list[str] = []
    for raw in dois:
        from_doi, other = split_doi(raw)
        ids += from_doi
        found_dois += other
    for value in text:
        ids += arxiv_ids_in(value)
    clean_title = " ".join(title.split()) if title and title.strip() else None
    return Entry(label, clean_title, tuple(dict.fromkeys(ids)), tuple(dict.fromkeys(found_dois)))


def detect_format(text: str, filename: str | None = None) -> Format:
    """The format by the file's extension, else by its content."""
    if filename:
        by_name = _EXTENSIONS.get(PurePath(filename).suffix.lower())
        if by_name:
            return by_name
    start = text.lstrip()[:1]
    if start in ("[", "{"):
        return "csl-json"
    if _RIS_START.search(text):
        return "ris"
    if _BIBTEX_START.search(text):
        return "bibtex"
    return "ids"


def decode(data: bytes) -> str:
    """A file's text: UTF-8 (with or without a byte-order mark), else Windows-1252 as older tools wrote it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def json_text(value: Any) -> str | None:
    """A JSON value as text when it is a string or a number, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None
