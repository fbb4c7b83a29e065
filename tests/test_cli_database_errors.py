"""The command line on a database it cannot use: one clean error line and exit code 1, never a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

from typer.testing import CliRunner

from paperwire.cli import app

runner = CliRunner()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_postgresql_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql://paperwire@127.0.0.1:{_free_port()}/paperwire"
    result = runner.invoke(app, ["--db", url, "--home", str(tmp_path), "status"])
    assert result.exit_code == 1
    assert result.output.startswith("error: the database is unavailable just now; try again in a few seconds (")
    assert "Connection refused" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_read_only_sqlite_write_is_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert runner.invoke(app, ["--home", str(home), "migrate"]).exit_code == 0
    url = f"sqlite:///file:{home / 'paperwire.db'}?mode=ro&uri=true"
    result = runner.invoke(app, ["--db", url, "user", "add", "a@example.org"])
    assert result.exit_code == 1
    assert result.output.startswith("error: the database is read-only just now")
    assert "attempt to write a readonly database" in result.output and "Traceback" not in result.output
