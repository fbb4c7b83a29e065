"""`paperwire fetch metadata`: listed papers known only from Hugging Face get arXiv's metadata by id_list, through
the rate-limited client, resumably; ids arXiv does not know are reported and not asked for again."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from paperwire.cli import app
from paperwire.config import Settings
from paperwire.store import Store
from paperwire.store import papers as repo
from tests.sources.replay import ReplayServer, Reply, fixture
from tests.sources.test_fetch_cli import env, xml  # noqa: F401 - the fixture, requested by name

runner = CliRunner()
KNOWN = ["2503.11731", "2503.14502", "2503.13288"]  # the entries of arxiv_api_page1.xml
UNKNOWN = "2503.99999"


def _hf_list(tmp_path: Path) -> Path:
    """A Hugging Face daily list (the archive format) of the three papers and one arXiv does not know."""
    papers = [
        {"date": "2026-03-02", "paper_id": pid, "title": f"Paper {pid}", "authors": ["A. Person"], "upvotes": n}
        for n, pid in enumerate([*KNOWN, UNKNOWN], start=3)
    ]
    path = tmp_path / "hf-2026-03-02.json"
    path.write_text(json.dumps({"date": "2026-03-02", "count": len(papers), "papers": papers}), encoding="utf-8")
    return path


def test_listed_papers_known_only_from_hugging_face_get_arxiv_metadata(
    env: dict,
    settings: Settings,
    replay: ReplayServer,
    tmp_path: Path,
) -> None:
    assert runner.invoke(app, ["ingest", str(_hf_list(tmp_path))], env=env).exit_code == 0
    store = Store.open(settings)
    with store.read() as conn:
        assert repo.listed_without_metadata(conn) == sorted([*KNOWN, UNKNOWN])
    # Page size 3 (the env): the first request asks for three ids, the second for the last one.
    empty = fixture("arxiv_api_page1.xml").split(b"<entry>")[0] + b"</feed>\n"
    replay.script("/api/query", xml("arxiv_api_page1.xml"), Reply(200, empty, {"Content-Type": "application/xml"}))
    result = runner.invoke(app, ["fetch", "metadata", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["asked"], report["completed"], report["not_found"]) == (4, 3, [UNKNOWN])
    asked = [seen.param("id_list") for seen in replay.seen("/api/query")]
    assert asked == [",".join(sorted(KNOWN)), UNKNOWN]
    with store.read() as conn:
        paper = repo.get_paper(conn, "2503.11731")
        listing = repo.load_listings(conn, ["2503.11731"])[(date(2026, 3, 2), "2503.11731")]
        assert repo.listed_without_metadata(conn) == [UNKNOWN]
    assert paper is not None and paper["categories"] and paper["published"] is not None
    assert paper["title"] != "Paper 2503.11731"  # arXiv's own title replaced the second-hand one
    assert listing["source_upvotes"] == 3  # the listing and its votes are kept
    # Resumable: nothing is asked again; the unknown id only with --retry-missing.
    again = runner.invoke(app, ["fetch", "metadata"], env=env)
    assert again.exit_code == 0 and "asked arXiv for 0 papers" in again.stdout
    assert len(replay.seen("/api/query")) == 2
    replay.script("/api/query", Reply(200, empty, {"Content-Type": "application/xml"}))
    retried = runner.invoke(app, ["fetch", "metadata", "--retry-missing"], env=env)
    assert retried.exit_code == 0 and "1 unknown to arXiv (2503.99999)" in retried.stdout
    store.close()


def test_a_limit_leaves_the_rest_for_a_later_run(
    env: dict,
    settings: Settings,
    replay: ReplayServer,
    tmp_path: Path,
) -> None:
    assert runner.invoke(app, ["ingest", str(_hf_list(tmp_path))], env=env).exit_code == 0
    replay.script("/api/query", xml("arxiv_api_page1.xml"))
    result = runner.invoke(app, ["fetch", "metadata", "--limit", "2"], env=env)
    assert result.exit_code == 0, result.output
    assert "asked arXiv for 2 papers, completed 2" in result.stdout and "2 left for a later run" in result.stdout


def test_arxiv_unreachable_is_a_clear_error(env: dict, tmp_path: Path) -> None:
    assert runner.invoke(app, ["ingest", str(_hf_list(tmp_path))], env=env).exit_code == 0
    result = runner.invoke(app, ["fetch", "metadata"], env={**env, "PAPERWIRE_ARXIV_API_URL": "http://127.0.0.1:9/q"})
    assert result.exit_code == 1 and "error:" in result.stderr and "Traceback" not in result.output
