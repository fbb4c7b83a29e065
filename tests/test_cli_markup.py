"""CLI output: text from data or from the user is printed as text, never read as Rich markup.

`[/x]` is a closing tag with no opening one: Rich raises MarkupError on it, so a command that reads it
as markup crashes; `[bold]` would vanish silently. Both must come out exactly as written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from paperwire.cli import app
from paperwire.config import Settings
from paperwire.store import Store
from paperwire.store import jobs as job_rows
from tests.conftest import FIXTURES

runner = CliRunner()
TITLE = "Markup [bold]in a title[/bold] and a stray [/x] tag"


def run(settings: Settings, *args: str):
    env = {
        "PAPERWIRE_HOME": str(settings.home),
        "PAPERWIRE_DATABASE_URL": settings.database_url or "",
        "COLUMNS": "200",
    }
    return runner.invoke(app, list(args), env=env)


def _paper(tmp_path: Path) -> Path:
    record = {
        "id": "2503.99998",
        "title": TITLE,
        "abstract": "A zebrafish [red]study[/] of [/x] tags.",
        "authors": ["Eve [/]", "Mallory [link=https://evil.example]"],
        "categories": ["cs.CV"],
        "published": "2025-03-18",
    }
    path = tmp_path / "markup.jsonl"
    path.write_text(json.dumps(record) + "\n")
    return path


def test_search_prints_queries_and_titles_as_text(settings: Settings, store: Store, tmp_path: Path) -> None:
    assert run(settings, "ingest", str(_paper(tmp_path))).exit_code == 0
    for query in ("[/x]", "zebrafish [bold]", "[/x] zebrafish"):
        result = run(settings, "search", query, "--mode", "keyword")
        assert result.exit_code == 0, result.output
        assert TITLE in result.stdout
    bad = run(settings, "search", "cat:[/x]", "--mode", "keyword")
    assert bad.exit_code == 1 and "'[/x]' is not an arXiv category" in bad.output
    quoted = run(settings, "search", 'zebrafish"[/x] "tags', "--mode", "keyword")
    assert quoted.exit_code == 0 and TITLE in quoted.stdout


def test_model_names_and_paths_are_printed_as_text(settings: Settings, store: Store, tmp_path: Path) -> None:
    assert run(settings, "ingest", str(FIXTURES / "papers-300.jsonl")).exit_code == 0
    imported = run(settings, "index", "--import", str(FIXTURES / "papers-300.vectors.npz"), "--model", "[/x] m")
    assert "imported 300 of 300 vectors (384 dims) as [/x] m" in imported.stdout, imported.output
    assert isinstance(imported.exception, SystemExit)  # then loading a model of that name fails, in one line
    target = tmp_path / "[/x] [bold]out.npz"
    exported = run(settings, "index", "--export", str(target), "--model", "[/x] m")
    assert exported.exit_code == 0, exported.output
    assert f"exported 300 vectors of [/x] m to {target}" in exported.stdout and target.exists()


def test_job_results_and_errors_are_printed_as_text(settings: Settings, store: Store) -> None:
    now = datetime.now(UTC)
    with store.write() as conn:
        job_rows.enqueue(conn, "embed", now - timedelta(seconds=1))
        job = job_rows.claim(conn, "worker [/x]", now, now + timedelta(minutes=1))
        assert job is not None
        job_rows.fail(conn, job, now, "boom [/x] in [bold]data[/bold]", retry_at=None)
    listed = run(settings, "jobs", "list")
    assert listed.exit_code == 0, listed.output
    assert "boom [/x] in [bold]data[/bold]" in listed.stdout


def test_user_names_and_addresses_are_printed_as_text(settings: Settings, store: Store) -> None:
    added = run(settings, "user", "add", "boss@example.org", "--name", "The [/x] [bold]Boss")
    assert added.exit_code == 0, added.output
    listed = run(settings, "user", "list")
    assert listed.exit_code == 0 and "The [/x] [bold]Boss" in listed.stdout
