"""The scheduler: one tick fetches, embeds, indexes and sends; a failing step does not stop the others."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, date, datetime

import numpy as np

from paperwire.digest.schedule import Scheduler
from paperwire.digest.subscriptions import Preferences, add_subscriber
from paperwire.search.embedder import normalise
from paperwire.search.engine import SearchEngine
from paperwire.sources.jsonl import iter_jsonl
from paperwire.store.state import get_state

class HashEmbedder:
    """A tiny deterministic embedder (hashed words): the tick's embed step without a model's CPU time."""

    name, dim = "test-hash-32", 32

    def embed(self, texts):  # noqa: ANN001, ANN201
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                vectors[row, zlib.crc32(word.encode()) % self.dim] += 1.0
        return normalise(vectors)


NEW = [{"id": f"2503.9000{i}", "title": f"Fresh paper {i} on tokenizers", "abstract": "About tokenizers.",
        "authors": ["Ada Lovelace"], "categories": ["cs.CL"], "published": "2025-03-19"} for i in range(3)]  # fmt: skip


def test_one_tick(dsettings, dstore, sink) -> None:
    asked: list[tuple[str, date]] = []

    def fetch(category: str, since: date):  # noqa: ANN202 - stands in for the arXiv API
        asked.append((category, since))
        return iter_jsonl([json.dumps(p) for p in NEW] if category == "cs.CL" else [], "test", "plain")

    add_subscriber(dstore, "early@example.org", Preferences(top_n=5, authors=("Ada Lovelace",)), confirmed=True)
    settings = dsettings.model_copy(update={"followed_categories": "cs.CL cs.CV", "embedding_model": HashEmbedder.name})
    engine = SearchEngine(settings, dstore, embedder=HashEmbedder())
    scheduler = Scheduler(settings, dstore, engine, fetch=fetch)
    report = scheduler.tick(datetime(2025, 3, 20, 9, 0, tzinfo=UTC))
    assert report.failed == [], report.steps
    assert [c for c, _ in asked] == ["cs.CL", "cs.CV"] and asked[0][1] == date(2025, 3, 17)
    assert report.steps["fetch"] == "3 new papers, 0 updated"
    assert report.steps["embed"].startswith("embedded 376 ")  # 300 + 73 listed on Hugging Face + 3 new
    assert report.steps["send"].startswith("sent 1,")
    [mail] = sink.to("early@example.org")
    text = mail.get_body(("plain",)).get_content()
    assert "Wednesday 19 March 2025" in mail["Subject"] and "Fresh paper 0 on tokenizers" in text and "by Ada Lovelace" in text
    assert get_state(dstore, "scheduler:arxiv:cs.CL:fetched") == "2025-03-20"
    again = scheduler.tick(datetime(2025, 3, 20, 10, 0, tzinfo=UTC))
    assert asked[-1][1] == date(2025, 3, 19) and again.steps["send"].startswith("sent 0,")
    assert again.steps["embed"] == "nothing to embed"


def test_a_failing_step_is_logged_and_the_others_run(dsettings, dstore, sink) -> None:
    def broken(category: str, since: date):  # noqa: ANN202
        raise OSError("network is down")

    add_subscriber(dstore, "r@example.org", Preferences(top_n=1), confirmed=True)
    class BrokenEmbedder(HashEmbedder):
        def embed(self, texts):  # noqa: ANN001, ANN201
            raise RuntimeError("out of GPU memory")

    settings = dsettings.model_copy(update={"followed_categories": "cs.CV", "embedding_model": HashEmbedder.name})
    engine = SearchEngine(settings, dstore, embedder=BrokenEmbedder())
    report = Scheduler(settings, dstore, engine, fetch=broken).tick(datetime(2025, 3, 19, 9, 0, tzinfo=UTC))
    assert report.failed == ["fetch", "embed"], report.steps
    assert "network is down" in report.steps["fetch"] and "out of GPU memory" in report.steps["embed"]
    assert report.steps["send"].startswith("sent 1,") and len(sink.to("r@example.org")) == 1
