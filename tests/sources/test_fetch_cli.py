"""`paperwire fetch ...` and `paperwire submit` end to end: replayed HTTP in, rows in the store out."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from paperwire.cli import app
from paperwire.config import Settings
from paperwire.store import Store
from paperwire.store import papers as repo
from paperwire.store.schema import listings
from tests.sources.replay import ReplayServer, Reply, fixture

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, replay: ReplayServer) -> dict[str, str]:
    """Environment of a CLI run on the test's database, with every remote source at the replay server."""
    return {
        "PAPERWIRE_HOME": str(settings.home),
        "PAPERWIRE_DATABASE_URL": settings.database_url or "",
        "PAPERWIRE_ARXIV_API_URL": f"{replay.url}/api/query",
        "PAPERWIRE_OAI_URL": f"{replay.url}/oai",
        "PAPERWIRE_HF_API_URL": f"{replay.url}/api/daily_papers",
        "PAPERWIRE_REQUEST_INTERVAL": "0.05",
        "PAPERWIRE_HTTP_TIMEOUT": "1",
        "PAPERWIRE_HTTP_RETRIES": "1",
        "PAPERWIRE_ARXIV_PAGE_SIZE": "3",
    }


def xml(name: str) -> Reply:
    return Reply(200, fixture(name), {"Content-Type": "application/xml"})


def test_fetch_arxiv_pages_into_the_store(env: dict, settings: Settings, replay: ReplayServer) -> None:
    replay.script(
        "/api/query", xml("arxiv_api_page1.xml"), Reply(503, b"busy", {"Retry-After": "0"}), xml("arxiv_api_page2.xml")
    )
    result = runner.invoke(app, ["fetch", "arxiv", "--category", "cs.CL", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 5
    store = Store.open(settings)
    with store.read() as conn:
        paper = repo.get_paper(conn, "2503.11731")
    assert paper is not None and paper["version"] == 2
    assert len(replay.seen("/api/query")) == 3


def test_fetch_oai_remembers_where_it_stopped(env: dict, replay: ReplayServer) -> None:
    replay.script("/oai", xml("oai_arxivraw_page1.xml"), xml("oai_arxivraw_page2.xml"), xml("oai_no_records.xml"))
    first = runner.invoke(app, ["fetch", "oai", "--set", "cs", "--from", "2025-03-01"], env=env)
    assert first.exit_code == 0, first.output
    assert "added 4, updated 0, unchanged 0, skipped 0" in first.stdout
    assert "next incremental harvest starts from 2025-03-20" in first.stderr
    second = runner.invoke(app, ["fetch", "oai", "--set", "cs"], env=env)
    assert second.exit_code == 0, second.output
    assert replay.seen("/oai")[-1].param("from") == "2025-03-20"


def test_fetch_hf_fills_the_daily_list(env: dict, settings: Settings, replay: ReplayServer) -> None:
    body = fixture("hf_api_daily.json")
    replay.script("/api/daily_papers", Reply(200, body, {"Content-Type": "application/json"}))
    result = runner.invoke(app, ["fetch", "hf", "--date", "2025-03-20"], env=env)
    assert result.exit_code == 0, result.output
    items = json.loads(body)
    store = Store.open(settings)
    with store.read() as conn:
        rows = conn.execute(sa.select(listings.c.paper_id, listings.c.source_upvotes)).all()
    assert sorted(rows) == sorted((i["paper"]["id"], i["paper"]["upvotes"]) for i in items)


def test_submit_fetches_an_unknown_paper_and_refuses_duplicates(
    env: dict, settings: Settings, replay: ReplayServer
) -> None:
    replay.script("/api/query", xml("arxiv_api_page1.xml"))
    args = ["submit", "https://arxiv.org/abs/2503.11731v2", "--date", "2026-03-02", "--submitter", "ada"]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "added 2503.11731 (fetched from arXiv) to the list of 2026-03-02" in result.stdout
    assert replay.seen("/api/query")[0].param("id_list") == "2503.11731"
    store = Store.open(settings)
    with store.read() as conn:
        entry = repo.load_listings(conn, ["2503.11731"])[(date(2026, 3, 2), "2503.11731")]
    assert (entry["source"], entry["submitter"]) == ("submission", "ada")
    again = runner.invoke(app, args, env=env)
    assert again.exit_code == 1 and "already on the list of 2026-03-02" in again.stderr


def test_submit_when_arxiv_cannot_be_reached_says_so(env: dict, replay: ReplayServer) -> None:
    env = {**env, "PAPERWIRE_ARXIV_API_URL": "http://127.0.0.1:9/api/query"}
    result = runner.invoke(app, ["submit", "2503.99999"], env=env)
    assert result.exit_code == 1
    assert "error:" in result.stderr and "127.0.0.1:9" in result.stderr and "Traceback" not in result.output


def test_submit_of_a_paper_arxiv_does_not_have(env: dict, replay: ReplayServer) -> None:
    empty = fixture("arxiv_api_page1.xml").split(b"<entry>")[0] + b"</feed>\n"
    replay.script("/api/query", Reply(200, empty, {"Content-Type": "application/xml"}))
    result = runner.invoke(app, ["submit", "2503.99999"], env=env)
    assert result.exit_code == 1 and "arXiv has no paper 2503.99999" in result.stderr
