"""New on arXiv (`/new`): the followed categories' new papers of a period, newest first or, signed in, nearest to
the reader's upvotes first; its navigation; its separation from Daily papers; bad input."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import numpy as np
import pytest

from paperwire.store import accounts as accounts_repo
from tests.web.accounts_helpers import sign_in
from tests.web.conftest import PAPERS, VECTORS
from tests.web.feed_helpers import HF_DAY, TOP, add_paper, listed_ids
from tests.web.test_feeds import atom_entries, rss_items

ARXIV_DAY = "2025-03-18"
FOLLOWED = {"cs.CL", "cs.CV", "cs.AI", "cs.LG"}
LIKED = "2503.12827"  # a geometric score-based black-box attack (cs.CV)


def _new_of_the_day() -> dict[str, list[str]]:
    """The fixture's papers in a followed category (all first published on ARXIV_DAY), with their categories."""
    rows = [json.loads(line) for line in PAPERS.read_text().splitlines() if line.strip()]
    found = {}
    for row in rows:
        cats = row["categories"] if isinstance(row["categories"], list) else row["categories"].split()
        if FOLLOWED & set(cats):
            found[row["id"]] = cats
    return found


def _all_pages(client, url: str) -> list[str]:
    ids: list[str] = []
    for page in range(1, 10):
        found = listed_ids(client.get(url + f"&page={page}").text)
        if not found:
            break
        ids += found
    return ids


def _vote(site_store, email: str, paper_id: str) -> None:
    with site_store.read() as conn:
        user = accounts_repo.get_user_by_email(conn, email)
    with site_store.write() as conn:
        accounts_repo.add_vote(conn, user["id"], paper_id, datetime.now(UTC))


def test_new_on_arxiv_holds_the_followed_categories_new_papers_and_daily_papers_only_picks(client) -> None:
    new = _all_pages(client, f"/new?date={ARXIV_DAY}")
    assert sorted(new) == sorted(_new_of_the_day()) and len(new) > 250
    assert new == sorted(new, reverse=True)  # one day: newest (highest) arXiv ids first
    assert listed_ids(client.get(f"/?date={ARXIV_DAY}").text) == []  # nobody picked them
    assert listed_ids(client.get(f"/new?date={HF_DAY}").text) == []  # the picks are no new arXiv papers of that day
    assert TOP in listed_ids(client.get(f"/?date={HF_DAY}").text)


def test_a_bare_new_shows_its_latest_day_and_a_category_filter(client, site_store) -> None:
    page = client.get("/new").text
    assert "New papers of Tuesday 18 March 2025" in page and "showing the latest day with papers" in page
    cl = listed_ids(client.get("/new", params={"date": ARXIV_DAY, "category": "cs.CL"}).text)
    assert cl and all("cs.CL" in _new_of_the_day()[pid] for pid in cl)
    add_paper(site_store, "2503.99999", "Robots only", categories=("cs.RO",), published=date(2025, 3, 18))
    assert "2503.99999" not in _all_pages(client, f"/new?date={ARXIV_DAY}")  # not a followed category


def test_the_tab_pair_links_the_same_period_on_both_lists(client) -> None:
    tabs = re.search(r'<nav class="list-tabs".*?</nav>', client.get(f"/new?date={ARXIV_DAY}").text, re.S).group(0)
    assert '<strong aria-current="page">New on arXiv</strong>' in tabs
    assert f'<a href="/?date={ARXIV_DAY}">Daily papers</a>' in tabs
    home = re.search(r'<nav class="list-tabs".*?</nav>', client.get(f"/?date={HF_DAY}").text, re.S).group(0)
    assert f'<a href="/new?date={HF_DAY}">New on arXiv</a>' in home and "<strong" in home


def test_new_on_arxiv_has_the_same_navigation(client, site_store) -> None:
    add_paper(site_store, "2503.20001", "Two days later", categories=("cs.CL",), published=date(2025, 3, 20))
    day = client.get(f"/new?date={ARXIV_DAY}").text
    assert 'href="/new?date=2025-03-20" rel="next"' in day and 'rel="prev"' not in day
    assert 'href="/new?date=2025-03-18" rel="prev"' in client.get("/new?date=2025-03-20").text
    picker = re.search(r'<form class="date-picker".*?</form>', day, re.S).group(0)
    assert 'action="/new"' in picker and 'min="2025-03-18"' in picker
    week = client.get("/new", params={"week": "2025-W12"}).text
    assert "Week 12 of 2025" in week and 'href="/new?week=2025-W11" rel="prev"' in week
    assert "2503.20001" in listed_ids(week)
    month = client.get("/new", params={"date": ARXIV_DAY, "view": "month"}).text
    assert "<h1>March 2025" in month and 'name="view" value="month"' in month
    empty = client.get("/new", params={"date": "2025-03-19"}).text
    assert "No papers on this day" in empty and 'href="/new?date=2025-03-18"' in empty


