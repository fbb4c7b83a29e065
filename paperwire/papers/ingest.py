"""Ingest parsed records into the store: idempotent upserts, version history, batched commits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from paperwire import metrics
from paperwire.errors import InvalidInput, PaperwireError
from paperwire.papers.record import (
    ListingEntry,
    PaperRecord,
    ParsedItem,
    RecordError,
    check_item,
)
from paperwire.store import Store
from paperwire.store import papers as repo

MAX_REPORTED_ERRORS = 1000
# Sources that copy arXiv's metadata second-hand: they fill what is missing but never overwrite,
# so re-reading a mix of sources cannot flip a paper back and forth between their spellings.
SECOND_HAND_SOURCES = frozenset({"huggingface"})


@dataclass
class IngestReport:
    """What an ingest did, counted per input record."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[RecordError] = field(default_factory=list)
    new_ids: list[str] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.added + self.updated + self.unchanged + self.skipped

    def summary(self) -> str:
        return f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, skipped {self.skipped}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "errors": [error.as_dict() for error in self.errors],
        }


class StrictStop(InvalidInput):
    """Raised by a --strict ingest at its first bad record; `report` holds what was written before."""

    def __init__(self, error: RecordError, report: IngestReport) -> None:
        super().__init__(f"stopped at the first bad record (--strict): {error}")
        self.report = report


