"""Live sources serving hostile items: each bad item is reported, the good ones land, fetching goes on."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from paperwire.cli import app
from paperwire.config import Settings
from paperwire.store import Store
from paperwire.store import papers as repo
from tests.sources.replay import ReplayServer, Reply, fixture
from tests.sources.test_fetch_cli import env  # noqa: F401 - the CLI environment fixture

runner = CliRunner()


def _hostile_daily_list() -> bytes:
    items = json.loads(fixture("hf_api_daily.json"))
    good = items[0]
    hostile = []
    for n, (path, value) in enumerate(
        [
            (("paper", "summary"), 42),
            (("paper", "githubRepo"), {"url": "https://github.com/x/y"}),
            (("paper", "upvotes"), 2**70),
            (("paper", "publishedAt"), "9999-12-31T23:59:59-12:00"),
            (("paper", "authors"), 7),
            (("paper", "id"), "2503.11731v99999999999999999999"),
        ],
        start=1,
    ):
        item = json.loads(json.dumps(items[1]))
        item["paper"]["id"] = f"2503.2000{n}"
        target = item
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        hostile.append(item)
    safe_link = json.loads(json.dumps(items[2]))
    safe_link["paper"]["githubRepo"] = " JaVaScRiPt:alert(1)"
    return json.dumps([good, *hostile, safe_link]).encode()


def test_fetch_hf_reports_hostile_items_and_keeps_the_good_ones(
    env: dict, settings: Settings, replay: ReplayServer
) -> None:
    replay.script("/api/daily_papers", Reply(200, _hostile_daily_list(), {"Content-Type": "application/json"}))
    result = runner.invoke(app, ["fetch", "hf", "--date", "2025-03-20", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["added"], report["skipped"]) == (2, 6)
    reasons = [e["reason"] for e in report["errors"]]
    for word in ("summary", "githubRepo", "upvotes", "publishedAt", "authors", "version"):
        assert any(word in reason for reason in reasons), (word, reasons)
    assert [e["line"] for e in report["errors"]] == [2, 3, 4, 5, 6, 7]
    store = Store.open(settings)
    with store.read() as conn:
        kept = repo.get_paper(conn, "2503.09917")
    assert kept is not None and kept["code_url"] is None


def test_hf_api_item_with_bytes_that_are_not_utf8_costs_only_itself(
    replay: ReplayServer, live_settings: Settings
) -> None:
    from datetime import date

    from paperwire.papers.record import ParsedItem, RecordError
    from paperwire.sources.hf_api import fetch_daily
    from paperwire.sources.http import PoliteClient

    items = json.loads(fixture("hf_api_daily.json"))
    items[1]["paper"]["title"] = "MARKER"
    body = json.dumps(items).encode().replace(b"MARKER", b"caf\xe9")
    replay.script("/api/daily_papers", Reply(200, body, {"Content-Type": "application/json"}))
    with PoliteClient(live_settings) as client:
        parsed = fetch_daily(client, live_settings, date(2025, 3, 17))
    assert [type(item) for item in parsed] == [ParsedItem, RecordError, ParsedItem]
    assert "invalid UTF-8 (byte 0xE9)" in parsed[1].reason


def test_hf_api_answer_nested_too_deep_is_a_bad_answer_not_a_crash(
    replay: ReplayServer, live_settings: Settings
) -> None:
    from datetime import date

    import pytest

    from paperwire.errors import SourceUnavailable
    from paperwire.sources.hf_api import fetch_daily
    from paperwire.sources.http import PoliteClient

    deep = b"[" * 100_000 + b"]" * 100_000
    replay.script("/api/daily_papers", Reply(200, deep), Reply(200, deep))
    with PoliteClient(live_settings) as client, pytest.raises(SourceUnavailable):
        fetch_daily(client, live_settings, date(2025, 3, 17))
