"""`paperwire migrate-db`: copy this SQLite instance into PostgreSQL; parse, call paperwire.store.transfer, print."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from paperwire.cli.common import app_of, err, out


def migrate_db(
    ctx: typer.Context,
    to: Annotated[
        str, typer.Option("--to", help="The PostgreSQL database to fill: postgresql://user:password@host/database.")
    ],
    source: Annotated[
        str | None,
        typer.Option("--from", help="The SQLite database to copy: sqlite:///path (default: the configured instance)."),
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Rows written per transaction.")] = 5000,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
) -> None:
    """Copy a whole SQLite instance into PostgreSQL, verify every table, and stay safe to rerun."""
    from paperwire.store.transfer import (
        configured_source,
        migrate_database,
        open_source,
        open_target,
    )

    origin = open_source(source or configured_source(app_of(ctx).settings))
    target = None
    try:
        target = open_target(to)
        with progress_bar() as progress:
            tasks: dict[str, Any] = {}

            def on_progress(table: str, done: int, total: int) -> None:
                if table not in tasks:
                    tasks[table] = progress.add_task(table, total=total)
                progress.update(tasks[table], completed=done)

            report = migrate_database(origin, target, batch_size=batch_size, on_progress=on_progress)
    finally:
        origin.close()
        if target is not None:
            target.close()
    if as_json:
        out.print(json.dumps(report.as_dict(), ensure_ascii=False), markup=False)
        return
    how = "into an empty database" if report.fresh else "again (a rerun: only differences are written)"
    out.print(f"copied {report.source} to {report.target} {how} in {report.seconds:.1f} s", markup=False)
    for table in report.tables:
        out.print(
            f"  {table.name:<20} {table.rows:>10} rows  {table.inserted:>9} inserted  {table.updated:>7} updated  "
            f"{table.deleted:>7} deleted  {table.seconds:7.1f} s",
            markup=False,
        )
    out.print(
        f"verified: row counts and key checksums of all {len(report.tables)} tables match the source", markup=False
    )
    for name, reason in report.skipped.items():
        out.print(f"not copied: table {name}: {reason}", markup=False)
    for note in report.derived:
        out.print(f"not copied (derived): {note}", markup=False)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )
