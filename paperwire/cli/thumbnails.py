"""`paperwire thumbnails`: draw the first PDF page of listed papers that have no thumbnail yet."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from paperwire.cli.common import app, app_of, err, out, progress_bar
from paperwire.store.thumbnails import Failure

EXIT_ALL_FAILED = 4  # as ingest's "not one record could be read"


@app.command()
def thumbnails(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Download at most this many PDFs.")] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Try papers that failed before now, without waiting.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Fetch the PDF of each listed paper without a thumbnail (one request every 3 s) and keep its first page.

    Papers that already have one are skipped; a PDF that cannot be fetched or drawn is reported and skipped,
    and tried again later. Exit code 0, or 4 when every PDF tried failed.
    """
    from paperwire.papers.thumbnails import make_thumbnails

    def show_failure(failure: Failure) -> None:
        if not as_json:
            err.print(f"[yellow]failed[/] {escape(failure.arxiv_id)}: {escape(failure.reason)}", highlight=False)

    with progress_bar("papers") as progress:
        task = progress.add_task("thumbnails", total=None, records=0)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, records=done)

        report = make_thumbnails(
            app_of(ctx), limit=limit, retry_failed=retry_failed, on_progress=on_progress, on_failure=show_failure
        )
    if as_json:
        out.print(json.dumps(report.as_dict(), ensure_ascii=False), markup=False)
    else:
        out.print(report.summary(), markup=False)
    if report.failed and not report.made:
        raise typer.Exit(EXIT_ALL_FAILED)
