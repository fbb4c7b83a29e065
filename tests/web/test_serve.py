"""A real `paperwire serve --workers 2`: several processes answer, and /metrics on any of them counts them all."""

from __future__ import annotations

import os

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.serving import served

pytestmark = pytest.mark.slow  # two real web worker processes: about 14 s


def _requests_counted(text: str, route: str) -> float:
    return sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "paperwire_http_request_duration_seconds_count" and s.labels.get("route") == route
    )


def test_two_web_workers_report_their_requests_together(tmp_path) -> None:
    env = os.environ | {"PAPERWIRE_HOME": str(tmp_path), "PAPERWIRE_SCHEDULER_ENABLED": "false"}
    env.pop("PAPERWIRE_DATABASE_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with served(env, "--workers", "2") as base:
        with httpx.Client(base_url=base, timeout=30) as one_connection_each:
            for _ in range(30):
                assert one_connection_each.get("/api/daily_papers", headers={"Connection": "close"}).status_code == 200
        scrapes = [httpx.get(f"{base}/metrics", headers={"Connection": "close"}, timeout=30).text for _ in range(6)]
        assert [_requests_counted(text, "/api/daily_papers") for text in scrapes] == [30.0] * 6


def test_served_links_use_the_served_port_in_every_worker(tmp_path) -> None:
    """With no PAPERWIRE_SITE_URL, the feeds a worker writes link to the port `serve --port` listens on."""
    env = os.environ | {"PAPERWIRE_HOME": str(tmp_path), "PAPERWIRE_SCHEDULER_ENABLED": "false"}
    for name in ("PAPERWIRE_DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR", "PAPERWIRE_SITE_URL"):
        env.pop(name, None)
    with served(env, "--workers", "2") as base:
        for _ in range(4):
            feed = httpx.get(f"{base}/feeds/daily.atom", headers={"Connection": "close"}, timeout=30)
            assert feed.status_code == 200
            assert f'href="{base}/' in feed.text and "127.0.0.1:8000" not in feed.text
