"""Commands that bring papers in: ingest files, fetch from live sources, submit one paper."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from paperwire.cli.common import app, app_of, err, fetch_app, out, progress_bar
from paperwire.errors import InvalidInput
from paperwire.papers.ingest import IngestReport, StrictStop
from paperwire.papers.record import RecordError
from paperwire.sources.dates import parse_day
from paperwire.sources.files import FORMATS

# Exit codes of ingest and fetch: 0 when some records landed (bad ones are reported), 1 for a user
# error (nothing written), 2 for a usage error (Typer's), 3 at the first bad record with --strict,
# and this one when records were there but not one could be read.
EXIT_NOTHING_READ = 4


def _print_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        out.print(json.dumps(report.as_dict(), ensure_ascii=False), markup=False)
    else:
        out.print(report.summary(), markup=False)


def _exit_if_nothing_read(report: IngestReport, as_json: bool) -> None:
    """Exit with EXIT_NOTHING_READ when records came but every one was refused."""
    if report.skipped and report.processed == report.skipped:
        if not as_json:
            err.print(f"[bold red]error:[/] none of the {report.skipped} record(s) could be read", highlight=False)
        raise typer.Exit(EXIT_NOTHING_READ)


def _show_skipped(error: RecordError) -> None:
    err.print(f"[yellow]skipped[/] {escape(str(error))}", highlight=False)


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files to read: plain, .gz or .xz.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help=f"Input format, one of {', '.join(FORMATS)}; detected when omitted.")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad record with exit code 3.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Ingest paper files (arXiv snapshot, API Atom, OAI-PMH, Hugging Face daily lists, plain JSONL).

    Bad records are reported and skipped. Exit code 0 when records were read, 3 at the first bad record with --strict, 4 when not one could be read.
    """
    from paperwire.papers.load import ingest_paths

    if fmt is not None and fmt not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    pw = app_of(ctx)

    with progress_bar() as progress:
        tasks: dict[Path, Any] = {}

        def on_progress(path: Path, done: int, size: int, records: int) -> None:
            if path not in tasks:
                tasks[path] = progress.add_task(escape(path.name), total=size, records=0)
            progress.update(tasks[path], completed=done, records=records)

        try:
            report = ingest_paths(
                pw.store,
                paths,
                fmt=fmt,
                strict=strict,
                batch_size=pw.settings.ingest_batch_size,
                on_error=None if as_json else _show_skipped,
                on_progress=on_progress,
            )
        except StrictStop as stop:
            _print_report(stop.report, as_json)
            raise
    _print_report(report, as_json)
    _exit_if_nothing_read(report, as_json)


@contextmanager
def _fetching(label: str) -> Iterator[Callable[[IngestReport], None]]:
    """A progress line for a live fetch; yields the callback that moves it after each batch."""
    with progress_bar() as progress:
        task = progress.add_task(escape(label), total=None, records=0)
        yield lambda report: progress.update(task, records=report.processed)


def _on_error(as_json: bool) -> Callable[[RecordError], None] | None:
    return None if as_json else _show_skipped


@fetch_app.command("arxiv")
def fetch_arxiv(
    ctx: typer.Context,
    category: Annotated[str, typer.Option("--category", help="arXiv category, e.g. cs.CL.")],
    since: Annotated[
        str | None, typer.Option("--since", help="Stop at papers last updated before this date (YYYY-MM-DD).")
    ] = None,
    max_results: Annotated[int | None, typer.Option("--max", help="Fetch at most this many papers.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Fetch a category's newest papers from the arXiv API (one request every 3 s, paged, retried)."""
    from paperwire.papers.fetch import fetch_arxiv as fetch_category

    since_day = parse_day(since, "--since")
    with _fetching(f"arXiv {category}") as on_batch:
        report = fetch_category(
            app_of(ctx),
            category,
            since=since_day,
            max_results=max_results,
            on_error=_on_error(as_json),
            on_batch=on_batch,
        )
    _print_report(report, as_json)
    _exit_if_nothing_read(report, as_json)


@fetch_app.command("metadata")
def fetch_metadata(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option("--limit", help="Ask for at most this many papers now.")] = None,
    retry_missing: Annotated[
        bool, typer.Option("--retry-missing", help="Ask again for ids arXiv did not know last time.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Complete listed papers known only from Hugging Face or a submission with arXiv's metadata (by id_list)."""
    from dataclasses import asdict

    from paperwire.papers.enrich import enrich_listed

    with progress_bar("papers") as progress:
        task = progress.add_task("arXiv metadata", total=None, records=0)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, records=done)

        report = enrich_listed(app_of(ctx), limit=limit, retry_missing=retry_missing, on_progress=on_progress)
    if as_json:
        out.print(json.dumps(asdict(report)), markup=False, highlight=False, soft_wrap=True)
    else:
        out.print(report.summary(), markup=False, highlight=False)


@fetch_app.command("oai")
def fetch_oai(
    ctx: typer.Context,
    set_spec: Annotated[str, typer.Option("--set", help="OAI-PMH set, e.g. cs or physics:hep-th.")],
    from_date: Annotated[
        str | None,
        typer.Option("--from", help="Harvest records changed since this date; default: where the last run stopped."),
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Harvest records changed up to this date.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Harvest arXiv's OAI-PMH feed (arXivRaw), following resumption tokens; remembers where it stopped."""
    from paperwire.papers.fetch import harvest_oai

    start, end = parse_day(from_date, "--from"), parse_day(until, "--until")
    with _fetching(f"OAI-PMH {set_spec}") as on_batch:
        run = harvest_oai(app_of(ctx), set_spec, start=start, until=end, on_error=_on_error(as_json), on_batch=on_batch)
    _print_report(run.report, as_json)
    if run.next_from and not as_json:
        err.print(f"next incremental harvest starts from {run.next_from}", markup=False)
    _exit_if_nothing_read(run.report, as_json)


@fetch_app.command("hf")
def fetch_hf(
    ctx: typer.Context,
    day: Annotated[str, typer.Option("--date", help="The daily list to fetch (YYYY-MM-DD).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Fetch one day of Hugging Face daily papers, with upvotes, into that day's list."""
    from paperwire.papers.fetch import fetch_hf as fetch_daily

    list_day = parse_day(day, "--date")
    with _fetching(f"Hugging Face {day}") as on_batch:
        report = fetch_daily(app_of(ctx), list_day, on_error=_on_error(as_json), on_batch=on_batch)
    _print_report(report, as_json)
    _exit_if_nothing_read(report, as_json)


@app.command()
def submit(
    ctx: typer.Context,
    arxiv_id: Annotated[
        str, typer.Argument(help="arXiv id or URL, e.g. 2503.11731 or https://arxiv.org/abs/2503.11731.")
    ],
    day: Annotated[str | None, typer.Option("--date", help="Daily list to add it to (default: today, UTC).")] = None,
    submitter: Annotated[str | None, typer.Option("--submitter", help="Name shown as the submitter.")] = None,
) -> None:
    """Add a paper to today's daily list, fetching its metadata from arXiv if it is unknown."""
    from paperwire.papers.fetch import submit_from_arxiv

    list_day = parse_day(day, "--date") or datetime.now(UTC).date()
    done = submit_from_arxiv(app_of(ctx), arxiv_id, day=list_day, submitter=submitter)
    origin = "fetched from arXiv" if done.fetched else "already known"
    out.print(f"added {done.arxiv_id} ({origin}) to the list of {done.list_date}: {done.title}", markup=False)
