"""Thumbnails of listed papers end to end: PDFs written in the test, served by a real local HTTP server, fetched
through the polite client, drawn by PDFium, kept under the home; failures reported and recorded, not fatal."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image
from typer.testing import CliRunner

from paperwire.application import Paperwire
from paperwire.cli import app as cli
from paperwire.config import Settings
from paperwire.jobs.worker import Worker, periods
from paperwire.papers.thumbnails import FAILURES_IN_A_ROW, HEIGHT, WIDTH, make_thumbnails, render_first_page
from paperwire.store import Store
from paperwire.store import thumbnails as files
from tests.papers.pdfs import broken_pdf, one_page_pdf
from tests.sources.conftest import replay  # noqa: F401 - the fixture, used by name
from tests.sources.replay import ReplayServer, Reply
from tests.web.feed_helpers import add_paper

GOOD = "2602.00001"  # listed 2026-02-03, a good PDF
BROKEN = "2602.00002"  # listed 2026-02-04 (the newest list), a PDF that PDFium cannot open
MISSING = "2602.00003"  # listed 2026-02-02, 404
HTML = "2602.00004"  # listed 2026-02-01, an HTML page instead of a PDF
UNLISTED = "2602.00009"  # on no list: never fetched
NOW = datetime(2026, 2, 5, 12, tzinfo=UTC)


def pdf(body: bytes) -> Reply:
    return Reply(200, body, {"Content-Type": "application/pdf"})


@pytest.fixture
def fast(settings: Settings, replay: ReplayServer) -> Settings:
    """The test's database, PDFs from the local server, a short request interval and no retry waits."""
    return settings.model_copy(
        update={
            "arxiv_pdf_url": f"{replay.url}/pdf",
            "request_interval": 0.01,
            "http_timeout": 2.0,
            "http_retries": 0,
            "user_agent": "paperwire-tests/0",
        }
    )


@pytest.fixture
def papers(fast: Settings, store: Store) -> Paperwire:
    for pid, day in ((GOOD, 3), (BROKEN, 4), (MISSING, 2), (HTML, 1)):
        add_paper(store, pid, f"Paper {pid}", day=date(2026, 2, day))
    add_paper(store, UNLISTED, "Not on any list")
    return Paperwire(fast, store=store)


def script_all(replay: ReplayServer) -> None:
    replay.script(f"/pdf/{GOOD}", pdf(one_page_pdf("Good paper")))
    replay.script(f"/pdf/{BROKEN}", pdf(broken_pdf()))
    replay.script(f"/pdf/{MISSING}", Reply(404, b"Not Found"))
    replay.script(f"/pdf/{HTML}", Reply(200, b"<html>PDF being generated</html>", {"Content-Type": "text/html"}))


def test_render_draws_the_first_page_at_the_thumbnail_size() -> None:
    image = Image.open(io.BytesIO(render_first_page(one_page_pdf())))
    assert image.format == "WEBP" and image.size == (WIDTH, HEIGHT)
    # The blue box (72..272 x 72..172 points from the bottom left of 612 x 792) lands at 37..142 x 324..376 px.
    red, green, blue = image.getpixel((90, 350))
    assert blue > 200 and red < 60 and green < 60
    assert image.getpixel((300, 10)) == (255, 255, 255)


def test_a_landscape_page_is_padded_and_a_tall_one_cut() -> None:
    for width, height in ((792, 612), (612, 2000)):
        image = Image.open(io.BytesIO(render_first_page(one_page_pdf(width=width, height=height))))
        assert image.size == (WIDTH, HEIGHT)


def test_a_run_makes_listed_thumbnails_and_reports_each_failure(papers: Paperwire, replay: ReplayServer) -> None:
    script_all(replay)
    seen_failures = []
    report = make_thumbnails(papers, now=NOW, on_failure=seen_failures.append)

    assert report.made == 1 and report.existing == 0
    reasons = {f.arxiv_id: f.reason for f in report.failed}
    assert set(reasons) == {BROKEN, MISSING, HTML} and seen_failures == report.failed
    assert "cannot draw the first page" in reasons[BROKEN]
    assert "HTTP 404" in reasons[MISSING]
    assert reasons[HTML].startswith("not a PDF (text/html")
    # Newest list first; the unlisted paper is never asked for; one polite client for the run.
    assert [s.path for s in replay.seen()] == [f"/pdf/{p}" for p in (BROKEN, GOOD, MISSING, HTML)]
    assert not any(UNLISTED in s.path for s in replay.seen())
    assert replay.seen()[0].headers["User-Agent"] == "paperwire-tests/0"

    image = Image.open(files.path_of(papers.settings, GOOD))
    assert image.format == "WEBP" and image.size == (WIDTH, HEIGHT)
    assert sorted(p.name for p in files.folder(papers.settings).iterdir()) == [f"{GOOD}.webp"]  # no temporary left
    with papers.store.read() as conn:
        recorded = files.failures(conn)
    assert {pid: f.reason for pid, f in recorded.items()} == reasons
    assert all(f.attempts == 1 for f in recorded.values())


def test_a_second_run_skips_made_and_recently_failed_papers(papers: Paperwire, replay: ReplayServer) -> None:
    script_all(replay)
    make_thumbnails(papers, now=NOW)
    before = len(replay.seen())
    made = files.path_of(papers.settings, GOOD).stat().st_mtime_ns

    again = make_thumbnails(papers, now=NOW + timedelta(hours=1))
    assert (again.made, again.failed, again.existing, again.waiting) == (0, [], 1, 3)
    assert len(replay.seen()) == before  # nothing fetched
    assert files.path_of(papers.settings, GOOD).stat().st_mtime_ns == made


