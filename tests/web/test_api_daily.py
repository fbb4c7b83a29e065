"""GET /api/daily_papers and /api/papers/{id}[/similar]: Hugging Face's shapes, paging, sorting, 400/404 JSON."""

from __future__ import annotations

import re
from datetime import date

import pytest

from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import ListingEntry, PaperRecord, ParsedItem
from tests.web.accounts_helpers import csrf_of, sign_in
from tests.web.feed_helpers import SECOND, TOP, add_paper, hide

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def test_daily_papers_has_hugging_faces_shape(client) -> None:
    response = client.get("/api/daily_papers")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    items = response.json()
    assert len(items) == 50
    first = items[0]
    assert set(first) == {
        *("paper", "publishedAt", "submittedOnDailyAt", "title", "summary", "upvotes", "numComments"),
        *("submittedBy", "thumbnail", "githubRepo"),
    }
    assert set(first["paper"]) == {
        *("id", "title", "summary", "authors", "publishedAt", "upvotes", "githubRepo", "submittedOnDailyAt"),
    }
    assert first["paper"]["id"] == TOP and first["paper"]["upvotes"] == 280
    assert first["paper"]["githubRepo"] == "https://github.com/greenvla/GreenVLA"
    assert first["paper"]["authors"][0] == {"name": "I. Apanasevich"}
    assert first["publishedAt"] == "2026-02-03T00:00:00.000Z" and first["title"] == first["paper"]["title"]
    assert first["numComments"] == 0 and first["submittedBy"] is None and first["thumbnail"] is None
    assert first["summary"] == first["paper"]["summary"] and first["upvotes"] == 280
    assert first["githubRepo"] == first["paper"]["githubRepo"]
    assert (
        ISO_Z.match(first["submittedOnDailyAt"]) and first["paper"]["submittedOnDailyAt"] == first["submittedOnDailyAt"]
    )
    upvotes = [item["paper"]["upvotes"] for item in items]
    assert upvotes == sorted(upvotes, reverse=True)


def test_paging_and_limits(client) -> None:
    everything = [i["paper"]["id"] for i in client.get("/api/daily_papers?date=2026-02-03&limit=100").json()]
    assert len(everything) == 73
    page = client.get("/api/daily_papers?date=2026-02-03&limit=10&p=2").json()
    assert [i["paper"]["id"] for i in page] == everything[20:30]
    assert client.get("/api/daily_papers?date=2026-02-03&limit=10&p=8").json() == []


def test_week_month_category_and_newest(client) -> None:
    assert len(client.get("/api/daily_papers?week=2026-W06&limit=100").json()) == 73
    assert client.get("/api/daily_papers?month=2025-03&limit=100").json() == []  # new on arXiv, nobody's picks
    newest = client.get("/api/daily_papers?month=2026-02&sort=publishedAt&limit=100").json()
    assert len(newest) == 73 and all(ISO_Z.match(i["publishedAt"]) for i in newest)
    ids = [i["paper"]["id"] for i in newest]
    assert ids == sorted(ids, reverse=True)  # one day: newest arXiv ids first
    assert client.get("/api/daily_papers?date=2026-02-07").json() == []


def test_a_local_vote_and_hidden_papers(client, smtp, site_store) -> None:
    hide(site_store, TOP)
    sign_in(client, smtp, "api@example.org", store=site_store)
    client.post(f"/papers/{SECOND}/vote", data={"csrf_token": csrf_of(client, "/")}, follow_redirects=False)
    items = client.get("/api/daily_papers?date=2026-02-03").json()
    assert items[0]["paper"]["id"] == SECOND and items[0]["paper"]["upvotes"] == 234
    assert all(i["paper"]["id"] != TOP for i in items)


def test_a_submitters_papers(client, site_store) -> None:
    day = date(2026, 2, 10)
    for pid, who, upvotes in (("2602.10001", "akhaliq", 3), ("2602.10002", "AKhaliq", 9), ("2602.10003", "ada", 5)):
        listing = ListingEntry(day, pid, "huggingface", submitter=who, upvotes=upvotes)
        record = PaperRecord(pid, f"Paper {pid}", "An abstract.", ("Ada Lovelace",), ("cs.LG",))
        assert not ingest_items(site_store, [ParsedItem(record, "test", 1, listing=listing)], source="test").errors
    items = client.get("/api/daily_papers?week=2026-W07&submitter=akhaliq").json()
    assert [i["paper"]["id"] for i in items] == ["2602.10002", "2602.10001"]  # case ignored; trending order
    assert items[1]["submittedBy"] == {"name": "akhaliq", "user": "akhaliq", "fullname": "akhaliq"}
    assert [i["paper"]["id"] for i in client.get("/api/daily_papers?submitter=ada").json()] == ["2602.10003"]
    assert client.get("/api/daily_papers?date=2026-02-03&submitter=akhaliq").json() == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date=2025-13-01", "date: expected a date as YYYY-MM-DD"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("week=xyz", "week: expected an ISO week"),
        ("month=13", "month: expected"),
        ("sort=votes", "sort"),
        ("p=-1", "p"),
        ("category=bad%20cat", "category"),
    ],
)
def test_bad_input_is_a_400_json_message(client, query: str, message: str) -> None:
    response = client.get(f"/api/daily_papers?{query}")
    assert response.status_code == 400
    body = response.json()
    assert set(body) <= {"error", "field"} and message in body["error"]
    assert body.get("field", message.split(":")[0]) == message.split(":")[0]  # the parameter at fault, when known


def test_a_paper_by_id(client, site_store) -> None:
    body = client.get("/api/papers/2503.12827").json()
    assert body["id"] == "2503.12827" and body["summary"] == body["abstract"] and body["categories"][0] == "cs.CV"
    assert body["primaryCategory"] == "cs.CV" and body["publishedAt"] == "2025-03-18T00:00:00.000Z"
    assert body["links"]["abs"] == "https://arxiv.org/abs/2503.12827" and body["upvotes"] == 0
    assert client.get(f"/api/papers/{TOP}").json()["upvotes"] == 280
    add_paper(site_store, "hep-th/9901001", "Old strings", categories=("hep-th",), published=date(1999, 1, 4))
    assert client.get("/api/papers/hep-th/9901001v2").json()["id"] == "hep-th/9901001"
    missing = client.get("/api/papers/9999.99999")
    assert missing.status_code == 404 and "9999.99999" in missing.json()["error"]
    hide(site_store, "2503.12827")
    assert client.get("/api/papers/2503.12827").status_code == 404


def test_similar_papers(client) -> None:
    items = client.get("/api/papers/2503.12827/similar?limit=3").json()
    assert len(items) == 3 and all(i["id"] != "2503.12827" for i in items)
    assert set(items[0]) == {"id", "title", "authors", "categories", "publishedAt", "score"}
    assert client.get("/api/papers/2503.12827/similar?limit=0").status_code == 400
    assert client.get("/api/papers/9999.99999/similar").status_code == 404


def test_the_search_api_is_not_shadowed_and_docs_describe_the_models(client) -> None:
    assert client.get("/api/papers/search?q=diffusion").status_code == 200
    schema = client.get("/api/openapi.json").json()
    assert {"DailyItem", "DailyPaper", "Paper", "ErrorMessage"} <= set(schema["components"]["schemas"])
    assert "/api/daily_papers" in schema["paths"] and "/api/papers/{paper_id}" in schema["paths"]
