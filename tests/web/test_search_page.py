"""The search page: results with marked words, modes, form filters, paging, and clear messages for bad input."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from paperwire.papers.load import ingest_paths
from paperwire.web.deps import paperwire_of

GSBAK = "2503.12827"  # "GSBAK$^K$: $top$-$K$ Geometric Score-based Black-box Attack" (cs.CV, 2025-03-18)


def _result_ids(html: str) -> list[str]:
    section = html.split('class="papers search-results"', 1)[1] if "search-results" in html else ""
    return re.findall(r'<h3 class="paper-title"><a href="/papers/([^"]+)"', section)


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return unescape(found.group(1)) if found else None


def test_empty_query_shows_the_form_and_the_syntax_help(client) -> None:
    page = client.get("/search")
    assert page.status_code == 200
    assert 'name="q"' in page.text and "How to search" in page.text and 'author:"Yann LeCun"' in page.text
    assert "search-results" not in page.text
    assert client.get("/search?q=%20%20").status_code == 200


@pytest.mark.parametrize("mode", ["hybrid", "keyword", "semantic"])
def test_each_mode_finds_a_paper_by_its_title_words(client, mode: str) -> None:
    page = client.get("/search", params={"q": "geometric score-based black-box attack", "mode": mode})
    assert page.status_code == 200
    assert GSBAK in _result_ids(page.text)[:3]
    assert f"({mode} search)" in page.text
    assert '<strong aria-current="page">' + mode in page.text


def test_matched_words_are_marked_in_titles_and_snippets_and_math_renders(client) -> None:
    page = client.get("/search", params={"q": "geometric attacks", "mode": "keyword"})
    item = page.text.split(f'href="/papers/{GSBAK}"', 1)[1].split("</li>", 1)[0]
    assert "<mark>Geometric</mark>" in item and "<mark>Attack</mark>" in item
    assert "<math" in item  # $^K$ in the title is drawn as MathML, not left as LaTeX
    snippet = item.split('<p class="snippet">', 1)[1].split("</p>", 1)[0]
    assert "<mark>" in snippet
    assert 'href="/search?q=geometric+attacks&amp;category=cs.CV"' in item


def test_each_result_shows_authors_date_categories_and_links_to_the_paper(client) -> None:
    page = client.get("/search", params={"q": "GSBAK", "mode": "keyword"})
    item = page.text.split(f'href="/papers/{GSBAK}"', 1)[1].split("</li>", 1)[0]
    assert "Md Farhamdur Reza, Richeng Jin, Tianfu Wu" in item
    assert '<time datetime="2025-03-18">18 Mar 2025</time>' in item
    assert '<a class="tag"' in item and ">cs.CV</a>" in item


def test_paper_and_query_text_is_escaped(client, site_store, tmp_path) -> None:
    record = {
        "id": "2503.99999",
        "title": "Hostile <img src=x onerror=alert(1)> zebrafish",
        "abstract": "A zebrafish <script>alert(2)</script> study & more.",
        "authors": ["Eve <b>Mallory</b>"],
        "categories": ["cs.CV"],
        "published": "2025-03-18",
    }
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    ingest_paths(site_store, [path])
    paperwire_of(client.app).engine.sync()
    page = client.get("/search", params={"q": "zebrafish <script>", "mode": "keyword"})
    assert page.status_code == 200 and _result_ids(page.text)[0] == "2503.99999"
    assert "<img" not in page.text and "<script>alert" not in page.text and "<b>Mallory" not in page.text
    assert "Hostile &lt;img src=x onerror=alert(1)&gt; <mark>zebrafish</mark>" in page.text
    assert "&lt;<mark>script</mark>&gt;alert(2)" in page.text and "Eve &lt;b&gt;Mallory&lt;/b&gt;" in page.text
    assert "“zebrafish &lt;script&gt;”" in page.text  # the echoed query


def test_query_language_and_form_filters_restrict_results(client) -> None:
    by_language = client.get("/search", params={"q": "language models cat:cs.CV", "mode": "keyword"})
    by_field = client.get("/search", params={"q": "language models", "category": "cs.CV", "mode": "keyword"})
    assert by_language.status_code == by_field.status_code == 200
    ids = _result_ids(by_field.text)
    assert ids and ids == _result_ids(by_language.text)
    for item in by_field.text.split("<li>")[1:]:
        assert ">cs.CV</a>" in item
    author = client.get("/search", params={"q": "attack", "author": "Tianfu Wu", "mode": "keyword"})
    assert _result_ids(author.text) == [GSBAK]
    early = client.get("/search", params={"q": "attack", "until": "2025-01-01"})
    assert _result_ids(early.text) == [] and "Nothing matched" in early.text


def test_filters_alone_list_the_newest_papers(client) -> None:
    page = client.get("/search", params={"category": "cs.CV"})
    assert page.status_code == 200
    assert len(_result_ids(page.text)) == 20 and "(newest first)" in page.text
    assert _link(page.text, "next") == "/search?category=cs.CV&page=2"
    small = client.get("/search", params={"category": "cs.CL"})  # 14 papers: one page
    assert len(_result_ids(small.text)) == 14 and _link(small.text, "next") is None


def test_paging_preserves_parameters_and_pages_do_not_overlap(client) -> None:
    first = client.get("/search", params={"q": "learning", "mode": "keyword", "category": "cs.CV"})
    ids1 = _result_ids(first.text)
    assert len(ids1) == 20 and _link(first.text, "prev") is None
    next_url = _link(first.text, "next")
    assert next_url is not None
    assert parse_qs(urlsplit(next_url).query) == {
        "q": ["learning"],
        "mode": ["keyword"],
        "category": ["cs.CV"],
        "page": ["2"],
    }
    second = client.get(next_url)
    ids2 = _result_ids(second.text)
    assert ids2 and not set(ids1) & set(ids2)
    assert 'start="21"' in second.text and "Results 21–" in second.text
    prev_url = _link(second.text, "prev")
    assert prev_url is not None and "page=" not in prev_url and "category=cs.CV" in prev_url
    assert _result_ids(client.get(prev_url).text) == ids1


def test_last_page_has_no_next_link(client) -> None:
    page = client.get("/search", params={"q": "GSBAK", "mode": "keyword"})
    assert _link(page.text, "next") is None and _link(page.text, "prev") is None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": '"unclosed phrase'}, "unbalanced quote"),
        ({"q": "cat:"}, "needs a value"),
        ({"q": "since:yesterday"}, "expected a date as YYYY-MM-DD"),
        ({"q": "x", "since": "2025-13-01"}, "since: expected a date"),
        ({"q": "x", "category": "Not A Category!"}, "is not an arXiv category"),
        ({"q": "x", "since": "2025-06-01", "until": "2025-01-01"}, "is after until"),
        ({"q": "x", "mode": "fuzzy"}, "mode must be one of hybrid, keyword, semantic"),
        ({"q": "x", "page": "two"}, "page: expected a number"),
        ({"q": "x", "page": "0"}, "page: must be between 1 and 50"),
        ({"q": "x", "page": "51"}, "page: must be between 1 and 50"),
    ],
)
def test_bad_input_rerenders_the_form_with_a_message(client, params: dict[str, str], message: str) -> None:
    page = client.get("/search", params=params)
    assert page.status_code == 400
    assert 'role="alert" id="search-error"' in page.text and message in unescape(page.text)
    assert 'aria-invalid="true"' in page.text
    assert f'value="{params["q"]}"'.replace('"unclosed', "&#34;unclosed") in page.text  # the query is kept
    assert "Traceback" not in page.text


def test_nav_box_carries_the_query(client) -> None:
    page = client.get("/search", params={"q": "graph"})
    assert 'id="nav-q" name="q" type="search" placeholder="Search papers" value="graph"' in page.text


def test_a_page_of_results_costs_a_fixed_number_of_queries(client, site_store) -> None:
    """No per-hit queries: the hits come back with everything the page shows."""
    import sqlalchemy as sa

    client.get("/search", params={"q": "warm up", "mode": "keyword"})
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    sa.event.listen(site_store.engine, "before_cursor_execute", count)
    try:
        page = client.get("/search", params={"q": "learning", "mode": "keyword"})
    finally:
        sa.event.remove(site_store.engine, "before_cursor_execute", count)
    assert len(_result_ids(page.text)) == 20
    # measured: 2 on SQLite (the hits' fields in one query); PostgreSQL's BM25 adds its settings, the query's
    # word statistics, the candidates and their exact scores: 5, whatever the number of hits
    assert len(statements) <= (5 if site_store.dialect == "postgresql" else 3), statements
