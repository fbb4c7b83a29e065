"""The richer list items: abstract snippet and full abstract (expanding without script), submitter, comment
count, links and the "#1 paper of the day" badge; hostile text stays inert in all of them. Pages are parsed
with html5lib, as a browser builds them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import html5lib
import pytest

from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import ListingEntry, PaperRecord, ParsedItem
from paperwire.store import Store
from tests.web.accounts_helpers import csrf_of, sign_in
from tests.web.feed_helpers import HF_DAY, SCRIPT_TITLE, SECOND, TOP
from tests.web.test_hostile_math import ATTACKS, EVIL, assert_inert

XHTML = "{http://www.w3.org/1999/xhtml}"
DAY = date(2026, 2, 3)
RICH = "2602.90010"
HOSTILE = "2602.90011"
LONG_ABSTRACT = "First paragraph about $x^2$ losses " + "and more words " * 40 + "\n\nSecond paragraph, the end."


def _add(store: Store, record: PaperRecord, *, submitter: str | None, upvotes: int) -> None:
    listing = ListingEntry(DAY, record.arxiv_id, "huggingface", submitter=submitter, upvotes=upvotes)
    assert not ingest_items(store, [ParsedItem(record, "test", 1, listing=listing)], source="test").errors


def _items(html: str) -> dict[str, ET.Element]:
    """Each list item (<li> of ol.papers) by paper id."""
    root = html5lib.parse(html)
    found = {}
    for ol in root.iter(f"{XHTML}ol"):
        if "papers" in (ol.get("class") or "").split():
            for li in ol.findall(f"{XHTML}li"):
                found[li.get("id", "")[2:]] = li
    return found


def _by_class(element: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in element.iter() if name in (e.get("class") or "").split()]


def _text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _links(element: ET.Element) -> dict[str, str]:
    return {_text(a): a.get("href", "") for a in element.iter(f"{XHTML}a")}


@pytest.fixture
def rich_store(site_store: Store) -> Store:
    _add(
        site_store,
        PaperRecord(
            RICH,
            "A rich paper",
            LONG_ABSTRACT,
            ("Ada Lovelace",),
            ("cs.CL",),
            version=1,
            code_url="https://github.com/example/rich",
            project_url="https://rich.example.org/",
            pdf_url="https://arxiv.org/pdf/2602.90010v1",
        ),
        submitter="Grace Hopper",
        upvotes=1_000,
    )
    return site_store


def test_an_item_has_snippet_full_abstract_submitter_and_links(client, rich_store: Store) -> None:
    item = _items(client.get("/", params={"date": HF_DAY}).text)[RICH]
    details = next(item.iter(f"{XHTML}details"))
    assert details.get("open") is None  # closed until the reader opens it: no script needed
    summary = details.find(f"{XHTML}summary")
    assert summary is not None
    snippet = _text(_by_class(summary, "snippet")[0])
    assert snippet.startswith("First paragraph about") and snippet.endswith("…") and len(snippet) < 300
    assert "Second paragraph" not in snippet
    assert list(summary.iter("{http://www.w3.org/1998/Math/MathML}math"))  # the maths rendered in the snippet too
    full = _by_class(details, "abstract-full")[0]
    assert [_text(p).split(",")[0] for p in full.findall(f"{XHTML}p")][1] == "Second paragraph"
    assert "and more words " * 3 in "".join(full.itertext())
    assert "submitted by Grace Hopper" in _text(item)
    assert _links(_by_class(item, "item-links")[0]) == {
        "arXiv": f"https://arxiv.org/abs/{RICH}",
        "PDF": "https://arxiv.org/pdf/2602.90010v1",
        "code": "https://github.com/example/rich",
        "project": "https://rich.example.org/",
    }
    assert not any("#comments" in href for href in _links(item).values())  # no comments: no count


def test_an_item_without_links_or_submitter_shows_neither(client) -> None:
    item = _items(client.get("/new", params={"date": "2025-03-18"}).text)
    first = next(iter(item.values()))
    assert "submitted by" not in _text(first)
    assert set(_links(_by_class(first, "item-links")[0])) <= {"arXiv", "PDF", "code", "project"}
    assert "comment" not in _text(first)


def test_the_comment_count_shows_when_there_are_comments(client, smtp, site_store: Store) -> None:
    sign_in(client, smtp, "talker@example.org", store=site_store, name="Talker")
    token = csrf_of(client, "/")
    done = client.post(f"/papers/{SECOND}/comments", data={"csrf_token": token, "body": "Hm."}, follow_redirects=False)
    assert done.status_code == 303
    items = _items(client.get("/", params={"date": HF_DAY}).text)
    assert _links(items[SECOND])["1 comment"] == f"/papers/{SECOND}#comments"
    assert not any("comment" in label for label in _links(items[TOP]))


@pytest.mark.parametrize(
    ("query", "noun"),
    [({"date": HF_DAY}, "day"), ({"week": "2026-W06"}, "week"), ({"month": "2026-02"}, "month")],
)
def test_the_top_three_by_votes_get_a_badge(client, query: dict[str, str], noun: str) -> None:
    page = client.get("/", params={**query, "sort": "votes"}).text
    items = list(_items(page).values())
    badges = [_text(b) for item in items for b in _by_class(item, "rank-badge")]
    assert badges == [f"#{n} paper of the {noun}" for n in (1, 2, 3)]
    assert [bool(_by_class(item, "rank-badge")) for item in items[:4]] == [True, True, True, False]
    assert _by_class(items[0], "rank-1") and _text(_by_class(items[0], "rank-1")[0]).startswith("#1")


@pytest.mark.parametrize(
    "query",
    [
        {"week": "2026-W06"},  # trending, the default of a week (a day sorts by votes by default)
        {"date": HF_DAY, "sort": "newest"},
        {"date": HF_DAY, "sort": "votes", "page": "2"},
        {"date": HF_DAY, "sort": "votes", "category": "cs.CL"},  # holds the rich paper, with the most votes
    ],
)
def test_no_badge_on_other_orders_later_pages_or_filtered_lists(
    client, rich_store: Store, query: dict[str, str]
) -> None:
    page = client.get("/", params=query)
    assert page.status_code == 200 and _items(page.text)
    assert "rank-badge" not in page.text and "paper of the" not in page.text


def test_hostile_title_abstract_and_submitter_stay_inert(client, site_store: Store) -> None:
    name = "<script>alert('evil.example')</script><img src=//evil.example onerror=alert(1)>"
    abstract = " ".join(ATTACKS[:3]) + " " + SCRIPT_TITLE + "\n\n" + " ".join(ATTACKS)
    record = PaperRecord(HOSTILE, SCRIPT_TITLE + " " + ATTACKS[6], abstract, ("Eve",), ("cs.CL",), version=1)
    _add(site_store, record, submitter=name, upvotes=10_000)
    html = client.get("/", params={"date": HF_DAY, "sort": "votes"}).text
    assert_inert(html)
    item = _items(html)[HOSTILE]
    assert "#1 paper of the day" in _text(item)
    for part in (_by_class(item, "snippet")[0], _by_class(item, "abstract-full")[0]):
        assert not [e.tag for e in part.iter() if e.tag.endswith(("script", "img", "iframe", "meta", "form"))]
    assert "<script>alert(1)</script>" in _text(_by_class(item, "abstract-full")[0])  # shown as text
    assert f"submitted by {name}" in _text(item)  # the name shown as text, not run
    assert EVIL not in "".join(a.get("href", "") for a in item.iter(f"{XHTML}a"))
