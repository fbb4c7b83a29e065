"""RSS 2.0 and Atom feeds: well-formed XML, the right items in the right order, absolute links, valid dates."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import html5lib
import pytest

from paperwire.web.feeds import Entry, render_atom, render_rss
from tests.web.feed_helpers import SCRIPT_TITLE, SECOND, TOP, add_paper, hide

A = "{http://www.w3.org/2005/Atom}"


def rss_items(response) -> list[ET.Element]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("link").startswith("http://testserver/")
    assert channel.find(f"{A}link").get("rel") == "self"
    return channel.findall("item")


def atom_entries(response) -> list[ET.Element]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == f"{A}feed" and root.findtext(f"{A}id").startswith("http://testserver/feeds/")
    datetime.fromisoformat(root.findtext(f"{A}updated"))
    return root.findall(f"{A}entry")


def test_daily_rss_defaults_to_the_latest_day_in_trending_order(client) -> None:
    items = rss_items(client.get("/feeds/daily.rss"))
    assert len(items) == 73
    links = [item.findtext("link") for item in items]
    assert links[:2] == [f"http://testserver/papers/{TOP}", f"http://testserver/papers/{SECOND}"]
    first = items[0]
    assert first.findtext("title").startswith("Green-VLA") and first.findtext("guid") == links[0]
    assert parsedate_to_datetime(first.findtext("pubDate")).date() == date(2026, 2, 3)
    assert first.findtext("description").strip()


def test_daily_atom_for_a_given_day_and_category(client, site_store) -> None:
    add_paper(site_store, "2602.99998", "Listed, in cs.CL", day=date(2026, 2, 3), categories=("cs.CL",))
    entries = atom_entries(client.get("/feeds/daily.atom?date=2026-02-03&category=cs.CL"))
    assert [entry.findtext(f"{A}id") for entry in entries] == ["http://testserver/papers/2602.99998"]
    assert atom_entries(client.get("/feeds/daily.atom?date=2025-03-18")) == []  # new on arXiv, but nobody's pick
    assert len(atom_entries(client.get("/feeds/daily.atom?week=2026-W06"))) == 74


def test_new_atom_for_a_given_day_and_category(client) -> None:
    entries = atom_entries(client.get("/feeds/new.atom?date=2025-03-18&category=cs.CL"))
    assert entries
    for entry in entries:
        assert entry.find(f"{A}link").get("href").startswith("http://testserver/papers/2503.")
        assert "cs.CL" in [c.get("term") for c in entry.findall(f"{A}category")]
        assert datetime.fromisoformat(entry.findtext(f"{A}updated")).date() == date(2025, 3, 18)
        assert entry.findtext(f"{A}updated").endswith("Z")
        assert entry.find(f"{A}author/{A}name").text
    assert atom_entries(client.get("/feeds/new.atom?date=2026-02-07")) == []
    assert atom_entries(client.get("/feeds/new.atom?date=2026-02-03")) == []  # Daily papers, not new on arXiv


def test_search_feed(client) -> None:
    entries = atom_entries(client.get("/feeds/search.atom", params={"q": "geometric score-based black-box attack"}))
    assert "2503.12827" in entries[0].findtext(f"{A}id")
    assert rss_items(client.get("/feeds/search.rss", params={"q": "gaussian splatting"}))


def test_category_feed_is_newest_papers_of_the_category(client, site_store) -> None:
    add_paper(site_store, "2604.00001", "Brand new", categories=("cs.RO",), published=date(2026, 4, 1))
    items = rss_items(client.get("/feeds/category/cs.RO.rss"))
    assert items[0].findtext("link") == "http://testserver/papers/2604.00001"
    assert all("cs.RO" in [c.text for c in item.findall("category")] for item in items)
    assert atom_entries(client.get("/feeds/category/hep-th.atom")) == []


def test_author_feed(client, site_store) -> None:
    add_paper(site_store, "2604.00002", "Later", authors=("Grzegorz Wilczyński",), published=date(2026, 4, 2))
    entries = atom_entries(client.get("/feeds/author/grzegorz wilczynski.atom"))
    assert len(entries) >= 2 and entries[0].findtext(f"{A}id") == "http://testserver/papers/2604.00002"


def as_html(text: str) -> tuple[list[str], str]:
    """What a reader that renders the text as HTML builds from it: the element names, and the text shown."""
    fragment = html5lib.parseFragment(text, treebuilder="etree")
    return [e.tag for e in fragment.iter() if isinstance(e.tag, str) and e.tag != "DOCUMENT_FRAGMENT"], "".join(
        fragment.itertext()
    )


def test_hidden_papers_and_hostile_titles(client, site_store) -> None:
    hide(site_store, TOP)
    add_paper(
        site_store,
        "2602.99999",
        SCRIPT_TITLE + " & more",
        day=date(2026, 2, 3),
        upvotes=999,
        abstract='<img src=x onerror="alert(1)"> a &lt; b $\\text{<form>}$',
    )
    items = rss_items(client.get("/feeds/daily.rss"))
    assert all(TOP not in item.findtext("link") for item in items)
    title, description = items[0].findtext("title"), items[0].findtext("description")
    assert title == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"  # the XML's text is escaped HTML
    assert as_html(title) == ([], SCRIPT_TITLE + " & more")  # a reader shows the text, runs nothing
    assert as_html(description) == ([], '<img src=x onerror="alert(1)"> a &lt; b $\\text{<form>}$')
    [entry] = [e for e in atom_entries(client.get("/feeds/daily.atom")) if "2602.99999" in e.findtext(f"{A}id")]
    for element in (entry.find(f"{A}title"), entry.find(f"{A}summary")):
        assert element.get("type") == "html" and as_html(element.text)[0] == []
    assert as_html(entry.findtext(f"{A}title")) == ([], SCRIPT_TITLE + " & more")


def test_characters_xml_cannot_hold_are_dropped() -> None:
    entry = Entry(
        "2602.99998", "a\x0b\x00b \ufffe c", ["Ada\x1b"], "x\x01y", ["cs.CL"], datetime(2026, 2, 3, tzinfo=UTC)
    )
    for render in (render_rss, render_atom):
        text = "".join(ET.fromstring(render("http://x", "t", "http://x/", "http://x/f", "d", [entry])).itertext())
        assert "ab  c" in text and "xy" in text and "Ada" in text


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_feed_titles_from_the_url_are_text(client, fmt: str) -> None:
    """A crafted search feed URL puts its query into the feed's title and description: shown as text."""
    query = "<script>alert(1)</script> gaussian"
    root = ET.fromstring(client.get(f"/feeds/search.{fmt}", params={"q": query}).content)
    channel = root.find("channel") if fmt == "rss" else root
    ns = "" if fmt == "rss" else A
    for tag in ("title", "description" if fmt == "rss" else "subtitle"):
        elements, shown = as_html(channel.findtext(f"{ns}{tag}"))
        assert elements == [] and query in shown


