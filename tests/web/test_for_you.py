"""The For you tab, its private Atom feed and GET /api/for-you: signed-in only, reasons shown, hostile titles escaped."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import html5lib

from paperwire.accounts.users import add_user, create_api_token
from paperwire.papers.load import ingest_paths
from paperwire.search.indexer import embed_papers
from paperwire.store import library as library_repo
from paperwire.web.deps import paperwire_of
from tests.web.accounts_helpers import sign_in

SPLATTING = ["2503.11731", "2503.11981", "2503.12001"]
WEEK = "week=2025-W12"  # holds 2025-03-18, the day of the fixture's 300 papers
EVIL = '<script>alert("x")</script> Gaussian splatting & </title> ]]>'
A = "{http://www.w3.org/2005/Atom}"
H = "{http://www.w3.org/1999/xhtml}"


def _library(store, email: str, ids: list[str]) -> dict:
    user = add_user(store, email)
    with store.write() as conn:
        library_repo.add_to_library(conn, user["id"], ids, "ids", datetime.now(UTC))
    return user


def _evil_paper(store, engine, tmp_path: Path) -> str:
    path = tmp_path / "evil.jsonl"
    record = {"id": "2503.99999", "title": EVIL, "abstract": "We render Gaussian splats of scenes in real time."}
    path.write_text(
        json.dumps(record | {"authors": ["Eve"], "categories": ["cs.CV"], "published": "2025-03-10"}) + "\n"
    )
    ingest_paths(store, [path])
    embed_papers(store, engine.embedder, ["2503.99999"])
    engine.sync()
    return "2503.99999"


def test_for_you_needs_a_reader(client) -> None:
    response = client.get("/for-you", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    assert client.get("/api/for-you").status_code == 401


def test_the_tab_ranks_by_the_library_and_escapes_what_it_names(client, app, site_store, smtp, tmp_path) -> None:
    engine = paperwire_of(app).engine
    evil = _evil_paper(site_store, engine, tmp_path)
    _library(site_store, "reader@example.org", [evil])  # a stranger's title, named by every reason
    sign_in(client, smtp, "reader@example.org")
    home = client.get("/?date=2025-03-18")
    assert '<a href="/for-you">For you</a>' in home.text
    page = client.get(f"/for-you?{WEEK}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "&lt;script&gt;alert(" in page.text
    tree = html5lib.parse(page.text)
    items = tree.findall(f".//{H}ol[@class='papers']/{H}li")
    assert len(items) == 30  # one page
    reasons = ["".join(p.itertext()) for p in tree.iter(f"{H}p") if p.get("class") == "meta why"]
    assert len(reasons) == 30 and all(r == f"Because you saved {EVIL}" for r in reasons[:10])  # shown as text
    assert any("splat" in "".join(li.itertext()).lower() for li in items[:3])
    feed_link = next(a.get("href") for a in tree.iter(f"{H}a") if (a.get("href") or "").startswith("/feeds/for-you/"))
    feed = client.get(feed_link)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    entries = root.findall(f"{A}entry")
    assert len(entries) == 50 and f"Picked because you saved “{EVIL}”" in html.unescape(
        entries[0].findtext(f"{A}summary")
    )
    assert client.get(feed_link.replace(".atom", "x.atom")).status_code == 404  # a tampered token
    # "not interested" marks come from the library page; the API answers the same ranking
    second = client.get(f"/for-you?{WEEK}&page=2")
    assert second.status_code == 200 and "Previous page" in second.text


def test_api_for_you_with_a_token(app, client, site_store) -> None:
    user = _library(site_store, "api@example.org", SPLATTING)
    token = create_api_token(site_store, user["id"])
    auth = {"Authorization": f"Bearer {token}"}
    response = client.get(f"/api/for-you?{WEEK}&limit=5", headers=auth)
    assert response.status_code == 200, response.text
    items = response.json()
    assert len(items) == 5 and all(item["reason"].startswith("because you saved") for item in items)
    assert all(1 <= len(item["because"]) <= 2 and item["because"][0]["id"] in SPLATTING for item in items)
    assert {"paper", "title", "upvotes", "numComments", "publishedAt"} <= set(items[0])
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)
    nxt = client.get(f"/api/for-you?{WEEK}&limit=5&p=1", headers=auth).json()
    assert not {i["paper"]["id"] for i in nxt} & {i["paper"]["id"] for i in items}
    bad = client.get("/api/for-you?week=2025-W99", headers=auth)
    assert bad.status_code == 400 and bad.json()["field"] == "week"
    wrong = client.get("/api/for-you", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
