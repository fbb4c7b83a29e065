"""JSON Lines sources: the arXiv metadata snapshot (Kaggle) and Paperwire's plain paper format."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date

from paperwire.errors import InvalidInput
from paperwire.papers.record import (
    MAX_RECORD_BYTES,
    PaperRecord,
    ParsedItem,
    RecordError,
    VersionInfo,
    parse_arxiv_id,
    parse_version_label,
    shown,
    split_authors,
    split_categories,
    text_field,
)
from paperwire.sources.dates import parse_date, parse_datetime

SNAPSHOT_KEYS = frozenset({"authors_parsed", "versions", "update_date"})


class LineTooLong:
    """Stands in for a line longer than MAX_RECORD_BYTES, which is skipped unread."""

    def __init__(self, length: int) -> None:
        self.length = length


def looks_like_snapshot(obj: dict) -> bool:
    """True for a record in the Kaggle arXiv snapshot's shape."""
    return bool(SNAPSHOT_KEYS & obj.keys())


def iter_jsonl(lines: Iterable[str | bytes | LineTooLong], name: str, kind: str) -> Iterator[ParsedItem | RecordError]:
    """Parse JSON Lines of `kind` ("snapshot" or "jsonl"); a bad line becomes a RecordError.

    Lines given as bytes must be UTF-8: a line that is not is refused with the byte named.
    """
    parse = parse_snapshot_record if kind == "snapshot" else parse_plain_record
    for number, line in enumerate(lines, start=1):
        if isinstance(line, LineTooLong):
            yield RecordError(name, number, f"line of {line.length} bytes, longer than the limit of {MAX_RECORD_BYTES}")
            continue
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                byte = exc.object[exc.start]
                yield RecordError(name, number, f"invalid UTF-8 (byte 0x{byte:02X} at column {exc.start + 1})")
                continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RecordError(name, number, f"bad JSON: {exc.msg} at column {exc.colno}")
            continue
        except (ValueError, RecursionError) as exc:  # a number of thousands of digits; nesting too deep
            yield RecordError(name, number, f"bad JSON: {type(exc).__name__}: {shown(str(exc), 80)}")
            continue
        if not isinstance(obj, dict):
            yield RecordError(name, number, "line is not a JSON object")
            continue
        try:
            yield ParsedItem(parse(obj), name, number)
        except InvalidInput as exc:
            yield RecordError(name, number, exc.message)


def _require(obj: dict, key: str) -> str:
    value = text_field(obj, key)
    if not value:
        raise InvalidInput(f"missing {key}")
    return value


def parse_snapshot_record(obj: dict) -> PaperRecord:
    """Map one Kaggle snapshot record (id, authors_parsed, versions, ...) to a PaperRecord."""
    arxiv_id, _ = parse_arxiv_id(_require(obj, "id"))
    versions = _snapshot_versions(obj.get("versions"))
    parsed = obj.get("authors_parsed")
    authors = _parsed_authors(parsed) if parsed else split_authors(obj.get("authors"))
    first = versions[0].created if versions else None
    last = versions[-1].created if versions else None
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=_require(obj, "title"),
        abstract=text_field(obj, "abstract") or "",
        authors=authors,
        categories=split_categories(obj.get("categories")),
        version=versions[-1].version if versions else None,
        published=first.date() if first else None,
        updated=last.date() if last else parse_date(obj.get("update_date"), "update_date"),
        doi=text_field(obj, "doi"),
        journal_ref=text_field(obj, "journal-ref"),
        comments=text_field(obj, "comments"),
        license=text_field(obj, "license"),
        submitter=text_field(obj, "submitter"),
        versions=versions,
    )


def _parsed_authors(parsed: object) -> tuple[str, ...]:
    """Names from the snapshot's [[last, first, suffix], ...] as "first last suffix"."""
    if not isinstance(parsed, list):
        raise InvalidInput(f"authors_parsed: expected a list, got {type(parsed).__name__}")
    names = []
    for position, parts in enumerate(parsed):
        if not isinstance(parts, list) or not parts or not all(isinstance(part, str) for part in parts):
            raise InvalidInput(f"authors_parsed[{position}]: expected a list of strings, got {shown(parts)}")
        ordered = (parts[1], parts[0], *parts[2:]) if len(parts) > 1 else (parts[0],)
        name = " ".join(part.strip() for part in ordered if part.strip())
        if name:
            names.append(" ".join(name.split()))
    return tuple(names)


def _snapshot_versions(raw: object) -> tuple[VersionInfo, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidInput("versions: expected a list")
    out = []
    for entry in raw:
        label = entry.get("version", "") if isinstance(entry, dict) else ""
        number = parse_version_label(label, "versions")
        out.append(VersionInfo(number, parse_datetime(entry.get("created"), f"versions.v{number} date")))
    return tuple(sorted(out, key=lambda v: v.version))


def parse_plain_record(obj: dict) -> PaperRecord:
    """Map a plain record {"id","title","abstract", authors?, categories?, published?} to a PaperRecord.

    Also reads the raw daily-listing rows (`summary` for the abstract, `comment`, `pdf`).
    """
    arxiv_id, version = parse_arxiv_id(_require(obj, "id"))
    title = _require(obj, "title")
    abstract = text_field(obj, "abstract") if "abstract" in obj else text_field(obj, "summary")
    if abstract is None:
        raise InvalidInput("missing abstract")
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=split_authors(obj.get("authors")),
        categories=split_categories(obj.get("categories")),
        version=version,
        published=_plain_date(obj, "published"),
        updated=_plain_date(obj, "updated"),
        doi=text_field(obj, "doi"),
        journal_ref=text_field(obj, "journal_ref"),
        comments=text_field(obj, "comments") or text_field(obj, "comment"),
        license=text_field(obj, "license"),
        pdf_url=text_field(obj, "pdf_url"),
        code_url=text_field(obj, "code_url"),
        project_url=text_field(obj, "project_url"),
    )


def _plain_date(obj: dict, key: str) -> date | None:
    raw = obj.get(key)
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) != 10:
        raise InvalidInput(f"{key}: expected YYYY-MM-DD, got {shown(raw)}")
    return parse_date(raw, key)
