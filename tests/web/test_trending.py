"""The trending page: the last seven days by decayed votes, its note, category filter, pages and bad input."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.web.feed_helpers import HF_DAY, TOP, add_paper, listed_ids


def test_the_trending_page_shows_the_seven_days_to_the_latest_day_with_papers(client) -> None:
    page = client.get("/trending")
    assert page.status_code == 200
    assert "<h1>Trending</h1>" in page.text and "<title>Trending · Paperwire</title>" in page.text
    assert "Papers of the last 7 days (28 Jan – 3 Feb 2026), votes decayed by age." in page.text
    assert "Nothing yet today: showing the 7 days up to the latest day with papers." in page.text
    ids = listed_ids(page.text)
    # One day in the window: the decayed order is the day's order by votes (the reference).
    assert ids[0] == TOP and ids == listed_ids(client.get("/", params={"date": HF_DAY}).text)
    assert "listed 3 Feb 2026" in page.text and "73 papers." in page.text
    assert 'href="/trending?page=2">Next page' in page.text
    assert len(listed_ids(client.get("/trending?page=2").text)) == 23


def test_older_papers_stay_out_and_fresher_ones_rise(client, site_store) -> None:
    add_paper(site_store, "2601.00001", "Three weeks old", day=date(2026, 1, 13), upvotes=5000)
    add_paper(site_store, "2602.00001", "Listed after the top paper", day=date(2026, 2, 4), upvotes=150)
    ids = listed_ids(client.get("/trending").text)
    assert "2601.00001" not in ids
    assert ids[:2] == ["2602.00001", TOP]  # 150 votes a day younger beat 280: the scores are taken as 4 Feb ended


def test_the_category_filter_works_on_the_trending_page(client, site_store) -> None:
    add_paper(site_store, "2602.00002", "A vision paper", day=date(2026, 2, 2), upvotes=7, categories=("cs.CV",))
    page = client.get("/trending", params={"category": "cs.CV"}).text
    assert listed_ids(page) == ["2602.00002"] and "1 paper in cs.CV." in page
    form = re.search(r'<form class="category-filter" action="/trending".*?</form>', page, re.S).group(0)
    assert 'value="cs.CV"' in form and '<a href="/trending">All categories</a>' in form
    assert 'href="/trending?category=cs.CV">cs.CV</a>' in page
    empty = client.get("/trending", params={"category": "hep-th"}).text
    assert "No papers in hep-th in the last 7 days." in empty


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("category=%3Cscript%3E", "category: &#39;&lt;script&gt;&#39; is not an arXiv category"),
        ("page=0", "page"),
        ("page=x", "page"),
    ],
)
def test_bad_input_on_the_trending_page_gets_a_400_page(client, query: str, message: str) -> None:
    page = client.get(f"/trending?{query}")
    assert page.status_code == 400 and message in page.text and "Traceback" not in page.text
