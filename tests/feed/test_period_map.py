"""A period's map: drawn from the papers of both lists, cached, redrawn when the papers change, drawn by a job when
the period is large (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from paperwire.application import Paperwire
from paperwire.errors import InvalidInput
from paperwire.feed import period_map
from paperwire.feed.lists import Period
from paperwire.jobs.worker import Worker
from paperwire.papers.load import ingest_paths
from paperwire.search.indexer import import_vectors
from paperwire.store import embeddings as vectors_repo
from paperwire.store import field_maps
from paperwire.store.schema import jobs, papers
from tests.feed import map_papers
from tests.web.feed_helpers import add_paper

DAY = date(2025, 3, 18)
WEEK = Period.week_of(DAY)


@pytest.fixture
def week_store(store, settings, tmp_path):
    """The two-topic papers of 2025-03-18 (New on arXiv of that week, cs.CV) with their real vectors."""
    rows, _ = map_papers.two_topics()
    ingest_paths(store, [map_papers.write_jsonl(rows, tmp_path / "two-topics.jsonl")])
    import_vectors(store, map_papers.VECTORS, settings.embedding_model)
    return store


def _give_vector(store, settings, pid: str, like: str) -> None:
    """Store for `pid` the fixture vector of paper `like` (tied to `pid`'s current metadata)."""
    with store.write() as conn:
        content_hash = conn.execute(sa.select(papers.c.content_hash).where(papers.c.id == pid)).scalar_one()
        vector = map_papers.fixture_vectors([like])
        vectors_repo.save_vectors(conn, settings.embedding_model, [{"id": pid, "content_hash": content_hash}], vector)


def _map_jobs(store) -> list[dict]:
    with store.read() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(jobs).where(jobs.c.kind == "field_map"))]


def test_a_small_period_is_drawn_at_once_and_then_read_from_the_cache(week_store, settings) -> None:
    rows, _ = map_papers.two_topics()
    shown = period_map.period_map(week_store, settings, WEEK, settings.embedding_model)
    assert shown.current and not shown.queued and shown.drawn is not None
    assert set(shown.drawn.ids) == {row["id"] for row in rows} == {item.id for item in shown.items}
    assert shown.drawn.key == period_map.papers_key([row["id"] for row in rows])
    cached = field_maps.path_of(settings, WEEK.key)
    written = cached.stat().st_mtime_ns
    again = period_map.period_map(week_store, settings, WEEK, settings.embedding_model)
    assert again.current and again.drawn is not None and cached.stat().st_mtime_ns == written
    assert np.allclose(again.drawn.coords, shown.drawn.coords, atol=1e-4)
    assert not _map_jobs(week_store)


def test_the_map_is_redrawn_when_the_papers_change(week_store, settings) -> None:
    first = period_map.period_map(week_store, settings, WEEK, settings.embedding_model).drawn
    add_paper(week_store, "2503.19999", "A late paper on splats", categories=("cs.CV",), published=DAY)
    _give_vector(week_store, settings, "2503.19999", like=first.ids[0])
    second = period_map.period_map(week_store, settings, WEEK, settings.embedding_model)
    assert second.current and "2503.19999" in second.drawn.ids and second.drawn.key != first.key
    assert period_map.cached(settings, WEEK).key == second.drawn.key


def test_papers_without_a_vector_are_listed_and_placed_once_they_have_one(week_store, settings) -> None:
    add_paper(week_store, "2503.19998", "Not embedded yet", categories=("cs.CV",), published=DAY)
    shown = period_map.period_map(week_store, settings, WEEK, settings.embedding_model)
    assert shown.drawn.missing == ("2503.19998",) and "2503.19998" not in shown.drawn.ids
    assert period_map.period_map(week_store, settings, WEEK, settings.embedding_model).drawn.missing  # still none
    _give_vector(week_store, settings, "2503.19998", like=shown.drawn.ids[0])
    placed = period_map.period_map(week_store, settings, WEEK, settings.embedding_model).drawn
    assert placed.missing == () and "2503.19998" in placed.ids


