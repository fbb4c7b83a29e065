"""`paperwire library ...`: import a reader's library from a file (or Zotero) and list it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from paperwire.cli.common import Group, app, app_of, err, out, progress_bar
from paperwire.errors import InvalidInput

library_app = typer.Typer(
    cls=Group, no_args_is_help=True, help="A reader's library: import it from a file or Zotero, list it."
)
app.add_typer(library_app, name="library")
_STAGES = {"titles": "matching titles", "arxiv": "fetching from arXiv"}


def _print_result(result: Any, as_json: bool) -> None:
    if as_json:
        out.print(json.dumps(result.as_json(), ensure_ascii=False), markup=False)
        return
    out.print(result.summary(), markup=False)
    for miss in result.unmatched:
        out.print(f"  unmatched: {miss.entry} — {miss.reason}", markup=False)


def _progress() -> tuple[Any, Any]:
    """A progress bar and the on_progress callback that drives it (one task per stage)."""
    bar = progress_bar(unit="items")
    tasks: dict[str, Any] = {}

    def on_progress(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total or None, records=0)
        bar.update(tasks[stage], completed=done, records=done)

    return bar, on_progress


@library_app.command("import")
def library_import(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The reader's email address (an existing user).")],
    file: Annotated[
        Path, typer.Argument(help="A .bib, .ris, CSL-JSON (.json) file, or a list of arXiv ids / URLs, one a line.")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"matched": N, "fetched": N, "unmatched": [{"entry", "reason"}]}.')
    ] = False,
    no_fetch: Annotated[
        bool, typer.Option("--no-fetch", help="Do not ask arXiv for papers that are not here.")
    ] = False,
    fmt: Annotated[
        str | None, typer.Option("--format", help="bibtex, ris, csl-json or ids (default: told from the file).")
    ] = None,
) -> None:
    """Add the papers a reference file names to a reader's library; unmatched entries are listed with the reason."""
    from paperwire.accounts.users import find_user
    from paperwire.papers.library_formats import FORMATS
    from paperwire.papers.library_import import import_file

    if fmt is not None and fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})", field="format")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror}", field="file") from None
    pw = app_of(ctx)
    user = find_user(pw.store, email)
    bar, on_progress = _progress()
    with bar:
        result = import_file(
            pw,
            user["id"],
            data,
            filename=file.name,
            format=fmt,
            fetch=not no_fetch,
            on_progress=on_progress,
        )
    _print_result(result, as_json)


@library_app.command("zotero")
def library_zotero(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The reader's email address (an existing user).")],
    user_library: Annotated[
        str | None, typer.Option("--user", help="Zotero user id (the number on zotero.org/settings/keys).")
    ] = None,
    group: Annotated[str | None, typer.Option("--group", help="Zotero group id, instead of --user.")] = None,
    key_env: Annotated[
        str, typer.Option("--key-env", help="Environment variable holding the Zotero API key (read-only is enough).")
    ] = "ZOTERO_API_KEY",
    full: Annotated[
        bool, typer.Option("--full", help="Read the whole library, not only what changed since the last sync.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON, as `library import` does.")
    ] = False,
    no_fetch: Annotated[
        bool, typer.Option("--no-fetch", help="Do not ask arXiv for papers that are not here.")
    ] = False,
) -> None:
    """Import a Zotero library (user or group) through the Zotero Web API, incrementally by library version.
    The API key is read from the environment and never stored."""
    from paperwire.accounts.users import find_user
    from paperwire.papers.library_zotero import ZoteroLibrary, sync_zotero

    if (user_library is None) == (group is None):
        raise InvalidInput("give exactly one of --user and --group", field="library")
    key = os.environ.get(key_env, "")
    if not key:
        raise InvalidInput(f"no Zotero API key in the environment variable {key_env}", field="key")
    pw = app_of(ctx)
    user = find_user(pw.store, email)
    library = ZoteroLibrary("groups" if group else "users", group or user_library or "")
    bar, on_progress = _progress()
    with bar:
        synced = sync_zotero(pw, user["id"], library, key, full=full, fetch=not no_fetch, on_progress=on_progress)
    _print_result(synced.result, as_json)
    if not as_json:
        err.print(escape(synced.summary()), highlight=False)


@library_app.command("list")
def library_list(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The reader's email address.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array of papers.")] = False,
) -> None:
    """List the papers of a reader's library, most recently added first."""
    from paperwire.accounts.users import find_user
    from paperwire.papers.library import library_page

    pw = app_of(ctx)
    user = find_user(pw.store, email)
    page = library_page(pw.store, user["id"], limit=1_000_000)
    if as_json:
        keys = ("id", "title", "origin")
        data = [{**{k: row[k] for k in keys}, "added_at": row["added_at"].isoformat()} for row in page.papers]
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    if not page.papers:
        out.print("the library is empty", markup=False)
    for row in page.papers:
        out.print(f"{row['id']:<18} {row['origin']:<9} {row['title']}", markup=False)
