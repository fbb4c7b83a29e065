"""The paper page (math, links, votes, similar papers, BibTeX, comments) and the author page."""

from __future__ import annotations

import re
from datetime import date

import pytest

from paperwire.papers.bibtex import bibtex, cite_key, escape_bibtex, year_of
from tests.web.feed_helpers import SCRIPT_TITLE, TOP, add_paper, hide

GSBAK = "2503.12827"  # "GSBAK$^K$: $top$-$K$ Geometric Score-based Black-box Attack", cs.CV, 2025-03-18


def test_the_paper_page_shows_the_paper(client) -> None:
    page = client.get(f"/papers/{GSBAK}")
    assert page.status_code == 200
    html = page.text
    assert "<math" in html and "Geometric Score-based Black-box Attack" in html  # LaTeX title rendered as MathML
    assert "$^K$" not in html.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert 'href="https://arxiv.org/abs/2503.12827"' in html and ">PDF</a>" in html
    assert re.search(r'<a href="/authors/[^"]+">', html)
    assert 'href="/?category=cs.CV"' in html and "Published</dt><dd>18 Mar 2025" in html
    assert f'action="/papers/{GSBAK}/vote"' in html and 'name="csrf_token"' in html
    assert html.count('id="comments"') == 1 and html.count(">Comments") == 1
    similar = html.split('id="similar-h"', 1)[1].split("</ol>", 1)[0]
    assert len(re.findall(r'<a href="/papers/', similar)) == 5 and GSBAK not in similar


def test_an_hf_paper_shows_its_code_link_upvotes_and_list_day(client) -> None:
    html = client.get(f"/papers/{TOP}").text
    assert 'href="https://github.com/greenvla/GreenVLA"' in html and ">Code</a>" in html
    assert re.search(r"<span data-count[^>]*>280</span>", html)
    assert 'href="/?date=2026-02-03"' in html


def test_bibtex_block(client) -> None:
    html = client.get(f"/papers/{GSBAK}").text
    block = re.search(r'<pre class="bibtex"[^>]*>(.*?)</pre>', html, re.S).group(1)
    assert block.startswith("@misc{") and "eprint = {2503.12827}" in block
    assert "archivePrefix = {arXiv}" in block and "primaryClass = {cs.CV}" in block and "year = {2025}" in block
    assert "url = {https://arxiv.org/abs/2503.12827}" in block


def test_bibtex_escapes_special_characters() -> None:
    assert escape_bibtex("R&D 100% {fun} #1 a_b ~ ^ \\") == (
        r"R\&D 100\% \{fun\} \#1 a\_b \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
    assert escape_bibtex("Cost $O(n^{2})$ here") == "Cost $O(n^{2})$ here"  # balanced math kept
    assert escape_bibtex("Bad $x}$ math") == r"Bad \$x\}\$ math"
    paper = {
        "id": "hep-th/9901001",
        "title": "Strings & {Branes}",
        "authors": ["José Núñez", "A. B"],
        "published": None,
        "primary_category": "hep-th",
    }
    entry = bibtex(paper)
    assert entry.startswith("@misc{nunez1999strings,") and "title = {{Strings \\& \\{Branes\\}}}" in entry
    assert entry.count("{") == entry.count("}")
    assert year_of("2503.11731", None) == 2025 and year_of("2503.11731", date(2024, 1, 1)) == 2024
    assert cite_key({"id": "2503.11731", "title": "", "authors": []}) == "arxiv2025"


def test_old_style_ids_and_versions(client, site_store) -> None:
    add_paper(site_store, "hep-th/9901001", "Old strings", categories=("hep-th",), published=date(1999, 1, 4))
    page = client.get("/papers/hep-th/9901001")
    assert page.status_code == 200 and "Old strings" in page.text and "eprint = {hep-th/9901001}" in page.text
    assert client.get("/papers/hep-th/9901001v1").status_code == 200
    assert client.get(f"/papers/{GSBAK}v2").status_code == 200


@pytest.mark.parametrize("path", ["/papers/9999.99999", "/papers/hep-th/0000000", "/papers/not-an-id", "/papers/"])
def test_unknown_or_malformed_ids_are_404_pages(client, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 404 and "Not found" in page.text


def test_hidden_papers_are_404_for_visitors(client, site_store) -> None:
    hide(site_store, GSBAK)
    assert client.get(f"/papers/{GSBAK}").status_code == 404
    assert GSBAK not in client.get("/papers/2503.11731").text  # nor among similar papers


def test_a_script_title_is_text_on_the_paper_page(client, site_store) -> None:
    add_paper(site_store, "2602.99999", SCRIPT_TITLE, abstract="Math $x<y$ and <img src=x onerror=alert(1)>")
    html = client.get("/papers/2602.99999").text
    assert SCRIPT_TITLE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_author_page_lists_papers_newest_first_matching_folded_names(client, site_store) -> None:
    add_paper(site_store, "2604.00001", "Newer work", authors=("Grzegorz Wilczyński",), published=date(2026, 4, 1))
    page = client.get("/authors/grzegorz%20wilczynski")  # case and accents ignored
    assert page.status_code == 200 and "<h1>Grzegorz Wilczyński</h1>" in page.text
    ids = re.findall(r'<h2 class="paper-title"><a href="/papers/([^"]+)">', page.text)
    assert ids[0] == "2604.00001" and len(ids) >= 2
    assert client.get("/authors/Nobody%20At%20All").status_code == 404


def test_the_author_page_is_paged(client, site_store) -> None:
    for n in range(30):
        add_paper(site_store, f"2604.{n:05d}", f"Paper {n}", authors=("Prolific Writer",), published=date(2026, 4, 1))
    first = client.get("/authors/Prolific%20Writer")
    assert "30 papers" in first.text and 'href="?page=2" rel="next"' in first.text
    second = client.get("/authors/Prolific%20Writer?page=2")
    assert len(re.findall(r'class="paper-title"', second.text)) == 5
    assert client.get("/authors/Prolific%20Writer?page=3").status_code == 404
    assert client.get("/authors/Prolific%20Writer?page=0").status_code == 400
