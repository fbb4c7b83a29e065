"""Operations endpoints: readiness with its reasons, Prometheus metrics by route template, search mode and outcome."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from paperwire.config import Settings
from paperwire.mail import Mailer, MailUnavailable
from paperwire.papers.load import ingest_paths
from paperwire.store import Store
from paperwire.store.database import make_engine
from paperwire.web.deps import paperwire_of
from tests.conftest import FIXTURES, SmtpSink


def _total(name: str, **labels: str) -> float:
    """Sum of a metric's samples whose labels include `labels` (metrics are process-wide, so tests compare deltas)."""
    return sum(
        sample.value
        for family in REGISTRY.collect()
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


@pytest.fixture
def local(app) -> Iterator[TestClient]:
    """A client on the loopback address: the only one /metrics answers without a token (the default)."""
    with TestClient(app, client=("127.0.0.1", 50000)) as test_client:
        yield test_client


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_ready_with_database_and_index_sizes(client, site_store: Store) -> None:
    with site_store.read() as conn:
        papers = conn.execute(sa.text("SELECT count(*) FROM papers")).scalar()
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["database"] == "ok"
    assert body["indexes"] == {"keyword": papers, "vectors": 300}  # HF list papers have no vectors
    assert client.get("/healthz").text == "ok"


@pytest.mark.parametrize(
    "url", ["sqlite:///{tmp}/missing/folder/paperwire.db", "postgresql+psycopg://nobody@127.0.0.1:{port}/x"]
)
def test_unreachable_database_is_503_with_the_reason(app, client, url: str, tmp_path: Path) -> None:
    broken = Store(make_engine(url.format(tmp=tmp_path, port=_closed_port())))
    paperwire_of(app).store = broken
    try:
        response = client.get("/readyz")
    finally:
        broken.close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"] == "unreachable"
    assert body["reason"].startswith("database unreachable at ")
    assert "indexes" not in body


def test_indexes_that_fail_to_load_are_503(app, client, monkeypatch) -> None:
    def fail(**_kwargs) -> dict[str, int]:
        raise OSError("index folder is not readable")

    monkeypatch.setattr(paperwire_of(app).engine, "sync", fail)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "reason": "search indexes not loaded: index folder is not readable",
    }


def test_request_latency_by_route_template_method_and_status(client, local) -> None:
    name = "paperwire_http_request_duration_seconds_count"
    template = {"route": "/api/papers/{paper_id}", "method": "GET"}
    ok, missing = _total(name, **template, status="200"), _total(name, **template, status="404")
    unmatched = _total(name, route="unmatched", status="404")
    metrics_before = _total(name, route="/metrics")
    assert client.get("/api/papers/2503.11731").status_code == 200
    assert client.get("/api/papers/2503.11742").status_code == 200
    assert client.get("/api/papers/2503.99999").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    response = local.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert _total(name, **template, status="200") == ok + 2
    assert _total(name, **template, status="404") == missing + 1
    assert _total(name, route="unmatched", status="404") == unmatched + 1
    assert _total(name, route="/metrics") == metrics_before == 0  # /metrics does not time itself
    exposed = {s.labels.get("route") for f in text_string_to_metric_families(response.text) for s in f.samples}
    assert "/api/papers/{paper_id}" in exposed and "/api/papers/2503.11731" not in exposed


def test_search_latency_by_mode(client, local) -> None:
    name = "paperwire_search_duration_seconds_count"
    before = {mode: _total(name, mode=mode) for mode in ("keyword", "semantic", "hybrid")}
    for mode in ("keyword", "semantic", "hybrid"):
        assert client.get("/api/papers/search", params={"q": "language model", "mode": mode}).status_code == 200
    assert client.get("/api/papers/search", params={"q": "cat:cs.CL", "mode": "keyword"}).status_code == 200
    assert {mode: _total(name, mode=mode) - before[mode] for mode in before} == {
        "keyword": 2,
        "semantic": 1,
        "hybrid": 1,
    }
    assert "paperwire_search_duration_seconds_bucket" in local.get("/metrics").text


def test_emails_sent_and_failed(site_settings: Settings, smtp: SmtpSink) -> None:
    sent, failed = _total("paperwire_emails_total", outcome="sent"), _total("paperwire_emails_total", outcome="failed")
    mailer = Mailer(site_settings)
    mailer.send(mailer.message("reader@example.org", "hello", "text"))
    assert len(smtp.to("reader@example.org")) == 1
    down = Mailer(site_settings.model_copy(update={"smtp_port": _closed_port()}), timeout=2)
    with pytest.raises(MailUnavailable):
        down.send(down.message("reader@example.org", "hello", "text"))
    assert _total("paperwire_emails_total", outcome="sent") == sent + 1
    assert _total("paperwire_emails_total", outcome="failed") == failed + 1


def test_ingest_counts_added_and_updated(store: Store) -> None:
    name = "paperwire_papers_ingested_total"
    added, updated = _total(name, outcome="added"), _total(name, outcome="updated")
    first = ingest_paths(store, [FIXTURES / "snapshot-first200.jsonl"])
    assert _total(name, outcome="added") == added + first.added == added + 200
    again = ingest_paths(store, [FIXTURES / "snapshot-first200.jsonl"])
    assert again.added == 0 and _total(name, outcome="added") == added + 200
    assert _total(name, outcome="updated") == updated + first.updated + again.updated


def test_job_queue_depth_is_read_from_the_database_at_each_scrape(local, site_store: Store) -> None:
    from datetime import UTC, datetime, timedelta

    from paperwire.store import jobs as rows

    def depth(text: str) -> dict[tuple[str, str], float]:
        return {
            (s.labels["kind"], s.labels["state"]): s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
            if s.name == "paperwire_jobs"
        }

    now = datetime.now(UTC)
    with site_store.write() as conn:
        rows.enqueue(conn, "send", now)
        rows.enqueue(conn, "send", now)
        rows.enqueue(conn, "embed", now + timedelta(hours=1))
    assert depth(local.get("/metrics").text) == {("send", "queued"): 2, ("embed", "waiting"): 1}
    with site_store.write() as conn:
        rows.claim(conn, "w", now, now + timedelta(minutes=1))
    assert depth(local.get("/metrics").text) == {("send", "queued"): 1, ("send", "running"): 1, ("embed", "waiting"): 1}


def test_embedded_papers_are_counted_by_model(store: Store) -> None:
    import numpy as np

    from paperwire.search.indexer import embed_pending

    class Tiny:
        name, dim = "tiny-4", 4

        def embed(self, texts):
            return np.tile(np.array([[1.0, 0, 0, 0]], dtype=np.float32), (len(texts), 1))

    before = _total("paperwire_papers_embedded_total", model="tiny-4")
    ingest_paths(store, [FIXTURES / "snapshot-first200.jsonl"])
    embed_pending(store, Tiny(), batch_size=64, limit=150)
    assert _total("paperwire_papers_embedded_total", model="tiny-4") == before + 150
