"""`paperwire library import|list|zotero`: the --json shape, --no-fetch, unknown users and unreadable files as one
clean error line, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperwire.accounts.users import add_user
from paperwire.cli import app
from paperwire.config import Settings
from paperwire.store import Store
from tests.papers.library_helpers import API, arxiv_reply, seed_papers
from tests.sources.replay import ReplayServer, Reply, fixture

runner = CliRunner()


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    server = ReplayServer().start()
    try:
        yield server
    finally:
        server.stop()


def run(settings: Settings, replay: ReplayServer, *args: str, **env: str):
    base = {
        "PAPERWIRE_HOME": str(settings.home),
        "PAPERWIRE_DATABASE_URL": settings.database_url or "",
        "PAPERWIRE_ARXIV_API_URL": f"{replay.url}{API}",
        "PAPERWIRE_ZOTERO_API_URL": replay.url,
        "PAPERWIRE_REQUEST_INTERVAL": "0.01",
        "PAPERWIRE_HTTP_RETRIES": "0",
    }
    return runner.invoke(app, list(args), env={**base, **env})


@pytest.fixture
def reader(store: Store) -> str:
    seed_papers(store)
    add_user(store, "reader@example.org")
    return "reader@example.org"


def test_import_json_shape_then_list(settings: Settings, replay: ReplayServer, reader: str, tmp_path: Path) -> None:
    bib = tmp_path / "refs.bib"
    bib.write_text(
        "@article{a, title={Attention}, eprint={1706.03762}}\n"
        "@article{b, title={Calibrated}, eprint={2502.09876}}\n"
        "@article{c, title={<script>alert(1)</script>}}\n"
    )
    replay.script(API, arxiv_reply())
    result = run(settings, replay, "library", "import", reader, str(bib), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "matched": 1,
        "fetched": 1,
        "unmatched": [
            {
                "entry": "@article{c} <script>alert(1)</script>",
                "reason": "no paper here with this title, and the entry names no arXiv id or DOI",
            }
        ],
    }
    listed = run(settings, replay, "library", "list", reader, "--json")
    assert [p["id"] for p in json.loads(listed.stdout)] == ["1706.03762", "2502.09876"]  # one import: by id
    plain = run(settings, replay, "library", "list", reader)
    assert "Attention Is All You Need" in plain.stdout and "bibtex" in plain.stdout


def test_no_fetch_sends_nothing_and_the_summary_lists_unmatched(
    settings: Settings, replay: ReplayServer, reader: str, tmp_path: Path
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("2502.09876\nhep-th/9901001\n")
    result = run(settings, replay, "library", "import", reader, str(ids), "--no-fetch")
    assert result.exit_code == 0, result.output
    assert "1 matched, 0 fetched from arXiv, 1 unmatched" in result.stdout
    assert "line 1: 2502.09876 — arXiv 2502.09876 is not on this site, and fetching from arXiv was turned off" in (
        result.stdout
    )
    assert replay.seen() == []


def test_errors_are_one_line(settings: Settings, replay: ReplayServer, reader: str, tmp_path: Path) -> None:
    empty = tmp_path / "empty.bib"
    empty.write_text("")
    cases = [
        (["library", "import", "nobody@example.org", str(empty)], "no user"),
        (["library", "import", reader, str(tmp_path / "missing.bib")], "cannot read"),
        (["library", "import", reader, str(empty)], "the file is empty"),
        (["library", "import", reader, str(empty), "--format", "endnote"], "unknown format 'endnote'"),
        (["library", "zotero", reader], "give exactly one of --user and --group"),
        (["library", "zotero", reader, "--user", "475425"], "no Zotero API key in the environment variable"),
    ]
    for args, message in cases:
        result = run(settings, replay, *args, ZOTERO_API_KEY="")
        assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output, args


def test_zotero_command_reads_the_key_from_the_environment(
    settings: Settings, replay: ReplayServer, reader: str
) -> None:
    headers = {"Last-Modified-Version": "1210", "Total-Results": "2", "Content-Type": "application/json"}
    replay.script("/users/475425/items/top", Reply(200, fixture("zotero_items_page2.json"), headers))
    replay.script(API, arxiv_reply())
    result = run(settings, replay, "library", "zotero", reader, "--user", "475425", "--json", ZOTERO_API_KEY="k3y")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"matched": 0, "fetched": 1, "unmatched": []}
    assert replay.seen("/users/475425/items/top")[0].headers["Zotero-API-Key"] == "k3y"