def test_a_failed_paper_is_tried_again_after_the_retry_time_and_cleared_once_made(
    papers: Paperwire,
    replay: ReplayServer,
) -> None:
    script_all(replay)
    make_thumbnails(papers, now=NOW)
    replay.script(f"/pdf/{BROKEN}", pdf(one_page_pdf("Fixed")))  # the others get the server's 404

    later = make_thumbnails(papers, now=NOW + timedelta(hours=papers.settings.thumbnail_retry_hours + 1))
    assert later.made == 1 and {f.arxiv_id for f in later.failed} == {MISSING, HTML}
    with papers.store.read() as conn:
        recorded = files.failures(conn)
    assert set(recorded) == {MISSING, HTML} and {f.attempts for f in recorded.values()} == {2}
    assert files.path_of(papers.settings, BROKEN).is_file()

    # Twice failed: the wait doubles, unless asked to retry now.
    waiting = make_thumbnails(papers, now=NOW + timedelta(hours=papers.settings.thumbnail_retry_hours * 2 + 2))
    assert waiting.waiting == 2 and not waiting.failed
    forced = make_thumbnails(papers, now=NOW + timedelta(hours=50), retry_failed=True)
    assert {f.arxiv_id for f in forced.failed} == {MISSING, HTML}


def test_the_limit_leaves_the_rest_for_the_next_run(papers: Paperwire, replay: ReplayServer) -> None:
    script_all(replay)
    progress: list[tuple[int, int]] = []
    first = make_thumbnails(papers, now=NOW, limit=2, on_progress=lambda done, total: progress.append((done, total)))
    assert first.made + len(first.failed) == 2 and first.left == 2
    assert progress == [(0, 2), (1, 2), (2, 2)]
    rest = make_thumbnails(papers, now=NOW, limit=2)
    assert [s.path for s in replay.seen()][2:] == [f"/pdf/{MISSING}", f"/pdf/{HTML}"] and rest.left == 0


def test_the_worker_runs_the_thumbnails_job_when_it_is_switched_on(papers: Paperwire, replay: ReplayServer) -> None:
    assert "thumbnails" not in periods(papers.settings)  # off by default: it downloads from arXiv
    switched_on = papers.settings.model_copy(update={"scheduler_thumbnails": True, "scheduler_thumbnail_limit": 1})
    assert "thumbnails" in periods(switched_on)
    replay.script(f"/pdf/{BROKEN}", pdf(one_page_pdf()))

    worker = Worker(Paperwire(switched_on, store=papers.store), kinds=["thumbnails"])
    report = worker.run_due(NOW)
    assert [(o.kind, o.state) for o in report.outcomes] == [("thumbnails", "done")]
    assert report.outcomes[0].result == "1 thumbnails made, 0 failed, 0 already there, 3 left for the next run"
    assert files.path_of(switched_on, BROKEN).is_file()
    assert not worker.run_due(NOW).outcomes  # once per period


def test_the_cli_shows_progress_failures_and_a_summary(papers: Paperwire, replay: ReplayServer) -> None:
    script_all(replay)
    settings = papers.settings
    env = {
        "PAPERWIRE_HOME": str(settings.home),
        "PAPERWIRE_DATABASE_URL": settings.database_url or "",
        "PAPERWIRE_ARXIV_PDF_URL": settings.arxiv_pdf_url,
        "PAPERWIRE_REQUEST_INTERVAL": "0.01",
        "PAPERWIRE_HTTP_RETRIES": "0",
    }
    result = CliRunner().invoke(cli, ["thumbnails", "--limit", "3"], env=env)
    assert result.exit_code == 0, result.output
    assert f"failed {BROKEN}: cannot draw the first page" in result.output
    assert f"failed {MISSING}: GET " in result.output and "HTTP 404" in result.output
    assert "1 thumbnails made, 2 failed, 0 already there, 1 left for the next run" in result.output

    result = CliRunner().invoke(cli, ["thumbnails", "--json", "--retry-failed"], env=env)
    assert result.exit_code == 4, result.output  # every PDF tried failed
    summary = json.loads(result.stdout)
    assert summary["made"] == 0 and summary["existing"] == 1
    assert {f["id"]: f["attempts"] for f in summary["failed"]} == {BROKEN: 2, MISSING: 2, HTML: 1}


def test_a_run_stops_after_failures_in_a_row_instead_of_marking_every_paper(
    fast: Settings, store: Store, replay: ReplayServer
) -> None:
    ids = [f"2602.{n:05d}" for n in range(10, 10 + FAILURES_IN_A_ROW + 2)]
    for pid in ids:
        add_paper(store, pid, f"Paper {pid}", day=date(2026, 2, 3))
    report = make_thumbnails(Paperwire(fast, store=store), now=NOW)  # the server answers 404 to every one
    assert len(report.failed) == FAILURES_IN_A_ROW and report.left == 2 and report.made == 0
    assert report.stopped is not None and report.stopped.startswith(f"{FAILURES_IN_A_ROW} failures in a row")
    assert len(replay.seen()) == FAILURES_IN_A_ROW
    with store.read() as conn:
        assert len(files.failures(conn)) == FAILURES_IN_A_ROW  # the other two are not marked
