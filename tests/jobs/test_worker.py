"""The worker: periodic jobs fire once per period across workers, a failing job does not stop the others,
a job whose worker died is taken over and resumes where it stopped."""

from __future__ import annotations

import functools
import json
import operator
import os
import zlib
from datetime import UTC, date, datetime, timedelta

import numpy as np

from paperwire.application import Paperwire
from paperwire.digest.subscriptions import Preferences, add_subscriber
from paperwire.jobs.worker import Worker, period_key
from paperwire.search.embedder import normalise
from paperwire.search.engine import SearchEngine
from paperwire.sources.jsonl import iter_jsonl
from paperwire.store import jobs as rows
from paperwire.store.embeddings import count_pending
from paperwire.store.state import get_state


class HashEmbedder:
    """A tiny deterministic embedder (hashed words): the tick's embed step without a model's CPU time."""

    name, dim = "test-hash-32", 32

    def embed(self, texts):
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, zlib.crc32(word.encode()) % self.dim] += 1.0
        return normalise(vectors)


NEW = [
    {
        "id": f"2503.9000{i}",
        "title": f"Fresh paper {i} on tokenizers",
        "abstract": "About tokenizers.",
        "authors": ["Ada Lovelace"],
        "categories": ["cs.CL"],
        "published": "2025-03-19",
    }
    for i in range(3)
]


def _results(report) -> dict[str, str]:
    return {o.kind: o.result for o in report.outcomes}


def test_one_period_fetches_embeds_indexes_and_sends(dsettings, dstore, sink) -> None:
    asked: list[tuple[str, date]] = []

    def fetch(category: str, since: date):
        asked.append((category, since))
        return iter_jsonl([json.dumps(p) for p in NEW] if category == "cs.CL" else [], "test", "plain")

    add_subscriber(dstore, "early@example.org", Preferences(top_n=5, authors=("Ada Lovelace",)), confirmed=True)
    settings = dsettings.model_copy(update={"followed_categories": "cs.CL cs.CV", "embedding_model": HashEmbedder.name})
    engine = SearchEngine(settings, dstore, embedder=HashEmbedder())
    looked_up: list[list[str]] = []
    worker = Worker(
        Paperwire(settings, store=dstore, engine=engine), fetch=fetch, lookup=lambda ids: looked_up.append(ids) or []
    )
    report = worker.run_due(datetime(2025, 3, 20, 9, 0, tzinfo=UTC))
    assert report.failed == [], report.outcomes
    assert [o.kind for o in report.outcomes] == ["fetch", "enrich", "embed", "index", "send", "prune"]
    results = _results(report)
    assert [c for c, _ in asked] == ["cs.CL", "cs.CV"] and asked[0][1] == date(2025, 3, 17)
    assert results["fetch"] == "3 new papers, 0 updated"
    # The papers known only from the Hugging Face list are asked for by id (this stand-in knows none of them).
    assert sum(map(len, looked_up)) == 73 and results["enrich"].startswith("asked arXiv for 73 papers, completed 0")
    assert results["embed"].startswith("embedded 376 ")  # 300 + 73 listed on Hugging Face + 3 new
    assert results["send"].startswith("sent 1,")
    [mail] = sink.to("early@example.org")
    text = mail.get_body(("plain",)).get_content()
    assert (
        "Wednesday 19 March 2025" in mail["Subject"]
        and "Fresh paper 0 on tokenizers" in text
        and "by Ada Lovelace" in text
    )
    assert get_state(dstore, "scheduler:arxiv:cs.CL:fetched") == "2025-03-20"
    assert worker.run_due(datetime(2025, 3, 20, 9, 4, tzinfo=UTC)).outcomes == []  # same period: nothing new
    again = worker.run_due(datetime(2025, 3, 20, 10, 0, tzinfo=UTC))
    assert asked[-1][1] == date(2025, 3, 19) and _results(again)["send"].startswith("sent 0,")
    assert _results(again)["embed"] == "nothing to embed"


def test_a_failing_job_is_retried_and_the_others_run(dsettings, dstore, sink) -> None:
    def broken(category: str, since: date):
        raise OSError("network is down")

    add_subscriber(dstore, "r@example.org", Preferences(top_n=1), confirmed=True)

    class BrokenEmbedder(HashEmbedder):
        def embed(self, texts):
            raise RuntimeError("out of GPU memory")

    settings = dsettings.model_copy(update={"followed_categories": "cs.CV", "embedding_model": HashEmbedder.name})
    engine = SearchEngine(settings, dstore, embedder=BrokenEmbedder())
    now = datetime(2025, 3, 19, 9, 0, tzinfo=UTC)
    report = Worker(Paperwire(settings, store=dstore, engine=engine), fetch=broken, lookup=lambda ids: []).run_due(now)
    assert [(o.kind, o.state) for o in report.failed] == [("fetch", "queued"), ("embed", "queued")], report.outcomes
    assert "network is down" in _results(report)["fetch"] and "out of GPU memory" in _results(report)["embed"]
    assert _results(report)["send"].startswith("sent 1,") and len(sink.to("r@example.org")) == 1
    with dstore.read() as conn:
        queued = {j["kind"]: j for j in rows.recent(conn, state="queued")}
    assert queued["fetch"]["run_at"] == now + timedelta(seconds=settings.job_retry_delay)  # retried later
    assert "OSError: network is down" in queued["fetch"]["error"]


