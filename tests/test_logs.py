"""Logs as text or JSON: every line of a real `paperwire worker --once` run parses as a JSON object."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from paperwire.config import load_settings
from paperwire.logs import JsonFormatter


def test_json_formatter_keeps_extras_and_the_exception() -> None:
    record = logging.makeLogRecord(
        {
            "name": "paperwire.jobs",
            "levelname": "ERROR",
            "levelno": 40,
            "msg": "job %s failed",
            "args": (7,),
            "job_kind": "embed",
        }
    )
    try:
        raise RuntimeError("out of memory")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "job 7 failed" and entry["level"] == "ERROR" and entry["logger"] == "paperwire.jobs"
    assert entry["job_kind"] == "embed" and "RuntimeError: out of memory" in entry["exception"]
    assert entry["time"].endswith("+00:00")


def test_a_worker_writes_json_lines_when_asked(tmp_path) -> None:
    env = os.environ | {
        "PAPERWIRE_HOME": str(tmp_path),
        "PAPERWIRE_LOG_FORMAT": "json",
        "PAPERWIRE_SCHEDULER_FETCH": "false",
    }
    env.pop("PAPERWIRE_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "paperwire", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert any(e["logger"] == "paperwire.jobs" and "embed: done: nothing to embed" in e["message"] for e in lines)
    assert "send (job 3): done" in done.stdout


def test_an_unknown_log_format_is_a_clear_error() -> None:
    import pytest

    from paperwire.errors import ConfigError

    with pytest.raises(ConfigError, match="log_format"):
        load_settings(log_format="xml")