def content_hash(row: dict[str, Any]) -> str:
    """A stable fingerprint of a paper's metadata, so unchanged records cost no write."""
    canonical = {name: row.get(name) for name in repo.PAPER_FIELDS}
    text = json.dumps(canonical, default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def merge(current: dict[str, Any] | None, record: PaperRecord, *, fill_only: bool = False) -> dict[str, Any]:
    """The paper's metadata after reading `record` on top of what is stored.

    A record of an older version than stored changes nothing; otherwise fields the record has
    replace stored ones (only empty ones when `fill_only`) and fields it lacks are kept.
    `published` keeps the earliest date known.
    """
    incoming: dict[str, Any] = {
        "version": record.version,
        "title": record.title,
        "abstract": record.abstract,
        "authors": list(record.authors),
        "categories": list(record.categories),
        "published": record.published,
        "updated": record.updated,
        "doi": record.doi,
        "journal_ref": record.journal_ref,
        "comments": record.comments,
        "license": record.license,
        "submitter": record.submitter,
        "pdf_url": record.pdf_url,
        "code_url": record.code_url,
        "project_url": record.project_url,
    }
    if current is None:
        merged = incoming
    else:
        merged = {name: current.get(name) for name in repo.PAPER_FIELDS}
        stale = bool(record.version and current.get("version") and record.version < current["version"])
        if not stale:
            for name, value in incoming.items():
                if value not in (None, "", []) and not (fill_only and merged[name] not in (None, "", [])):
                    merged[name] = value
            if current.get("version") and (not record.version or record.version < current["version"]):
                merged["version"] = current["version"]
            merged["published"] = _earliest(current.get("published"), record.published)
            merged["updated"] = _latest(current.get("updated"), record.updated)
    merged["primary_category"] = merged["categories"][0] if merged["categories"] else None
    merged["content_hash"] = content_hash(merged)
    return merged


def _earliest(a: date | None, b: date | None) -> date | None:
    return min(a, b) if a and b else a or b


def _latest(a: date | None, b: date | None) -> date | None:
    return max(a, b) if a and b else a or b


def ingest_items(
    store: Store,
    items: Iterable[ParsedItem | RecordError],
    *,
    source: str,
    batch_size: int = 1000,
    strict: bool = False,
    on_error: Callable[[RecordError], None] | None = None,
    on_batch: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """Write parsed items in batches of `batch_size`, one transaction each; errors are reported and skipped.

    Each item passes `record.check_item` first (limits, dates, text, links), so a record no store
    column can hold is one reported error, not a failed batch. When the items stop with a domain
    error (a live source gone for good), the records read before it are written, then it is raised.
    """
    report = IngestReport()
    batch: list[ParsedItem] = []
    pending = iter(items)
    while True:
        try:
            item = next(pending)
        except StopIteration:
            break
        except PaperwireError:
            _write_batch(store, batch, source, report)
            raise
        if isinstance(item, ParsedItem):
            item = check_item(item)
        if isinstance(item, RecordError):
            report.skipped += 1
            if len(report.errors) < MAX_REPORTED_ERRORS:
                report.errors.append(item)
            if on_error:
                on_error(item)
            if strict:
                _write_batch(store, batch, source, report)
                raise StrictStop(item, report)
            continue
        batch.append(item)
        if len(batch) >= batch_size:
            _write_batch(store, batch, source, report)
            batch = []
            if on_batch:
                on_batch(report)
    _write_batch(store, batch, source, report)
    if on_batch:
        on_batch(report)
    metrics.record_ingest(source, report)
    return report


def _write_batch(store: Store, batch: list[ParsedItem], source: str, report: IngestReport) -> None:
    """Apply one batch in one write transaction, counting each record as added/updated/unchanged."""
    if not batch:
        return
    now = datetime.now(UTC)
    ids = list(dict.fromkeys(item.paper.arxiv_id for item in batch))
    with store.write() as conn:
        state = repo.load_papers(conn, ids)
        stored_ids = set(state)
        known_versions = repo.load_versions(conn, ids)
        known_listings = repo.load_listings(conn, ids)
        changed: dict[str, dict[str, Any]] = {}
        new_versions: list[dict[str, Any]] = []
        new_listings: dict[tuple[date, str], dict[str, Any]] = {}
        changed_listings: dict[tuple[date, str], dict[str, Any]] = {}
        sources: dict[str, dict[str, Any]] = {}
        for item in batch:
            record = item.paper
            pid = record.arxiv_id
            before = state.get(pid)
            after = merge(before, record, fill_only=source in SECOND_HAND_SOURCES)
            outcome = "added" if before is None else "unchanged"
            if before is not None and after["content_hash"] != before["content_hash"]:
                outcome = "updated"
            if before is None or outcome == "updated":
                state[pid] = {"id": pid, **after}
                changed[pid] = state[pid]
            for version in _versions_of(record):
                if (pid, version["version"]) not in known_versions:
                    known_versions.add((pid, version["version"]))
                    new_versions.append({"paper_id": pid, **version, "first_seen_at": now})
                    outcome = "updated" if outcome == "unchanged" else outcome
            if item.listing is not None:
                key, row = _listing_row(item.listing, now)
                old = known_listings.get(key)
                if old is None:
                    known_listings[key] = new_listings[key] = row
                    outcome = "updated" if outcome == "unchanged" else outcome
                elif (old["source_upvotes"], old["submitter"]) != (
                    row["source_upvotes"],
                    row["submitter"] or old["submitter"],
                ):
                    old.update(source_upvotes=row["source_upvotes"], submitter=row["submitter"] or old["submitter"])
                    (new_listings if key in new_listings else changed_listings)[key] = old
                    outcome = "updated" if outcome == "unchanged" else outcome
            sources.setdefault(pid, {"paper_id": pid, "source": source, "ref": item.file, "first_seen_at": now})
            setattr(report, outcome, getattr(report, outcome) + 1)
            if outcome == "added":
                report.new_ids.append(pid)
        inserts = [
            {**row, "created_at": now, "updated_at": now} for pid, row in changed.items() if pid not in stored_ids
        ]
        updates = [{**row, "updated_at": now} for pid, row in changed.items() if pid in stored_ids]
        repo.insert_papers(conn, inserts)
        repo.update_papers(conn, updates)
        repo.add_versions(conn, new_versions)
        repo.add_sources(conn, list(sources.values()))
        repo.insert_listings(conn, list(new_listings.values()))
        repo.update_listings(conn, list(changed_listings.values()))
    if len(report.new_ids) > 100_000:
        del report.new_ids[:-100_000]  # keep memory flat on huge inputs


def _versions_of(record: PaperRecord) -> list[dict[str, Any]]:
    versions = {v.version: v.created for v in record.versions}
    if record.version and record.version not in versions:
        versions[record.version] = None
    return [{"version": number, "created": created} for number, created in sorted(versions.items())]


def _listing_row(entry: ListingEntry, now: datetime) -> tuple[tuple[date, str], dict[str, Any]]:
    row = {
        "list_date": entry.list_date,
        "paper_id": entry.arxiv_id,
        "source": entry.source,
        "submitter": entry.submitter,
        "submitted_by": None,
        "source_upvotes": entry.upvotes,
        "created_at": now,
    }
    return (entry.list_date, entry.arxiv_id), row
