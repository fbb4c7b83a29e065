"""JSON Lines sources: the arXiv metadata snapshot (Kaggle) and Paperwire's plain paper format."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date

from paperwire.errors import InvalidInput
from paperwire.papers.record import (
    PaperRecord,
    ParsedItem,
    RecordError,
    VersionInfo,
    clean_text,
    parse_arxiv_id,
    split_authors,
    split_categories,
)
from paperwire.sources.dates import parse_date, parse_datetime

SNAPSHOT_KEYS = frozenset({"authors_parsed", "versions", "update_date"})


def looks_like_snapshot(obj: dict) -> bool:
    """True for a record in the Kaggle arXiv snapshot's shape."""
    return bool(SNAPSHOT_KEYS & obj.keys())


def iter_jsonl(lines: Iterable[str], name: str, kind: str) -> Iterator[ParsedItem | RecordError]:
    """Parse JSON Lines of `kind` ("snapshot" or "jsonl"); a bad line becomes a RecordError."""
    parse = parse_snapshot_record if kind == "snapshot" else parse_plain_record
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RecordError(name, number, f"bad JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(obj, dict):
            yield RecordError(name, number, "line is not a JSON object")
            continue
        try:
            yield ParsedItem(parse(obj), name, number)
        except InvalidInput as exc:
            yield RecordError(name, number, exc.message)


def _text_field(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{key}: expected a string, got {type(value).__name__}")
    return clean_text(value) or None


def _require(obj: dict, key: str) -> str:
    value = _text_field(obj, key)
    if not value:
        raise InvalidInput(f"missing {key}")
    return value


def parse_snapshot_record(obj: dict) -> PaperRecord:
    """Map one Kaggle snapshot record (id, authors_parsed, versions, ...) to a PaperRecord."""
    arxiv_id, _ = parse_arxiv_id(_require(obj, "id"))
    versions = _snapshot_versions(obj.get("versions"))
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        authors = tuple(
            " ".join(part.strip() for part in (p[1], p[0], *p[2:]) if isinstance(part, str) and part.strip())
            for p in parsed
            if isinstance(p, list) and p
        )
    else:
        authors = split_authors(obj.get("authors"))
    first = versions[0].created if versions else None
    last = versions[-1].created if versions else None
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=_require(obj, "title"),
        abstract=_text_field(obj, "abstract") or "",
        authors=authors,
        categories=split_categories(obj.get("categories")),
        version=versions[-1].version if versions else None,
        published=first.date() if first else None,
        updated=last.date() if last else parse_date(obj.get("update_date"), "update_date"),
        doi=_text_field(obj, "doi"),
        journal_ref=_text_field(obj, "journal-ref"),
        comments=_text_field(obj, "comments"),
        license=_text_field(obj, "license"),
        submitter=_text_field(obj, "submitter"),
        versions=versions,
    )


def _snapshot_versions(raw: object) -> tuple[VersionInfo, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidInput("versions: expected a list")
    out = []
    for entry in raw:
        label = entry.get("version", "") if isinstance(entry, dict) else ""
        if not (isinstance(label, str) and label[:1] == "v" and label[1:].isdigit()):
            raise InvalidInput(f"versions: bad version label {label!r}")
        out.append(VersionInfo(int(label[1:]), parse_datetime(entry.get("created"), f"versions.{label}")))
    return tuple(sorted(out, key=lambda v: v.version))


def parse_plain_record(obj: dict) -> PaperRecord:
    """Map a plain record {"id","title","abstract", authors?, categories?, published?} to a PaperRecord.

    Also reads the raw daily-listing rows (`summary` for the abstract, `comment`, `pdf`).
    """
    arxiv_id, version = parse_arxiv_id(_require(obj, "id"))
    title = _require(obj, "title")
    abstract = _text_field(obj, "abstract") if "abstract" in obj else _text_field(obj, "summary")
    if abstract is None:
        raise InvalidInput("missing abstract")
    published = _plain_date(obj.get("published"))
    return PaperRecord(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        authors=split_authors(obj.get("authors")),
        categories=split_categories(obj.get("categories")),
        version=version,
        published=published,
        updated=_plain_date(obj.get("updated")),
        doi=_text_field(obj, "doi"),
        journal_ref=_text_field(obj, "journal_ref"),
        comments=_text_field(obj, "comments") or _text_field(obj, "comment"),
        license=_text_field(obj, "license"),
        pdf_url=_text_field(obj, "pdf_url"),
        code_url=_text_field(obj, "code_url"),
        project_url=_text_field(obj, "project_url"),
    )


def _plain_date(raw: object) -> date | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) != 10:
        raise InvalidInput(f"published: expected YYYY-MM-DD, got {raw!r}")
    return parse_date(raw, "published")
