"""The command line: summaries, JSON output, clean one-line errors and exit codes, help everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from paperwire.cli import app
from paperwire.config import Settings
from tests.conftest import FIXTURES

runner = CliRunner()


def run(settings: Settings, *args: str):
    env = {"PAPERWIRE_HOME": str(settings.home), "PAPERWIRE_DATABASE_URL": settings.database_url or ""}
    return runner.invoke(app, list(args), env=env)


def test_ingest_prints_the_summary_then_nothing_changes(settings: Settings) -> None:
    first = run(settings, "ingest", str(FIXTURES / "snapshot-first200.jsonl"))
    assert first.exit_code == 0, first.output
    assert "added 200, updated 0, unchanged 0, skipped 0" in first.stdout
    again = run(settings, "ingest", str(FIXTURES / "snapshot-first200.jsonl"), "--json")
    assert json.loads(again.stdout) == {"added": 0, "updated": 0, "unchanged": 200, "skipped": 0, "errors": []}


def test_bad_records_in_json_output(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "2501.00001", "title": "T", "abstract": "a"}\n[1]\n')
    result = run(settings, "ingest", str(path), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["errors"] == [
        {"file": str(path), "line": 2, "reason": "line is not a JSON object"}
    ]


def test_strict_exits_non_zero_with_one_line(settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "2501.00001", "title": "T", "abstract": "a"}\n{"id": "2501.00002"}\n')
    result = run(settings, "ingest", str(path), "--strict")
    assert result.exit_code == 3
    assert "error: stopped at the first bad record (--strict)" in result.stderr
    assert f"{path}:2: missing title" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["ingest", "/nonexistent/file.jsonl"], "no such file: /nonexistent/file.jsonl"),
        (["ingest", "--format", "csv", "x"], "--format must be one of"),
        (["submit", "12345"], "not an arXiv id: '12345'"),
        (["fetch", "arxiv", "--category", "cs.CL", "--since", "yesterday"], "--since: expected a date as YYYY-MM-DD"),
        (["fetch", "arxiv", "--category", "not a category"], "not an arXiv category"),
        (["fetch", "hf", "--date", "2026-02-30"], "--date: expected a date"),
    ],
)
def test_user_mistakes_get_one_clear_line(settings: Settings, args: list[str], message: str) -> None:
    result = run(settings, *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_unknown_database_url_is_a_clean_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--db", "mysql://x/y", "status"], env={"PAPERWIRE_HOME": str(tmp_path)})
    assert result.exit_code == 1 and "unsupported database URL" in result.stderr


def _command_paths(command, prefix=()):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from _command_paths(sub, (*prefix, name))


@pytest.mark.parametrize("path", list(_command_paths(typer.main.get_command(app))), ids=" ".join)
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0 and "Usage" in result.stdout


@pytest.mark.slow  # the whole demo corpus: 21 s on PostgreSQL
def test_demo_loads_the_bundled_corpus(settings: Settings) -> None:
    result = run(settings, "demo", "--no-serve")
    assert result.exit_code == 0, result.output
    assert "demo corpus: added 4393, updated 359, unchanged 0, skipped 0" in result.stdout
    assert "4393 papers, 783 daily-list entries over 20 days (2026-02-02 to 2026-02-27)" in result.stdout
    assert "unchanged 4752" in run(settings, "demo", "--no-serve").stdout
    status = run(settings, "status")
    assert "papers: 4393" in status.stdout and "latest 2026-02-27 (28 papers)" in status.stdout


def test_migrate_reports_the_revision(settings: Settings) -> None:
    from paperwire.store.migrate import head_revision

    result = run(settings, "migrate")
    assert result.exit_code == 0 and f"at revision {head_revision()}" in result.stdout


def test_readme_reference_is_generated_from_the_code() -> None:
    from paperwire.docs import README, render

    current = README.read_text(encoding="utf-8")
    assert render(current) == current, "README.md is out of date: run python -m paperwire.docs"