def _sorts(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="sorts".*?</nav>', html, re.S).group(0)
    return re.findall(r'<strong aria-current="page">(\w+)</strong>|<a href="([^"]+)">\w+</a>', nav)


def test_anonymous_readers_get_newest_and_relevance_asks_them_to_sign_in(client) -> None:
    page = client.get(f"/new?date={ARXIV_DAY}").text
    assert _sorts(page) == [("Newest", ""), ("", f"/signin?next=/new%3Fdate%3D{ARXIV_DAY}%26sort%3Drelevance")]
    asked = client.get(f"/new?date={ARXIV_DAY}&sort=relevance")
    assert asked.status_code == 200 and "Sign in and vote for papers" in asked.text
    assert listed_ids(asked.text) == listed_ids(page)


def test_relevance_without_upvotes_says_so_and_shows_newest(client, smtp, site_store) -> None:
    sign_in(client, smtp, "novoter@example.org", store=site_store)
    page = client.get(f"/new?date={ARXIV_DAY}&sort=relevance").text
    assert "Vote for papers or add some to your library to rank by your interests" in page
    assert listed_ids(page) == listed_ids(client.get(f"/new?date={ARXIV_DAY}").text)


def _reference(liked: str, candidates: set[str]) -> list[str]:
    """The candidates by cosine to the liked paper's stored vector, nearest first: computed here, not by the engine."""
    data = np.load(VECTORS)
    vectors = {pid: vec.astype(np.float32) for pid, vec in zip(data["ids"], data["vectors"], strict=True)}
    target = vectors[liked] / np.linalg.norm(vectors[liked])
    cosine = {pid: float(vectors[pid] @ target / np.linalg.norm(vectors[pid])) for pid in candidates}
    return sorted(cosine, key=lambda pid: -cosine[pid])


def test_relevance_ranks_the_papers_nearest_to_the_readers_upvotes_first(client, smtp, site_store) -> None:
    sign_in(client, smtp, "voter@example.org", store=site_store)
    _vote(site_store, "voter@example.org", LIKED)
    ranked = _all_pages(client, f"/new?date={ARXIV_DAY}&sort=relevance")
    newest = _all_pages(client, f"/new?date={ARXIV_DAY}")
    assert sorted(ranked) == sorted(newest) and ranked != newest  # the same papers, another order
    reference = _reference(LIKED, set(newest) - {LIKED})
    assert set(ranked[:5]) <= set(reference[:10])  # the nearest by exact cosine lead (the index may quantise)
    assert ranked[0] in reference[:3]
    page = client.get(f"/new?date={ARXIV_DAY}&sort=relevance").text
    assert ("Relevance", "") in _sorts(page) and "Vote for papers" not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=votes", "sort: expected one of newest, relevance, got &#39;votes&#39;"),
        ("sort=%3Cb%3E", "sort: expected one of newest, relevance, got &#39;&lt;b&gt;&#39;"),
        ("date=2025-13-01", "date: expected a date as YYYY-MM-DD"),
        ("view=year", "view: expected one of day, week, month"),
        ("category=%3Cscript%3E", "is not an arXiv category"),
    ],
)
def test_bad_input_gets_a_400_page(client, query: str, message: str) -> None:
    page = client.get(f"/new?{query}")
    assert page.status_code == 400 and message in page.text and "Traceback" not in page.text


def test_the_new_feed_is_newest_first_and_holds_no_picks(client) -> None:
    entries = atom_entries(client.get(f"/feeds/new.atom?date={ARXIV_DAY}"))
    ids = [entry.findtext("{http://www.w3.org/2005/Atom}id").rsplit("/", 1)[1] for entry in entries]
    assert len(ids) == 100 and ids == sorted(_new_of_the_day(), reverse=True)[:100]
    assert len(rss_items(client.get("/feeds/new.rss"))) == 100  # no period: the latest day with new papers
    assert atom_entries(client.get(f"/feeds/new.atom?date={HF_DAY}")) == []
    assert client.get("/feeds/new.atom?sort=relevance").status_code == 200  # feeds are anonymous: newest only
    assert client.get("/feeds/new.json").status_code == 404