def test_a_large_period_is_drawn_by_a_job_and_the_old_map_shown_meanwhile(week_store, settings) -> None:
    model = settings.embedding_model
    waiting = period_map.period_map(week_store, settings, WEEK, model, inline_limit=5)
    assert waiting.queued and waiting.drawn is None and len(waiting.items) > 5
    period_map.period_map(week_store, settings, WEEK, model, inline_limit=5)  # asked again: still one job
    (job,) = _map_jobs(week_store)
    assert job["payload"] == {"period": "week", "key": WEEK.key} and job["state"] == "queued"

    app = Paperwire(settings, store=week_store)
    report = Worker(app, kinds=["field_map"]).run_due(datetime.now(UTC))
    assert [(o.kind, o.state) for o in report.outcomes] == [("field_map", "done")], report.outcomes
    assert report.outcomes[0].result.startswith(f"{WEEK.key}: {len(waiting.items)} papers, 2 clusters")
    done = period_map.period_map(week_store, settings, WEEK, model, inline_limit=5)
    assert done.current and not done.queued and len(done.drawn.ids) == len(waiting.items)

    add_paper(week_store, "2503.19997", "Another late paper", categories=("cs.CV",), published=DAY)
    stale = period_map.period_map(week_store, settings, WEEK, model, inline_limit=5)
    assert stale.queued and not stale.current and stale.drawn.key == done.drawn.key  # the previous map meanwhile
    assert len(_map_jobs(week_store)) == 2


def test_a_job_without_a_period_draws_the_latest_week_and_month(week_store, settings) -> None:
    app = Paperwire(settings, store=week_store)
    with week_store.write() as conn:
        conn.execute(
            jobs.insert().values(
                kind="field_map", state="queued", run_at=datetime.now(UTC), created_at=datetime.now(UTC), payload={}
            )
        )
    (outcome,) = Worker(app, kinds=["field_map"]).run_due(datetime.now(UTC)).outcomes
    assert outcome.state == "done" and "2025-W12: " in outcome.result and "2025-03: " in outcome.result
    assert period_map.cached(settings, Period.month_of(DAY)) is not None


def test_period_of_job() -> None:
    assert period_map.period_of_job({"period": "month", "key": "2025-03"}) == Period.month_of(DAY)
    assert period_map.period_of_job({"period": "date", "key": "2025-03-18"}) == Period.day(DAY)
    with pytest.raises(InvalidInput):
        period_map.period_of_job({"period": "year", "key": "2025"})
    with pytest.raises(InvalidInput):
        period_map.period_of_job({"period": "week", "key": "2025-W99"})


def test_a_job_that_failed_for_good_is_reported_not_asked_again(week_store, settings) -> None:
    model = settings.embedding_model
    period_map.period_map(week_store, settings, WEEK, model, inline_limit=5)
    (job,) = _map_jobs(week_store)
    with week_store.write() as conn:
        conn.execute(jobs.update().where(jobs.c.id == job["id"]).values(state="failed", error="out of memory"))
    shown = period_map.period_map(week_store, settings, WEEK, model, inline_limit=5)
    assert shown.failed == job["id"] and not shown.queued and shown.drawn is None
    assert len(_map_jobs(week_store)) == 1


def test_a_cached_file_that_is_not_a_map_counts_as_none(tmp_path) -> None:
    from paperwire.config import load_settings

    settings = load_settings(home=tmp_path / "home")
    field_maps.write_map(settings, WEEK.key, {"key": "abc"})  # no ids, no coordinates
    assert period_map.cached(settings, WEEK) is None
    field_maps.write_map(
        settings, WEEK.key, {"key": "abc", "ids": ["x"], "coords": [[0.1]], "clusters": [0], "labels": []}
    )
    assert period_map.cached(settings, WEEK) is None  # a point needs two coordinates
    field_maps.write_map(settings, WEEK.key, {"ids": ["x", "y"], "coords": [[0.1, 0.2]], "clusters": [0], "labels": []})
    assert period_map.cached(settings, WEEK) is None  # a point for each paper
