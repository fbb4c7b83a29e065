"""GET /api/papers/search: Hugging Face-shaped JSON, the same engine as the page, 400 JSON for bad input."""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import PAPERS

GSBAK = "2503.12827"
ABSTRACTS = {r["id"]: r["abstract"] for r in map(json.loads, PAPERS.open(encoding="utf-8"))}


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_search_returns_hf_shaped_results(client, mode: str) -> None:
    response = client.get("/api/papers/search", params={"q": "geometric score-based black-box attack", "mode": mode})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    results = response.json()
    assert 1 <= len(results) <= 20
    top = next(r for r in results if r["paper"]["id"] == GSBAK)
    assert top["paper"] == {
        "id": GSBAK,
        "title": "GSBAK$^K$: $top$-$K$ Geometric Score-based Black-box Attack",
        "summary": top["paper"]["summary"],
        "authors": [
            {"name": "Md Farhamdur Reza"},
            {"name": "Richeng Jin"},
            {"name": "Tianfu Wu"},
            {"name": "Huaiyu Dai"},
        ],
        "publishedAt": "2025-03-18T00:00:00.000Z",
        "upvotes": 0,
    }
    assert (top["title"], top["summary"], top["publishedAt"], top["upvotes"]) == (
        *(top["paper"]["title"], top["paper"]["summary"], top["paper"]["publishedAt"], 0),
    )
    assert top["paper"]["summary"].split() == ABSTRACTS[GSBAK].split()  # line breaks normalised on ingest
    assert top["categories"] == ["cs.CV"] and isinstance(top["score"], float)
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)


def test_api_and_page_agree(client) -> None:
    api = [r["paper"]["id"] for r in client.get("/api/papers/search", params={"q": "language model"}).json()]
    page = client.get("/search", params={"q": "language model"}).text
    assert api and all(f'href="/papers/{pid}"' in page for pid in api)


def test_limit_offset_and_filters(client) -> None:
    five = client.get("/api/papers/search", params={"q": "learning", "limit": 5, "mode": "keyword"}).json()
    ten = client.get("/api/papers/search", params={"q": "learning", "limit": 10, "mode": "keyword"}).json()
    later = client.get(
        "/api/papers/search", params={"q": "learning", "limit": 5, "offset": 5, "mode": "keyword"}
    ).json()
    assert [r["paper"]["id"] for r in ten] == [r["paper"]["id"] for r in five + later]
    cl = client.get(
        "/api/papers/search", params=[("q", "learning"), ("category", "cs.CL"), ("category", "cs.AI")]
    ).json()
    assert cl and all({"cs.CL", "cs.AI"} & set(r["categories"]) for r in cl)
    by = client.get("/api/papers/search", params={"q": "attack", "author": "tianfu wu"}).json()
    assert [r["paper"]["id"] for r in by] == [GSBAK]
    dated = client.get("/api/papers/search", params={"q": "attack", "since": "2025-03-19"}).json()
    assert all(r["paper"]["publishedAt"] >= "2025-03-19" for r in dated)
    listing = client.get("/api/papers/search", params={"category": "cs.CV", "limit": 3}).json()
    assert len(listing) == 3 and all(r["score"] == 0 for r in listing)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": '"open'}, "unbalanced quote"),
        ({}, "type some words"),
        ({"q": "x", "mode": "fuzzy"}, "mode must be one of"),
        ({"q": "x", "limit": 0}, "limit"),
        ({"q": "x", "limit": 101}, "limit"),
        ({"q": "x", "limit": "many"}, "limit"),
        ({"q": "x", "offset": 995}, "offset must be between"),
        ({"q": "x", "since": "03/18/2025"}, "since: expected a date as YYYY-MM-DD"),
        ({"q": "x", "category": "bad category"}, "is not an arXiv category"),
    ],
)
def test_bad_input_is_a_400_json_message(client, params: dict, message: str) -> None:
    response = client.get("/api/papers/search", params=params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) <= {"error", "field"} and message in body["error"]


def test_search_is_documented_in_openapi(client) -> None:
    spec = client.get("/api/openapi.json").json()
    operation = spec["paths"]["/api/papers/search"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "q",
        "limit",
        "mode",
        "category",
        "since",
        "until",
        "author",
    }
    assert "SearchResult" in spec["components"]["schemas"] and "400" in operation["responses"]
