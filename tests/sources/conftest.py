"""Fixtures for the live-source tests: a local replay server and fast settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paperwire.config import Settings
from tests.sources.replay import ReplayServer

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    """A started ReplayServer on 127.0.0.1; no proxy is used to reach it."""
    for var in _PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    server = ReplayServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_settings(replay: ReplayServer, tmp_path) -> Settings:
    """Settings whose remote sources are the replay server, with short intervals and timeouts."""
    return Settings(
        home=tmp_path,
        arxiv_api_url=f"{replay.url}/api/query",
        oai_url=f"{replay.url}/oai",
        hf_api_url=f"{replay.url}/api/daily_papers",
        request_interval=0.05,
        http_timeout=0.5,
        http_retries=2,
        arxiv_page_size=3,
        user_agent="paperwire-tests/0",
    )
