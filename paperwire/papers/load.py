"""Ingest whole files: detect each file's format, parse it streaming, write it in batches."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

from paperwire.errors import InvalidInput
from paperwire.papers.ingest import IngestReport, StrictStop, ingest_items
from paperwire.papers.record import RecordError
from paperwire.sources.files import detect_format, iter_file, open_input
from paperwire.store import Store

SOURCE_OF_FORMAT = {
    "snapshot": "snapshot",
    "jsonl": "jsonl",
    "hf": "huggingface",
    "atom": "arxiv-api",
    "oai": "oai",
    "tsv": "tsv",
}

Progress = Callable[[Path, int, int, int], None]  # (file, bytes read, file size, records processed so far)


def ingest_paths(
    store: Store,
    paths: Sequence[Path],
    *,
    fmt: str | None = None,
    strict: bool = False,
    batch_size: int = 1000,
    on_error: Callable[[RecordError], None] | None = None,
    on_progress: Progress | None = None,
) -> IngestReport:
    """Ingest every file in turn into one report.

    Every file is found and its format detected before anything is written, so a missing or
    unrecognisable file is an InvalidInput that changes nothing. What a file holds never raises:
    bad records, a bad document or a cut are errors in the report (StrictStop with `strict`).
    """
    files = [Path(path) for path in paths]
    for path in files:
        if not path.is_file():
            raise InvalidInput(f"no such file: {path}")
    formats = [fmt or detect_format(path) for path in files]
    total = IngestReport()
    for path, file_format in zip(files, formats, strict=True):
        size = path.stat().st_size
        with open_input(path) as (stream, raw), closing(iter_file(stream, str(path), file_format)) as items:

            def progress(report: IngestReport, raw=raw, path=path, size=size, total=total) -> None:
                if on_progress:
                    on_progress(path, raw.tell(), size, total.processed + report.processed)

            try:
                report = ingest_items(
                    store,
                    items,
                    source=SOURCE_OF_FORMAT[file_format],
                    batch_size=batch_size,
                    strict=strict,
                    on_error=on_error,
                    on_batch=progress,
                )
            except StrictStop as stop:
                stop.report = _combined(total, stop.report)
                raise
        total = _combined(total, report)
    return total


def _combined(a: IngestReport, b: IngestReport) -> IngestReport:
    return IngestReport(
        added=a.added + b.added,
        updated=a.updated + b.updated,
        unchanged=a.unchanged + b.unchanged,
        skipped=a.skipped + b.skipped,
        errors=(a.errors + b.errors)[:1000],
        new_ids=(a.new_ids + b.new_ids)[-100_000:],
    )