@pytest.mark.parametrize("name", ["AC/DC", "J. R. R. Tolkien", "A/B/C.rss"])
def test_author_feeds_for_names_with_slashes_and_dots(client, site_store, name: str) -> None:
    add_paper(site_store, "2604.00003", "Slashed", authors=(name,), published=date(2026, 4, 3))
    page = client.get("/authors/" + quote(name, safe=""))
    assert page.status_code == 200
    for fmt in ("rss", "atom"):
        link = re.search(rf'href="(/feeds/author/[^"]+\.{fmt})"', page.text).group(1)
        for path in (link, f"/feeds/author/{quote(name, safe='')}.{fmt}"):
            response = client.get(path)
            assert response.status_code == 200, (path, response.text)
            assert b"http://testserver/papers/2604.00003" in response.content, path
    assert client.get("/feeds/author/" + "x" * 301 + ".rss").status_code == 404  # no echo of unbounded input


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/feeds/daily.xml", 404),
        ("/feeds/daily.rss?date=2025-13-01", 400),
        ("/feeds/search.rss?q=", 400),
        ("/feeds/category/%3Cx%3E.rss", 400),
        ("/feeds/daily.atom?week=2026-W06&month=2026-02", 400),
    ],
)
def test_bad_feed_requests(client, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status and "Traceback" not in response.text


JUNK = "j" * 60_000  # httpx refuses URLs with a query component over 64 KB


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_feeds_link_to_themselves_without_unknown_parameters(client, site_store, fmt: str) -> None:
    """A 60 KB junk parameter on any feed URL is not echoed into the feed's self link (or anywhere)."""
    add_paper(
        site_store,
        "2604.00004",
        "Junk test",
        authors=("Ada Lovelace",),
        categories=("cs.RO",),
        published=date(2026, 4, 4),
    )
    feeds = {
        f"/feeds/daily.{fmt}": {},
        f"/feeds/daily.{fmt}?date=2026-02-03": {"date": "2026-02-03"},
        f"/feeds/daily.{fmt}?week=2026-W06&category=cs.CL": {"week": "2026-W06", "category": "cs.CL"},
        f"/feeds/new.{fmt}": {},
        f"/feeds/new.{fmt}?month=2025-03&category=cs.CL": {"month": "2025-03", "category": "cs.CL"},
        f"/feeds/search.{fmt}?q=model": {"q": "model"},
        f"/feeds/category/cs.RO.{fmt}": {},
        f"/feeds/author/Ada%20Lovelace.{fmt}": {},
    }
    for path, params in feeds.items():
        plain = client.get(path)
        junked = client.get(path.split("?")[0], params={**params, "junk": JUNK, "utm": "<x>"})
        assert plain.status_code == junked.status_code == 200, (path, junked.text[:300])
        assert len(junked.content) < len(plain.content) + 200, path
        assert b"jjjjjjjjjj" not in junked.content and b"utm" not in junked.content, path
        root = ET.fromstring(junked.content)
        self_link = (root.find(f"channel/{A}link") if fmt == "rss" else root.find(f"{A}link[@rel='self']")).get("href")
        assert self_link == "http://testserver" + path, path  # the given, known parameters only


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/daily.atom?date=2026-02-03",
        "/feeds/new.atom?date=2025-03-18",
        "/feeds/new.rss",
        "/feeds/category/cs.CV.rss",
        "/feeds/search.rss?q=robot",
    ],
)
def test_feeds_answer_304_to_a_reader_that_has_them(client, path: str) -> None:
    first = client.get(path)
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag.startswith('"') and first.headers["cache-control"] == "no-cache"
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    if "search" in path:  # a search hit's last change is unknown: the ETag alone decides
        assert "last-modified" not in first.headers
        return
    modified = first.headers["last-modified"]
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": "yesterday"}).status_code == 200
    # If-None-Match wins: a stale tag is a 200 even with a current date
    stale = client.get(path, headers={"If-None-Match": '"stale"', "If-Modified-Since": modified})
    assert stale.status_code == 200


def test_a_feed_changes_its_validators_when_a_paper_is_listed(client, site_store) -> None:
    path = "/feeds/daily.rss?date=2026-02-03"
    before = client.get(path)
    add_paper(site_store, "2602.09999", "Listed later the same day", day=date(2026, 2, 3), upvotes=500)
    after = client.get(path, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert parsedate_to_datetime(after.headers["last-modified"]) >= parsedate_to_datetime(
        before.headers["last-modified"]
    )


def test_atom_entries_list_every_author(client) -> None:
    entries = atom_entries(client.get("/feeds/daily.atom?date=2026-02-03"))
    top = next(e for e in entries if e.find(f"{A}link").get("href").endswith(f"/papers/{TOP}"))
    names = [author.findtext(f"{A}name") for author in top.findall(f"{A}author")]
    assert len(names) == 22 and names[0] == "I. Apanasevich" and names[-1] == "I. Zorin"
