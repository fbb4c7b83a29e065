"""`paperwire user`: add, list, block, token, with clean errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from paperwire.accounts.users import find_user, user_for_api_token
from paperwire.cli import app
from paperwire.config import Settings

runner = CliRunner()


def run(settings: Settings, *args: str):
    env = {"PAPERWIRE_HOME": str(settings.home), "PAPERWIRE_DATABASE_URL": settings.database_url or ""}
    return runner.invoke(app, list(args), env=env)


def test_add_list_block_and_token(settings: Settings, store) -> None:
    added = run(settings, "user", "add", "Boss@Example.org", "--admin", "--name", "The Boss")
    assert added.exit_code == 0, added.output
    assert "boss@example.org (admin)" in added.stdout
    assert run(settings, "user", "add", "someone@example.org").exit_code == 0
    listed = run(settings, "user", "list", "--json")
    rows = json.loads(listed.stdout)
    assert {r["email"]: r["role"] for r in rows} == {"boss@example.org": "admin", "someone@example.org": "user"}
    assert "The Boss" in run(settings, "user", "list").stdout
    blocked = run(settings, "user", "block", "someone@example.org")
    assert blocked.exit_code == 0 and find_user(store, "someone@example.org")["blocked_at"] is not None
    assert run(settings, "user", "block", "someone@example.org", "--unblock").exit_code == 0
    assert find_user(store, "someone@example.org")["blocked_at"] is None
    token = run(settings, "user", "token", "boss@example.org")
    assert token.exit_code == 0
    printed = token.stdout.strip().splitlines()[-1]
    assert user_for_api_token(store, printed)["email"] == "boss@example.org"


def test_errors_are_one_line(settings: Settings) -> None:
    bad = run(settings, "user", "add", "not-an-address")
    assert bad.exit_code == 1 and "error: not an email address" in bad.output and "Traceback" not in bad.output
    missing = run(settings, "user", "token", "ghost@example.org")
    assert missing.exit_code == 1 and "no user with the address ghost@example.org" in missing.output
    assert run(settings, "user", "list").stdout.strip() == "no users"
