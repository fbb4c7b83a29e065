"""`paperwire ingest` on hostile input end to end: the summary always comes, exit codes say what landed."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from paperwire.cli import app
from paperwire.cli.collect import EXIT_NOTHING_READ
from paperwire.config import Settings
from tests.conftest import FIXTURES

runner = CliRunner()


def run(settings: Settings, *args: str):
    env = {"PAPERWIRE_HOME": str(settings.home), "PAPERWIRE_DATABASE_URL": settings.database_url or ""}
    return runner.invoke(app, list(args), env=env)


def _write(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_nothing_readable_is_its_own_exit_code_with_the_summary(settings: Settings, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "all-bad.jsonl",
        {"id": "2501.00001", "title": "T", "abstract": "a", "categories": 123},
        {"id": "2501.00002", "title": 5, "abstract": "a"},
    )
    result = run(settings, "ingest", str(path), "--json")
    assert result.exit_code == EXIT_NOTHING_READ not in (0, 1, 2, 3)
    report = json.loads(result.stdout)
    assert (report["added"], report["skipped"]) == (0, 2)
    assert [e["line"] for e in report["errors"]] == [1, 2]


def test_some_records_landed_is_exit_0_and_strict_is_3(settings: Settings, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "mixed.jsonl",
        {"id": "2501.00001", "title": "T", "abstract": "a"},
        {"id": "2501.00002", "title": "U", "abstract": "a", "authors": 7},
        {"id": "2501.00003", "title": "V", "abstract": "a"},
    )
    result = run(settings, "ingest", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 2
    strict = run(settings, "ingest", str(path), "--json", "--strict")
    assert strict.exit_code == 3
    assert json.loads(strict.stdout)["skipped"] == 1


def test_a_truncated_gzip_prints_the_summary_never_aborted(settings: Settings, tmp_path: Path) -> None:
    packed = gzip.compress((FIXTURES / "papers-300.jsonl").read_bytes())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    result = run(settings, "ingest", str(path))
    assert result.exit_code == 0, result.output
    assert "Aborted" not in result.output
    assert f"{path}: truncated after line" in result.stderr
    assert "added " in result.stdout
    as_json = run(settings, "ingest", str(path), "--json")
    report = json.loads(as_json.stdout)
    assert report["unchanged"] > 100 and "truncated after line" in report["errors"][-1]["reason"]


def test_record_text_is_not_rich_markup(settings: Settings, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "markup.jsonl",
        {"id": "[/x]", "title": "[bold red]T", "abstract": "a"},
        {"id": "2501.00002", "title": "[/]", "abstract": "[link=javascript:x]a[/link]"},
    )
    result = run(settings, "ingest", str(path))
    assert result.exit_code == 0, result.output
    assert "not an arXiv id: '[/x]'" in result.stderr


def test_an_error_message_holding_markup_is_printed_as_text(settings: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "[/x]" / "[bold]no.jsonl"
    result = run(settings, "ingest", str(missing))
    assert result.exit_code == 1
    assert f"no such file: {missing}" in result.stderr
    assert "Traceback" not in result.output
