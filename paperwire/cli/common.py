"""What every command module shares: the Typer app, the consoles, error display, the application object."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text
from sqlalchemy import exc as sa_exc
from typer.core import TyperGroup

from paperwire.config import Settings, load_settings
from paperwire.errors import PaperwireError
from paperwire.papers.ingest import StrictStop
from paperwire.store.failures import database_failure

if TYPE_CHECKING:
    from paperwire.application import Paperwire

err = Console(stderr=True, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


class Group(TyperGroup):
    """Renders domain errors as one clean line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except PaperwireError as exc:
            show_error(exc)
            raise typer.Exit(3 if isinstance(exc, StrictStop) else 1) from None
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
            failure = database_failure(exc)
            if failure is None:  # a bug, not an outage: keep the traceback
                raise
            show_error(PaperwireError(f"{failure.message} ({failure.detail})"))
            raise typer.Exit(1) from None


def show_error(exc: PaperwireError) -> None:
    """The one place a domain error becomes terminal output."""
    err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)


app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="Paperwire: a self-hosted research-paper hub.",
)
fetch_app = typer.Typer(
    cls=Group, no_args_is_help=True, help="Fetch papers from live sources (arXiv, OAI-PMH, Hugging Face)."
)
app.add_typer(fetch_app, name="fetch")


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", help="Database URL (overrides PAPERWIRE_DATABASE_URL).")] = None,
    home: Annotated[Path | None, typer.Option("--home", help="Data folder (overrides PAPERWIRE_HOME).")] = None,
) -> None:
    """Paperwire: a self-hosted research-paper hub."""
    from paperwire.application import Paperwire  # imported here, so `paperwire --help` stays quick

    ctx.obj = Paperwire(load_settings(database_url=db, home=home))
    ctx.call_on_close(ctx.obj.close)


def app_of(ctx: typer.Context) -> Paperwire:
    """The application object the root callback built: settings, store, search engine, mailer."""
    return ctx.find_root().obj


def settings_of(ctx: typer.Context) -> Settings:
    """The settings alone (for `serve`, which hands them to its worker processes)."""
    return app_of(ctx).settings


class RateColumn(ProgressColumn):
    """Items a second (Rich's own speed column counts bytes)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} {self.unit}/s" if speed else f"- {self.unit}/s")


def progress_bar(unit: str | None = None) -> Progress:
    """A progress bar on stderr: bytes read and their speed, or, given a `unit`, items and items a second; ETA."""
    counted = [RateColumn(unit)] if unit else [DownloadColumn(), TransferSpeedColumn()]
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        *counted,
        TextColumn("{task.fields[records]} records" if not unit else f"{{task.fields[records]}} {unit}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except PaperwireError as exc:  # raised outside a command, e.g. by the settings callback
        show_error(exc)
        sys.exit(1)
