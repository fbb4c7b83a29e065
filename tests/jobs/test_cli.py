"""`paperwire worker --once` and `paperwire jobs list|add|retry`."""

from __future__ import annotations

import json

from tests.digest.test_cli import run


def test_worker_once_runs_this_periods_jobs_then_nothing(dsettings, sink) -> None:
    result = run(dsettings, "worker", "--once")  # an empty database: nothing to embed, nobody to mail
    assert result.exit_code == 0, result.output
    assert "embed (job 1): done: nothing to embed" in result.stdout
    assert "send (job 3): done: sent 0, skipped 0, failed 0" in result.stdout
    assert "fetch" not in result.stdout  # PAPERWIRE_SCHEDULER_FETCH=false
    again = run(dsettings, "worker", "--once")
    assert again.exit_code == 0 and again.stdout.strip() == "no job was due"


def test_jobs_add_list_and_retry(dsettings, sink) -> None:
    added = run(dsettings, "jobs", "add", "index")
    assert added.exit_code == 0 and added.stdout.strip() == "queued index as job 1"
    listed = run(dsettings, "jobs", "list")
    assert listed.exit_code == 0 and "index queued: 1" in listed.stdout
    ran = run(dsettings, "worker", "--once", "--kind", "index")
    in_database = dsettings.database_url and dsettings.search_index == "database"
    expected = "up to date (on PostgreSQL" if in_database else "0 keyword documents, 0 vectors added"
    assert f"index (job 1): done: {expected}" in ran.stdout
    data = json.loads(run(dsettings, "jobs", "list", "--json").stdout)
    assert [(j["id"], j["kind"], j["state"], j["attempts"]) for j in data["jobs"]][-1] == (1, "index", "done", 1)
    assert {"kind": "index", "state": "done", "count": 2} in data["depth"]  # the ad hoc one and this period's
    bad = run(dsettings, "jobs", "add", "reindex")
    assert bad.exit_code == 1 and "unknown job kind 'reindex'" in bad.output
    not_failed = run(dsettings, "jobs", "retry", "1")
    assert not_failed.exit_code == 1 and "has not failed" in not_failed.output
    assert run(dsettings, "worker", "--kind", "mail").exit_code == 1