def test_periodic_jobs_fire_once_per_period_however_many_workers_plan_them(dsettings, dstore) -> None:
    settings = dsettings.model_copy(update={"scheduler_fetch": False, "scheduler_interval": 600.0})
    workers = [Worker(Paperwire(settings, store=dstore), fetch=lambda c, s: []) for _ in range(3)]
    now = datetime(2026, 11, 29, 10, 7, tzinfo=UTC)
    added = [worker.plan(now) for worker in workers]
    assert added[0] == [f"{k}@2026-11-29T10:00:00+00:00" for k in ("embed", "index", "send")] + [
        "prune@2026-11-29T00:00:00+00:00"
    ]
    assert added[1] == added[2] == []
    later = [worker.plan(now + timedelta(minutes=5)) for worker in workers]  # 10:12: the 10:10 period
    assert sorted(functools.reduce(operator.iadd, later, [])) == [
        f"{k}@2026-11-29T10:10:00+00:00" for k in ("embed", "index", "send")
    ]
    assert period_key("send", now, 600.0) == "send@2026-11-29T10:00:00+00:00"


def test_an_embed_job_whose_worker_died_is_taken_over_and_resumes(dsettings, dstore) -> None:
    """What `kill -9` leaves behind: a running job with a lease and some committed batches."""
    settings = dsettings.model_copy(
        update={
            "embedding_model": HashEmbedder.name,
            "embed_batch_size": 50,
            "scheduler_embed_limit": 10_000,
            "job_lease": 30.0,
        }
    )
    now = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    with dstore.write() as conn:
        job_id = rows.enqueue(conn, "embed", now)
        dead = rows.claim(conn, "dead-worker", now, now + timedelta(seconds=30))
    from paperwire.search.indexer import embed_pending

    embed_pending(dstore, HashEmbedder(), batch_size=50, limit=100)  # the two batches it finished before dying
    calls: list[int] = []

    class CountingEmbedder(HashEmbedder):
        def embed(self, texts):
            calls.append(len(texts))
            return super().embed(texts)

    engine = SearchEngine(settings, dstore, embedder=CountingEmbedder())
    worker = Worker(Paperwire(settings, store=dstore, engine=engine), kinds=["embed"], fetch=lambda c, s: [])
    assert worker.claim(now + timedelta(seconds=20)) is None  # its lease still holds
    report = worker.run_due(now + timedelta(seconds=31))
    taken = [o for o in report.outcomes if o.job_id == job_id]
    assert taken and taken[0].state == "done" and taken[0].result.startswith("embedded 273 of 273")
    assert sum(calls) == 273  # 373 papers: the 100 embedded before the kill are not embedded again
    with dstore.read() as conn:
        assert count_pending(conn, HashEmbedder.name) == 0
        job = next(j for j in rows.recent(conn) if j["id"] == job_id)
    assert (job["state"], job["attempts"]) == ("done", 2) and job["locked_by"] != dead.locked_by


def test_a_large_backlog_is_embedded_in_follow_up_jobs(dsettings, dstore) -> None:
    settings = dsettings.model_copy(
        update={"embedding_model": HashEmbedder.name, "scheduler_embed_limit": 150, "scheduler_fetch": False}
    )
    engine = SearchEngine(settings, dstore, embedder=HashEmbedder())
    report = Worker(Paperwire(settings, store=dstore, engine=engine), kinds=["embed"]).run_due(
        datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    )
    embeds = [o.result.split(" of ")[0] for o in report.outcomes]
    assert embeds == ["embedded 150", "embedded 150", "embedded 73"]
    with dstore.read() as conn:
        assert count_pending(conn, HashEmbedder.name) == 0


def test_a_restarted_worker_takes_over_a_dead_local_workers_job_at_once(dsettings, dstore) -> None:
    """The lease need not run out when the holder was a process of this host that no longer exists."""
    import socket
    import subprocess
    import sys

    from paperwire.jobs.worker import release_dead_local

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    now = datetime.now(UTC)
    with dstore.write() as conn:
        dead_id = rows.enqueue(conn, "index", now)
        rows.claim(conn, f"{socket.gethostname()}:{gone.pid}:abc123", now, now + timedelta(hours=1))
        alive_id = rows.enqueue(conn, "index", now)
        rows.claim(conn, f"{socket.gethostname()}:{os.getppid()}:def456", now, now + timedelta(hours=1))
        other_id = rows.enqueue(conn, "index", now)
        rows.claim(conn, f"elsewhere.example:{gone.pid}:aaa111", now, now + timedelta(hours=1))
    assert release_dead_local(dstore, now) == [dead_id]
    with dstore.write() as conn:
        taken = rows.claim(conn, "new", now, now + timedelta(minutes=1))
    assert taken.id == dead_id and taken.attempts == 2
    assert {alive_id, other_id}.isdisjoint({taken.id})
