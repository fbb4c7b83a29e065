"""`paperwire subscriber ...` and `paperwire digest preview|send`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from paperwire.cli import app
from paperwire.config import Settings

runner = CliRunner()


def run(settings: Settings, *args: str):
    env = {
        "PAPERWIRE_HOME": str(settings.home),
        "PAPERWIRE_DATABASE_URL": settings.database_url or "",
        "PAPERWIRE_SMTP_PORT": str(settings.smtp_port),
        "PAPERWIRE_SITE_URL": settings.site_url,
        "PAPERWIRE_DIGEST_RATE": "0",
        "PAPERWIRE_DIGEST_TOPIC_MODE": "keyword",
        "PAPERWIRE_SCHEDULER_FETCH": "false",
    }
    return runner.invoke(app, list(args), env=env)


def test_subscriber_commands(dsettings, dstore, sink) -> None:
    added = run(
        dsettings,
        "subscriber",
        "add",
        "Ada@Example.org",
        "--confirmed",
        "--frequency",
        "weekly",
        "--weekday",
        "2",
        "--topic",
        "gaussian splatting",
        "--topic",
        "depth & normals",
        "--category",
        "cs.CV",
        "--author",
        "Wenqi Shao",
    )
    assert added.exit_code == 0, added.output
    assert "ada@example.org active (weekly on Wednesday at 07:00 UTC" in added.stdout
    pending = run(dsettings, "subscriber", "add", "new@example.org")
    assert pending.exit_code == 0 and "confirmation link mailed" in pending.stdout
    assert sink.to("new@example.org")[0]["Subject"].startswith("Confirm")
    rows = json.loads(run(dsettings, "subscriber", "list", "--json").stdout)
    assert [(r["email"], r["status"]) for r in rows] == [("ada@example.org", "active"), ("new@example.org", "pending")]
    assert rows[0]["topics"] == ["gaussian splatting", "depth & normals"]
    assert "new@example.org" in run(dsettings, "subscriber", "list", "--status", "pending").stdout
    assert run(dsettings, "subscriber", "remove", "new@example.org").exit_code == 0
    missing = run(dsettings, "subscriber", "remove", "new@example.org")
    assert missing.exit_code == 1 and "no subscription for new@example.org" in missing.output


def test_bad_input_is_one_clean_line(dsettings, dstore) -> None:
    for args, message in [
        (("subscriber", "add", "not-an-address", "--confirmed"), "not a valid email address"),
        (("subscriber", "add", "a@example.org", "--frequency", "hourly"), "--frequency must be daily or weekly"),
        (("subscriber", "add", "a@example.org", "--timezone", "Mars/Base"), "timezone:"),
        (("digest", "send", "--period", "monthly:2025-03"), "period:"),
        (("digest", "preview", "nobody@example.org"), "no subscription for nobody@example.org"),
    ]:
        result = run(dsettings, *args)
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output, result.output


def test_preview_and_send(dsettings, dstore, sink) -> None:
    run(dsettings, "subscriber", "add", "ada@example.org", "--confirmed", "--topic", "gaussian splatting")
    preview = run(dsettings, "digest", "preview", "ada@example.org", "--period", "daily:2025-03-18")
    assert preview.exit_code == 0, preview.output
    assert "Trending" in preview.stdout and "matches your topic 'gaussian splatting'" in preview.stdout
    html = run(dsettings, "digest", "preview", "ada@example.org", "--period", "2025-03-18", "--html")
    assert html.stdout.lstrip().startswith("<!DOCTYPE html>")
    quiet = run(dsettings, "digest", "preview", "ada@example.org", "--period", "daily:2025-03-16")
    assert quiet.exit_code == 0 and "weekend or holiday" in quiet.output
    dry = run(dsettings, "digest", "send", "--dry-run", "--period", "daily:2025-03-18")
    assert dry.exit_code == 0 and "would send 1, skipped 0, failed 0" in dry.stdout and sink.count() == 0
    sent = run(dsettings, "digest", "send", "--period", "daily:2025-03-18", "--to", "ada@example.org")
    assert "sent 1, skipped 0, failed 0" in sent.stdout and sink.count() == 1
    again = json.loads(run(dsettings, "digest", "send", "--period", "daily:2025-03-18", "--json").stdout)
    assert again["sent"] == 0 and again["done_before"] == 1
