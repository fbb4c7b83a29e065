"""The home page (Daily papers): day, week and month lists, sorts, category filter, navigation, votes, escaping,
bad input. New on arXiv has its own tests in test_new.py."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from tests.web.accounts_helpers import csrf_of, sign_in
from tests.web.feed_helpers import HF_DAY, SCRIPT_TITLE, SECOND, TOP, add_paper, counts, hide, listed_ids


def test_home_shows_the_latest_day_with_papers_and_says_which(client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "Papers of Tuesday 3 February 2026" in page.text
    assert "showing the latest day with papers, Tuesday 3 February 2026" in page.text
    ids = listed_ids(page.text)
    assert len(ids) == 50 and ids[:2] == [TOP, SECOND]  # first page of 73
    assert 'href="/?date=2026-02-03&amp;page=2"' in page.text
    assert len(listed_ids(client.get("/?date=2026-02-03&page=2").text)) == 23
    assert '<link rel="stylesheet" href="/static/feed.css">' in page.text


def test_the_hf_day_ranks_by_trending_as_by_votes(client) -> None:
    trending = client.get("/", params={"date": HF_DAY})
    votes = client.get("/", params={"date": HF_DAY, "sort": "votes"})
    assert listed_ids(trending.text) == listed_ids(votes.text)
    shown = list(counts(trending.text).values())
    assert shown == sorted(shown, reverse=True) and shown[0] == 280
    assert '<strong aria-current="page">Votes</strong>' in votes.text


def test_a_local_vote_changes_the_count_and_the_button(client, smtp, site_store) -> None:
    assert counts(client.get("/").text)[SECOND] == 233
    sign_in(client, smtp, "reader@example.org", store=site_store)
    token = csrf_of(client, "/")
    done = client.post(f"/papers/{SECOND}/vote", data={"csrf_token": token, "next": "/"}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get("/").text
    assert counts(page)[SECOND] == 234
    form = re.search(rf'action="/papers/{SECOND}/vote".*?</form>', page, re.S).group(0)
    assert 'aria-pressed="true"' in form and 'name="csrf_token"' in form and "data-count" in form
    assert 'aria-pressed="false"' in re.search(rf'action="/papers/{TOP}/vote".*?</form>', page, re.S).group(0)


def test_week_and_month_lists(client) -> None:
    week = client.get("/?week=2026-W06")
    assert week.status_code == 200 and "Week 6 of 2026" in week.text
    assert len(listed_ids(week.text)) == 50 and listed_ids(week.text)[0] == TOP
    assert "listed 3 Feb 2026" in week.text
    assert 'href="/?week=2026-W05"' in week.text and 'href="/?week=2026-W07"' in week.text
    month = client.get("/?month=2026-02&sort=newest")
    assert month.status_code == 200 and "February 2026" in month.text and len(listed_ids(month.text)) == 50
    empty = client.get("/?week=2026-W07")
    assert "No papers in Week 7 of 2026" in empty.text and 'href="/?date=2026-02-03"' in empty.text


def test_the_category_filter_never_leaks(client, site_store) -> None:
    add_paper(site_store, "2602.99998", "Listed, in cs.CL", day=date(2026, 2, 3), categories=("cs.CL",))
    add_paper(site_store, "2602.99997", "Listed, in cs.RO", day=date(2026, 2, 3), categories=("cs.RO",))
    page = client.get("/", params={"date": HF_DAY, "category": "cs.CL"})
    ids = listed_ids(page.text)
    assert ids and "in cs.CL" in page.text
    with site_store.read() as conn:
        from paperwire.store.feed import display_rows

        rows = display_rows(conn, ids)
    assert all("cs.CL" in rows[pid]["categories"] for pid in ids)
    assert ids == ["2602.99998"] and 'href="/?date=2026-02-03">All categories</a>' in page.text
    assert listed_ids(client.get("/", params={"date": HF_DAY, "category": "hep-th"}).text) == []


def test_hidden_papers_never_appear(client, site_store) -> None:
    hide(site_store, TOP)
    for url in ("/", f"/?date={HF_DAY}&sort=votes", "/?week=2026-W06", "/?month=2026-02&sort=newest"):
        assert TOP not in client.get(url).text


def test_a_script_title_renders_as_text(client, site_store) -> None:
    add_paper(site_store, "2602.99999", SCRIPT_TITLE, day=date(2026, 2, 3), upvotes=500, authors=("<b>Eve</b>",))
    page = client.get("/").text
    assert listed_ids(page)[0] == "2602.99999"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and SCRIPT_TITLE not in page
    assert "&lt;b&gt;Eve&lt;/b&gt;" in page and "<b>Eve</b>" not in page


def test_navigation_between_days_skips_days_without_papers(client, site_store) -> None:
    add_paper(site_store, "2601.99999", "Listed earlier", day=date(2026, 1, 27), upvotes=1)
    page = client.get("/?date=2026-01-27").text
    assert 'href="/?date=2026-02-03" rel="next"' in page and 'rel="prev"' not in page
    assert 'href="/?date=2026-01-27" rel="prev"' in client.get(f"/?date={HF_DAY}").text
    assert "2025-03-18" not in page  # the arXiv-only day is New on arXiv's, not a Daily papers day


@pytest.mark.parametrize(
    ("day", "message"),
    [("2026-02-07", "arXiv announces nothing on weekends and holidays"), ("2026-02-05", "No papers on this day")],
)
def test_an_empty_day_says_why_and_links_the_last_day_with_papers(client, day: str, message: str) -> None:
    page = client.get("/", params={"date": day})
    assert page.status_code == 200 and message in page.text
    assert 'href="/?date=2026-02-03">See Tuesday 3 February 2026, the last day with papers before it' in page.text
    assert listed_ids(page.text) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date=2025-13-01", "date: expected a date as YYYY-MM-DD"),
        ("week=xyz", "week: expected an ISO week as YYYY-Www"),
        ("month=2026-1", "month: expected a month as YYYY-MM"),
        ("date=2026-02-03&week=2026-W06", "give only one of date, week or month"),
        ("sort=random", "sort: expected one of trending, votes, newest"),
        ("category=%3Cscript%3E", "category: &#39;&lt;script&gt;&#39; is not an arXiv category"),
        ("page=0", "page"),
        ("page=abc", "page"),
    ],
)
def test_bad_parameters_get_a_400_page_with_a_clear_message(client, query: str, message: str) -> None:
    page = client.get(f"/?{query}")
    assert page.status_code == 400
    assert message in page.text and "Traceback" not in page.text


def test_comment_counts_on_the_list_and_comments_on_the_paper_page(client, smtp, site_store) -> None:
    sign_in(client, smtp, "talker@example.org", store=site_store, name="Talker")
    token = csrf_of(client, "/")
    for body in ("First thought.", "Second thought."):
        done = client.post(f"/papers/{TOP}/comments", data={"csrf_token": token, "body": body}, follow_redirects=False)
        assert done.status_code == 303
    item = re.search(rf'<li id="p-{TOP}">.*?</li>', client.get("/").text, re.S).group(0)
    assert f'<a href="/papers/{TOP}#comments">2 comments</a>' in item
    paper = client.get(f"/papers/{TOP}").text
    assert "First thought." in paper and "Second thought." in paper


# --- sorts per view, the current week and month, arrows and the date picker (issue 12) ----------


def _sorts(html: str) -> str:
    """The sort links of a page: 'Votes* Newest' (the current one starred) with their addresses."""
    nav = re.search(r'<nav class="sorts".*?</nav>', html, re.S).group(0)
    found = re.findall(r'<strong aria-current="page">(\w+)</strong>|<a href="([^"]+)">(\w+)</a>', nav)
    return " ".join(f"{cur}*" if cur else f"{name}={url}" for cur, url, name in found)


def test_a_day_offers_votes_and_newest_and_reads_trending_as_votes(client) -> None:
    votes = client.get("/", params={"date": HF_DAY})
    assert _sorts(votes.text) == "Votes* Newest=/?date=2026-02-03&amp;sort=newest"
    trending = client.get("/", params={"date": HF_DAY, "sort": "trending"})
    assert trending.status_code == 200 and _sorts(trending.text) == _sorts(votes.text)
    assert listed_ids(trending.text) == listed_ids(votes.text)
    assert _sorts(client.get("/").text).startswith("Votes*")


@pytest.mark.parametrize("query", ["week=2026-W06", "month=2026-02"])
def test_weeks_and_months_offer_trending_votes_and_newest(client, query: str) -> None:
    page = client.get(f"/?{query}").text
    assert _sorts(page) == f"Trending* Votes=/?{query}&amp;sort=votes Newest=/?{query}&amp;sort=newest"
    assert _sorts(client.get(f"/?{query}&sort=votes").text).startswith(f"Trending=/?{query} Votes*")


def test_the_nav_links_the_current_day_week_month_and_trending(client) -> None:
    nav = re.search(r'<nav aria-label="Main">.*?</nav>', client.get("/").text, re.S).group(0)
    assert re.findall(r'<a href="([^"]+)">(Daily|New on arXiv|Week|Month|Trending)</a>', nav) == [
        ("/", "Daily"),
        ("/new", "New on arXiv"),
        ("/?view=week", "Week"),
        ("/?view=month", "Month"),
        ("/trending", "Trending"),
    ]


@pytest.mark.parametrize(
    ("view", "heading", "note"),
    [
        ("week", "Week 6 of 2026", "Nothing yet this week: showing the latest week with papers, Week 6 of 2026"),
        ("month", "February 2026", "Nothing yet this month: showing the latest month with papers, February 2026."),
    ],
)
def test_an_empty_current_week_or_month_falls_back_to_the_latest_with_papers(client, view, heading, note) -> None:
    page = client.get("/", params={"view": view})
    assert page.status_code == 200 and f"<h1>{heading}" in page.text and note in page.text
    assert listed_ids(page.text)[0] == TOP


def test_an_explicit_empty_week_says_so_without_falling_back(client) -> None:
    current = datetime.now(UTC).date().strftime("%G-W%V")
    page = client.get("/", params={"week": current}).text
    assert "No papers in Week" in page and "Nothing yet" not in page and listed_ids(page) == []


def test_the_current_week_with_papers_says_so(client, site_store) -> None:
    add_paper(site_store, "2612.00001", "Fresh this week", day=datetime.now(UTC).date(), upvotes=3)
    page = client.get("/", params={"view": "week"}).text
    assert "This week&#39;s papers." in page and listed_ids(page) == ["2612.00001"]


def test_arrows_either_side_of_the_heading(client, site_store) -> None:
    add_paper(site_store, "2601.99999", "Listed earlier", day=date(2026, 1, 27), upvotes=1)
    head = re.search(r'<div class="period-head">.*?</div>', client.get("/", params={"date": HF_DAY}).text, re.S)
    arrows = re.findall(r'<(a|span) class="arrow"(?: href="([^"]*)" rel="(\w+)")?[^>]*>(.)</', head.group(0))
    assert arrows == [("a", "/?date=2026-01-27", "prev", "←"), ("span", "", "", "→")]
    assert 'aria-label="Previous: 27 Jan 2026"' in head.group(0)
    assert head.group(0).index("←") < head.group(0).index("<h1>") < head.group(0).index("→")
    week = client.get("/", params={"week": "2026-W06", "sort": "votes"}).text
    assert 'href="/?week=2026-W05&amp;sort=votes" rel="prev"' in week


def _picker(html: str) -> str:
    return re.search(r'<form class="date-picker".*?</form>', html, re.S).group(0)


def test_the_date_picker_has_bounds_and_carries_view_sort_and_category(client) -> None:
    day = _picker(client.get("/", params={"date": HF_DAY}).text)
    assert 'action="/" method="get"' in day and "Go to day" in day and ">Go</button>" in day
    assert re.search(r'<input id="pick-date" type="date" name="date" value="2026-02-03" min="2026-02-03" max="', day)
    assert 'type="hidden"' not in day
    week = _picker(client.get("/", params={"week": "2026-W06", "sort": "votes", "category": "cs.CL"}).text)
    assert 'name="view" value="week"' in week and 'name="sort" value="votes"' in week
    assert 'name="category" value="cs.CL"' in week and 'value="2026-02-02"' in week


@pytest.mark.parametrize(
    ("query", "heading"),
    [
        ("date=2026-02-04&view=week", "<h1>Week 6 of 2026"),
        ("date=2025-03-18&view=month", "<h1>March 2025"),
        ("date=2025-03-18&view=day", "<h1>Papers of Tuesday 18 March 2025"),
        ("date=2025-03-18", "<h1>Papers of Tuesday 18 March 2025"),
    ],
)
def test_a_picked_date_lands_on_its_day_week_or_month(client, query: str, heading: str) -> None:
    page = client.get(f"/?{query}")
    assert page.status_code == 200 and heading in page.text and "Nothing yet" not in page.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("view=year", "view: expected one of day, week, month, got &#39;year&#39;"),
        ("view=" + "x" * 500, "view: expected one of day, week, month, got &#39;" + "x" * 40 + "&#39;"),
        ("week=2026-W06&view=month", "view: month does not go with week=2026-W06; give a date instead"),
        ("date=not-a-day&view=week", "date: expected a date as YYYY-MM-DD"),
        ("date=2026-02-30", "date: expected a date as YYYY-MM-DD"),
        ("date=2026-02-03&sort=random", "sort: expected one of trending, votes, newest"),
        ("view=week&sort=%3Cb%3E", "sort: expected one of trending, votes, newest, got &#39;&lt;b&gt;&#39;"),
    ],
)
def test_bad_navigation_input_gets_a_400_page(client, query: str, message: str) -> None:
    page = client.get(f"/?{query}")
    assert page.status_code == 400 and message in page.text and "Traceback" not in page.text
