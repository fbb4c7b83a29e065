"""HEAD is answered wherever GET is (link checkers, uptime probes): same status and headers, no body."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/",  # a page
        "/papers/2503.12827",
        "/api/daily_papers?date=2026-02-03",  # the JSON API
        "/api/papers/2503.12827",
        "/feeds/daily.rss",  # a feed
        "/static/site.css",  # a static file
        "/healthz",
    ],
)
def test_head_answers_like_get_without_a_body(client, path: str) -> None:
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert int(head.headers["content-length"]) == len(got.content)
    assert head.headers.get("etag") == got.headers.get("etag")
    assert head.headers["x-content-type-options"] == "nosniff"


def test_head_keeps_errors_and_conditional_answers(client) -> None:
    missing = client.head("/api/papers/9999.99999")
    assert missing.status_code == 404 and missing.content == b""
    assert client.head("/no/such/page").status_code == 404
    assert client.head("/api/daily_papers?date=2025-13-01").status_code == 400
    etag = client.get("/feeds/daily.atom").headers["etag"]
    assert client.head("/feeds/daily.atom", headers={"If-None-Match": etag}).status_code == 304
    assert client.head("/signout").status_code == 405  # POST only: as a GET would be
