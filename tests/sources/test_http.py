"""PoliteClient against a real local server: spacing, one connection, retries, Retry-After, timeouts."""

from __future__ import annotations

import itertools
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from paperwire.config import Settings
from paperwire.errors import MalformedDocument, SourceUnavailable
from paperwire.sources.http import PoliteClient, parse_retry_after
from tests.sources.replay import ReplayServer, Reply

OK = Reply(200, b"ok")
SLACK = 0.01  # the first request's TCP connect can make the first arrival gap slightly short


def settings(**overrides: object) -> Settings:
    base: dict[str, object] = {"request_interval": 0.05, "http_timeout": 0.5, "http_retries": 2}
    base.update(overrides)
    return Settings(**base)


def gaps(replay: ReplayServer) -> list[float]:
    times = [seen.at for seen in replay.seen()]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_request_interval_is_enforced_between_requests(replay: ReplayServer) -> None:
    replay.script("/x", *[OK] * 4)
    with PoliteClient(settings(request_interval=0.2)) as client:
        for _ in range(4):
            assert client.get(f"{replay.url}/x").text == "ok"
    assert len(replay.seen()) == 4
    assert all(gap >= 0.2 - SLACK for gap in gaps(replay)), gaps(replay)
    assert all(gap < 0.6 for gap in gaps(replay)), gaps(replay)


def test_sequence_of_requests_uses_one_connection_and_sends_user_agent(replay: ReplayServer) -> None:
    replay.script("/a", *[OK] * 3)
    replay.script("/b", *[OK] * 2)
    with PoliteClient(settings(user_agent="paperwire-test/1.0")) as client:
        for path in ["/a", "/b", "/a", "/b", "/a"]:
            client.get(f"{replay.url}{path}", {"q": "x"})
    seen = replay.seen()
    assert len(seen) == 5
    assert len({s.client_port for s in seen}) == 1
    assert {s.headers.get("User-Agent") for s in seen} == {"paperwire-test/1.0"}
    assert seen[0].param("q") == "x"
    assert replay.unexpected == []


def test_429_then_success_is_retried(replay: ReplayServer) -> None:
    replay.script("/x", Reply(429, b"slow down"), OK)
    with PoliteClient(settings(), backoff_base=0.05) as client:
        response = client.get(f"{replay.url}/x")
    assert response.status_code == 200
    assert len(replay.seen("/x")) == 2


@pytest.mark.parametrize("status", [500, 502, 504])
def test_transient_5xx_then_success_is_retried(replay: ReplayServer, status: int) -> None:
    replay.script("/x", Reply(status), OK)
    with PoliteClient(settings(), backoff_base=0.01) as client:
        assert client.get(f"{replay.url}/x").status_code == 200
    assert len(replay.seen("/x")) == 2


def test_503_retry_after_seconds_is_honoured(replay: ReplayServer) -> None:
    replay.script("/x", Reply(503, b"busy", {"Retry-After": "1"}), OK)
    with PoliteClient(settings(), backoff_base=0.01) as client:
        assert client.get(f"{replay.url}/x").text == "ok"
    [gap] = gaps(replay)
    assert 1.0 - SLACK <= gap < 1.8


def test_retry_after_is_capped(replay: ReplayServer) -> None:
    replay.script("/x", Reply(503, headers={"Retry-After": "3600"}), OK)
    with PoliteClient(settings(), backoff_base=0.01, max_retry_after=0.1) as client:
        assert client.get(f"{replay.url}/x").text == "ok"
    [gap] = gaps(replay)
    assert 0.1 - SLACK <= gap < 0.8


def test_parse_retry_after_forms() -> None:
    now = datetime(2025, 3, 14, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after("Fri, 14 Mar 2025 11:00:00 GMT", now) == 0.0  # in the past: go now
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def test_timeout_then_success(replay: ReplayServer) -> None:
    replay.script("/slow", Reply(200, b"late", delay=0.8), Reply(200, b"fast"))
    with PoliteClient(settings(http_timeout=0.3), backoff_base=0.01) as client:
        assert client.get(f"{replay.url}/slow").text == "fast"
    assert len(replay.seen("/slow")) == 2


def test_retries_exhausted_raise_source_unavailable_naming_url_and_status(replay: ReplayServer) -> None:
    replay.script("/x", *[Reply(503, b"down")] * 3)
    with (
        PoliteClient(settings(http_retries=2), backoff_base=0.01) as client,
        pytest.raises(SourceUnavailable) as caught,
    ):
        client.get(f"{replay.url}/x", {"id": "2503.11731"})
    message = str(caught.value)
    assert "\n" not in message
    assert f"{replay.url}/x?id=2503.11731" in message
    assert "HTTP 503" in message and "3 attempts" in message
    assert len(replay.seen("/x")) == 3
    assert caught.value.status == 502


def test_other_4xx_is_not_retried(replay: ReplayServer) -> None:
    replay.script("/missing", Reply(404, b"nope"))
    with (
        PoliteClient(settings(), backoff_base=0.01) as client,
        pytest.raises(SourceUnavailable, match=r"/missing failed: HTTP 404 Not Found$"),
    ):
        client.get(f"{replay.url}/missing")
    assert len(replay.seen()) == 1


def test_timeouts_exhausted_name_the_cause(replay: ReplayServer) -> None:
    replay.script("/slow", *[Reply(200, delay=0.5)] * 2)
    with (
        PoliteClient(settings(http_timeout=0.2, http_retries=1), backoff_base=0.01) as client,
        pytest.raises(SourceUnavailable, match=r"/slow failed after 2 attempts: ReadTimeout"),
    ):
        client.get(f"{replay.url}/slow")


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        PoliteClient(settings(http_retries=1), backoff_base=0.01) as client,
        pytest.raises(SourceUnavailable, match=r"after 2 attempts: ConnectError"),
    ):
        client.get(f"http://127.0.0.1:{port}/x")


def test_backoff_and_spacing_with_injected_clock() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    statuses = iter([503, 503, 200])
    transport = httpx.MockTransport(lambda request: httpx.Response(next(statuses)))
    client = PoliteClient(
        settings(request_interval=3.0, http_retries=2), sleep=sleep, clock=lambda: now[0], transport=transport
    )
    with client:
        assert client.get("https://export.arxiv.org/api/query").status_code == 200
    # Backoff starts at max(interval, 1 s) = 3 s, doubles, jitter adds up to 50 %; it also covers the interval.
    assert len(slept) == 2
    assert 3.0 <= slept[0] <= 4.5
    assert 6.0 <= slept[1] <= 9.0
    assert client.requests_sent == 3


def test_get_parsed_retries_a_malformed_body_once(replay: ReplayServer) -> None:
    replay.script("/doc", Reply(200, b"<trunc"), Reply(200, b"good"), Reply(200, b"<a"), Reply(200, b"<b"))

    def parse(response: httpx.Response) -> str:
        if response.text.startswith("<"):
            raise MalformedDocument("truncated XML", line=1)
        return response.text

    with PoliteClient(settings(), backoff_base=0.01) as client:
        assert client.get_parsed(f"{replay.url}/doc", None, parse) == "good"
        with pytest.raises(SourceUnavailable, match="malformed document twice: truncated XML"):
            client.get_parsed(f"{replay.url}/doc", None, parse)
    assert len(replay.seen("/doc")) == 4
