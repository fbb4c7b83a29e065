"""The one list function: periods, sources, trending, categories, hidden papers, counts (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from paperwire.accounts.users import add_user
from paperwire.config import Settings
from paperwire.errors import InvalidInput
from paperwire.feed.lists import (
    ROLLING_DAYS,
    SNIPPET_CHARS,
    ListItem,
    Period,
    build_list,
    check_category,
    check_list_sort,
    check_sort,
    check_view,
    first_day,
    latest_day,
    latest_period,
    next_day,
    parse_period,
    sorts_for,
    trending_list,
)
from paperwire.feed.trending import trending_score
from paperwire.papers.ingest import ingest_items
from paperwire.papers.load import ingest_paths
from paperwire.papers.record import ListingEntry, PaperRecord, ParsedItem
from paperwire.store import accounts as accounts_repo
from tests.conftest import FIXTURES

HF_DAY = date(2026, 2, 3)
ARXIV_DAY = date(2025, 3, 18)
FOLLOWED = {"cs.CL", "cs.CV", "cs.AI", "cs.LG"}


@pytest.fixture
def loaded(store):
    ingest_paths(store, [FIXTURES / "papers-300.jsonl", FIXTURES / "hf-archive-2026-02-03.json"])
    return store


def _hf_upvotes() -> dict[str, int]:
    day = json.loads((FIXTURES / "hf-archive-2026-02-03.json").read_text())
    return {p["paper_id"]: p["upvotes"] for p in day["papers"]}


def _fixture_categories() -> dict[str, list[str]]:
    rows = [json.loads(line) for line in (FIXTURES / "papers-300.jsonl").read_text().splitlines() if line.strip()]
    return {
        row["id"]: row["categories"] if isinstance(row["categories"], list) else row["categories"].split()
        for row in rows
    }


def _add(
    store,
    pid: str,
    title: str,
    day: date | None = None,
    upvotes: int = 0,
    *,
    categories=("cs.CL",),
    published: date | None = None,
) -> None:
    record = PaperRecord(
        pid, title, "An abstract.", ("Ada Lovelace",), tuple(categories), version=1, published=published
    )
    listing = ListingEntry(day, pid, "huggingface", upvotes=upvotes) if day else None
    report = ingest_items(store, [ParsedItem(record, "test", 1, listing=listing)], source="test")
    assert not report.errors


# --- periods and parameters ----------------------------------------------------------------------


def test_parse_period_accepts_days_weeks_and_months() -> None:
    assert parse_period() is None
    assert parse_period(day="2026-02-03") == Period("day", HF_DAY, HF_DAY)
    assert parse_period(week="2026-W06") == Period("week", date(2026, 2, 2), date(2026, 2, 8))
    assert parse_period(month="2024-02") == Period("month", date(2024, 2, 1), date(2024, 2, 29))
    assert parse_period(week="2026-W53").start == date(2026, 12, 28)  # 2026 has 53 ISO weeks
    assert parse_period(week="2026-W06").key == "2026-W06" and parse_period(month="2026-02").key == "2026-02"
    assert parse_period(day="2026-02-03").label == "Tuesday 3 February 2026"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"day": "2025-13-01"}, "date: expected a date as YYYY-MM-DD"),
        ({"day": "20260203"}, "date: expected"),
        ({"day": "2025-02-30"}, "date: expected"),
        ({"week": "xyz"}, "week: expected an ISO week"),
        ({"week": "2025-W53"}, "week: expected"),
        ({"month": "2026-00"}, "month: expected a month as YYYY-MM"),
        ({"day": "0001-01-01"}, "out of range"),
        ({"week": "9999-W52"}, "week: '9999-W52' is out of range"),  # its Sunday is past date.max
        ({"day": "9999-12-31"}, "out of range"),
        ({"month": "9999-12"}, "out of range"),
        ({"day": "2026-02-03", "week": "2026-W06"}, "only one of"),
    ],
)
def test_parse_period_rejects_bad_input_with_a_clear_message(kwargs, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_period(**kwargs)


def test_periods_step_back_and_forth() -> None:
    assert Period.day(HF_DAY).shifted(-1) == Period.day(date(2026, 2, 2))
    assert parse_period(week="2026-W01").shifted(-1).key == "2025-W52"
    assert parse_period(month="2026-01").shifted(-1).key == "2025-12"
    assert parse_period(month="2025-12").shifted(1).key == "2026-01"


def test_sort_and_category_checks() -> None:
    assert check_sort(None) == "trending" and check_sort("votes") == "votes"
    assert check_category(" cs.CL ") == "cs.CL" and check_category("") is None and check_category("hep-th") == "hep-th"
    with pytest.raises(InvalidInput, match="sort"):
        check_sort("random")
    with pytest.raises(InvalidInput, match="not an arXiv category"):
        check_category("<script>")


# --- the trending score --------------------------------------------------------------------------


def test_trending_score_is_votes_over_age_to_the_gravity() -> None:
    now = datetime(2026, 2, 3, 10, tzinfo=UTC)
    assert trending_score(120, HF_DAY, now, 1.8) == pytest.approx(120 / 12**1.8)
    assert trending_score(0, HF_DAY, now, 1.8) == 0
    assert trending_score(10, HF_DAY, now - timedelta(days=1), 1.8) == pytest.approx(10 / 2**1.8)  # never negative age
    older = trending_score(100, HF_DAY - timedelta(days=3), now, 1.8)
    assert trending_score(30, HF_DAY, now, 1.8) > older


# --- lists ---------------------------------------------------------------------------------------


def test_the_hf_day_ranks_by_trending_exactly_as_by_votes(loaded, settings) -> None:
    upvotes = _hf_upvotes()
    trending = build_list(loaded, settings, Period.day(HF_DAY))
    by_votes = build_list(loaded, settings, Period.day(HF_DAY), sort="votes")
    assert trending.total == len(upvotes) == 73
    assert [i.id for i in trending.items] == [i.id for i in by_votes.items]
    assert [i.upvotes for i in trending.items] == sorted(upvotes.values(), reverse=True)
    assert all(item.upvotes == upvotes[item.id] for item in trending.items)
    assert trending.items[0].id == "2602.00919" and trending.items[0].upvotes == 280


def test_a_local_vote_adds_to_the_imported_count_and_is_marked_for_its_voter(loaded, settings) -> None:
    user = add_user(loaded, "voter@example.org")
    with loaded.write() as conn:
        accounts_repo.add_vote(conn, user["id"], "2602.02276", datetime.now(UTC))
    plist = build_list(loaded, settings, Period.day(HF_DAY), viewer_id=user["id"])
    item = next(i for i in plist.items if i.id == "2602.02276")
    assert item.upvotes == 234 and item.voted
    assert not any(i.voted for i in plist.items if i.id != "2602.02276")
    anonymous = build_list(loaded, settings, Period.day(HF_DAY))
    assert not any(i.voted for i in anonymous.items)


def test_week_and_month_lists_gather_their_days(loaded, settings) -> None:
    week = build_list(loaded, settings, parse_period(week="2026-W06"))
    month = build_list(loaded, settings, parse_period(month="2026-02"))
    assert week.total == month.total == 73
    assert build_list(loaded, settings, parse_period(week="2026-W05")).total == 0
    expected = sum(1 for cats in _fixture_categories().values() if FOLLOWED & set(cats))
    assert build_list(loaded, settings, parse_period(month="2025-03")).total == 0  # no picks that month
    march = build_list(loaded, settings, parse_period(month="2025-03"), sort="newest", source="arxiv")
    assert march.total == expected > 250
    assert {item.list_date for item in march.items} == {ARXIV_DAY}


def test_trending_across_a_week_favours_fresh_papers(store, settings) -> None:
    monday, friday = date(2026, 3, 2), date(2026, 3, 6)
    _add(store, "2603.00001", "Old and popular", monday, 100)
    _add(store, "2603.00002", "Fresh", friday, 30)
    now = datetime(2026, 3, 6, 12, tzinfo=UTC)
    week = Period.week_of(monday)

    def order(sort: str) -> list[str]:
        return [i.id for i in build_list(store, settings, week, sort=sort, now=now).items]

    assert order("trending") == ["2603.00002", "2603.00001"]
    assert order("votes") == ["2603.00001", "2603.00002"]
    assert order("newest") == ["2603.00002", "2603.00001"]


def test_the_source_decides_what_fills_a_day(loaded, settings) -> None:
    """Daily papers are the listings only; New on arXiv the followed categories' papers first published that day."""
    assert build_list(loaded, settings, Period.day(ARXIV_DAY)).total == 0
    assert build_list(loaded, settings, Period.day(HF_DAY), source="arxiv").total == 0
    expected = {pid for pid, cats in _fixture_categories().items() if FOLLOWED & set(cats)}
    new = build_list(loaded, settings, Period.day(ARXIV_DAY), source="arxiv")
    assert {i.id for i in new.items} == expected and len(expected) > 250
    only_cl = settings.model_copy(update={"followed_categories": "cs.CL"})
    assert all(
        "cs.CL" in i.categories for i in build_list(loaded, only_cl, Period.day(ARXIV_DAY), source="arxiv").items
    )
    assert latest_day(loaded, settings) == HF_DAY and latest_day(loaded, settings, source="arxiv") == ARXIV_DAY
    assert latest_day(loaded, settings, before=HF_DAY) is None
    assert next_day(loaded, settings, after=ARXIV_DAY) == HF_DAY
    assert next_day(loaded, settings, after=ARXIV_DAY, source="arxiv") is None


def test_an_old_environment_with_the_removed_list_source_still_loads(monkeypatch) -> None:
    monkeypatch.setenv("PAPERWIRE_DAILY_LIST_SOURCE", "both")
    assert not hasattr(Settings(), "daily_list_source")


def test_a_paper_both_listed_and_new_on_arxiv_is_on_both_lists_once(loaded, settings) -> None:
    first = build_list(loaded, settings, Period.day(ARXIV_DAY), source="arxiv")
    pid = first.items[-1].id
    ingest_items(
        loaded,
        [
            ParsedItem(
                PaperRecord(pid, first.items[-1].title),
                "hf",
                1,
                listing=ListingEntry(ARXIV_DAY, pid, "huggingface", upvotes=7),
            )
        ],
        source="huggingface",
    )
    again = build_list(loaded, settings, Period.day(ARXIV_DAY), source="arxiv")
    assert again.total == first.total
    assert [i.id for i in again.items].count(pid) == 1
    daily = build_list(loaded, settings, Period.day(ARXIV_DAY))
    assert [i.id for i in daily.items] == [pid] and daily.items[0].upvotes == 7


@pytest.mark.parametrize("period", [Period.day(ARXIV_DAY), Period.week_of(ARXIV_DAY), Period.month_of(ARXIV_DAY)])
def test_the_category_filter_never_leaks(loaded, settings, period: Period) -> None:
    categories = _fixture_categories()
    for category in ("cs.CL", "cs.RO", "eess.IV"):
        plist = build_list(loaded, settings, period, category=category, source="arxiv")
        expected = {pid for pid, cats in categories.items() if category in cats and FOLLOWED & set(cats)}
        assert {item.id for item in plist.items} == expected
        assert all(category in item.categories for item in plist.items)
    assert build_list(loaded, settings, Period.day(HF_DAY), category="cs.CL").total == 0  # HF rows have no categories


def test_hidden_papers_never_appear(loaded, settings) -> None:
    top = build_list(loaded, settings, Period.day(HF_DAY)).items[0].id
    arxiv_paper = build_list(loaded, settings, Period.day(ARXIV_DAY), source="arxiv").items[0].id
    with loaded.write() as conn:
        for pid in (top, arxiv_paper):
            accounts_repo.set_paper_hidden(conn, pid, True, datetime.now(UTC))
    for period in (Period.day(HF_DAY), Period.month_of(HF_DAY), Period.day(ARXIV_DAY), Period.week_of(ARXIV_DAY)):
        for sort in ("trending", "votes", "newest"):
            for source in ("community", "arxiv"):
                ids = [i.id for i in build_list(loaded, settings, period, sort=sort, source=source).items]
                assert top not in ids and arxiv_paper not in ids


def test_a_day_of_only_hidden_papers_is_not_the_latest_day(store, settings) -> None:
    _add(store, "2603.00001", "Visible", date(2026, 3, 2), 1)
    _add(store, "2603.00002", "Hidden", date(2026, 3, 3), 1)
    with store.write() as conn:
        accounts_repo.set_paper_hidden(conn, "2603.00002", True, datetime.now(UTC))
    assert latest_day(store, settings) == date(2026, 3, 2)


def test_pages_and_comment_counts(loaded, settings) -> None:
    everything = build_list(loaded, settings, Period.day(HF_DAY))
    page = build_list(loaded, settings, Period.day(HF_DAY), limit=20, offset=20)
    assert [i.id for i in page.items] == [i.id for i in everything.items[20:40]] and page.has_more
    assert not build_list(loaded, settings, Period.day(HF_DAY), limit=20, offset=60).has_more
    author = add_user(loaded, "writer@example.org")
    pid = everything.items[0].id
    now = datetime.now(UTC)
    with loaded.write() as conn:
        for _ in range(3):
            accounts_repo.insert_comment(conn, pid, author["id"], "Nice.", now)
        hidden = accounts_repo.insert_comment(conn, pid, author["id"], "Spam.", now)
        deleted = accounts_repo.insert_comment(conn, pid, author["id"], "Oops.", now)
        accounts_repo.update_comment(conn, hidden, hidden_at=now)
        accounts_repo.update_comment(conn, deleted, deleted_at=now)
    assert build_list(loaded, settings, Period.day(HF_DAY)).items[0].comments == 3
    with pytest.raises(InvalidInput):
        build_list(loaded, settings, Period.day(HF_DAY), limit=0)


def _list_item(abstract: str = "", **urls: str | None) -> ListItem:
    return ListItem(
        "2602.00001",
        "T",
        abstract,
        [],
        [],
        None,
        None,
        1,
        urls.get("code"),
        urls.get("project"),
        None,
        date(2026, 2, 3),
        0,
        pdf_url=urls.get("pdf"),
    )


def test_a_snippet_is_cut_between_words_and_never_inside_maths() -> None:
    assert _list_item("Short  abstract\nhere.").snippet == "Short abstract here."
    words = "word " * 100
    snippet = _list_item(words).snippet
    assert snippet.endswith("word …") and len(snippet) <= SNIPPET_CHARS + 2
    cut = _list_item("x " * 130 + "$a + b + c + d + e + f + g + h + i + j + k$ tail " * 3).snippet
    assert cut.count("$") % 2 == 0 and cut.endswith(" …")


def test_item_links_are_http_only() -> None:
    item = _list_item(code="javascript:alert(1)", project="http://p.example/", pdf="data:text/html,x")
    assert item.links == [
        ("arXiv", "https://arxiv.org/abs/2602.00001"),
        ("project", "http://p.example/"),
    ]
    assert [label for label, _ in _list_item(pdf="https://arxiv.org/pdf/2602.00001v1").links] == ["arXiv", "PDF"]


# --- sorts per view, the view parameter, the latest period -----------------------------------------


def test_a_day_offers_votes_and_newest_and_reads_trending_as_votes() -> None:
    assert sorts_for("day") == ("votes", "newest")
    assert sorts_for("week") == sorts_for("month") == ("trending", "votes", "newest")
    assert check_list_sort(None, "day") == "votes" and check_list_sort("trending", "day") == "votes"
    assert check_list_sort("newest", "day") == "newest"
    assert check_list_sort(None, "week") == "trending" and check_list_sort("votes", "month") == "votes"
    with pytest.raises(InvalidInput, match="sort: expected one of") as raised:
        check_list_sort("random", "day")
    assert raised.value.field == "sort"


def test_a_view_picks_the_week_or_month_that_holds_a_date() -> None:
    assert check_view(None) is None and check_view(" ") is None and check_view("week") == "week"
    assert parse_period(day="2026-02-04", view="week") == Period.week_of(date(2026, 2, 2))
    assert parse_period(day="2026-02-04", view="month").key == "2026-02"
    assert parse_period(day="2026-02-04", view="day").key == "2026-02-04"
    assert parse_period(week="2026-W06", view="week").key == "2026-W06"
    assert parse_period(view="week") is None
    for bad in ("year", "<b>"):
        with pytest.raises(InvalidInput, match="view: expected one of day, week, month") as raised:
            check_view(bad)
        assert raised.value.field == "view"
    with pytest.raises(InvalidInput, match="view: month does not go with week=2026-W06") as raised:
        parse_period(week="2026-W06", view="month")
    assert raised.value.field == "view"


def test_the_latest_period_holds_the_latest_day_with_papers(loaded, settings) -> None:
    assert latest_period(loaded, settings, "day") == Period.day(HF_DAY)
    assert latest_period(loaded, settings, "week").key == "2026-W06"
    assert latest_period(loaded, settings, "month").key == "2026-02"
    assert first_day(loaded, settings) == HF_DAY and first_day(loaded, settings, source="arxiv") == ARXIV_DAY
    assert latest_period(loaded, settings, "month", source="arxiv").key == "2025-03"


def test_empty_store_has_no_latest_period(store, settings) -> None:
    assert latest_period(store, settings, "week") is None and first_day(store, settings) is None


# --- the rolling trending list ---------------------------------------------------------------------


def test_a_rolling_window_is_seven_days_to_its_end() -> None:
    window = Period.last_days(date(2026, 2, 3), ROLLING_DAYS)
    assert (window.start, window.end, window.kind) == (date(2026, 1, 28), date(2026, 2, 3), "rolling")
    assert window.label == "28 Jan – 3 Feb 2026" and window.shifted(-1).end == date(2026, 1, 27)


def _window_papers(store) -> None:
    _add(store, "2603.00001", "Old and popular", date(2026, 3, 2), 100)
    _add(store, "2603.00002", "Fresh", date(2026, 3, 6), 30, categories=("cs.CV",))
    _add(store, "2603.00003", "Quiet", date(2026, 3, 4), 5)
    _add(store, "2602.00009", "Before the window", date(2026, 2, 27), 900)


def _reference(store, settings, ids: list[str], now: datetime) -> list[str]:
    """The order the trending formula gives these papers at `now`, computed here from their days and votes."""
    with store.read() as conn:
        votes = accounts_repo.paper_upvotes(conn, ids)
    days = {"2603.00001": date(2026, 3, 2), "2603.00002": date(2026, 3, 6), "2603.00003": date(2026, 3, 4)}
    return sorted(ids, key=lambda pid: -trending_score(votes[pid], days[pid], now, settings.trending_gravity))


def test_trending_list_ranks_the_last_seven_days_by_decayed_votes(store, settings) -> None:
    _window_papers(store)
    now = datetime(2026, 3, 6, 12, tzinfo=UTC)
    plist = trending_list(store, settings, now=now)
    ids = [item.id for item in plist.items]
    assert plist.period == Period.last_days(date(2026, 3, 6), 7) and plist.sort == "trending"
    assert "2602.00009" not in ids  # listed 2026-02-27, a day before the window
    assert ids == _reference(store, settings, ["2603.00001", "2603.00002", "2603.00003"], now)
    assert ids[0] == "2603.00002"  # fresh beats more votes, unlike a votes sort
    assert [item.id for item in trending_list(store, settings, category="cs.CV", now=now).items] == ["2603.00002"]
    assert trending_list(store, settings, now=now, limit=1, offset=1).items[0].id == ids[1]


def test_trending_list_ends_on_the_latest_day_with_papers_scored_as_that_day_ended(store, settings) -> None:
    _window_papers(store)
    later = datetime(2026, 3, 20, 9, tzinfo=UTC)  # two weeks with no papers since
    plist = trending_list(store, settings, now=later)
    assert plist.period.end == date(2026, 3, 6)
    as_then = _reference(store, settings, ["2603.00001", "2603.00002", "2603.00003"], datetime(2026, 3, 7, tzinfo=UTC))
    assert [item.id for item in plist.items] == as_then
    assert as_then != _reference(store, settings, ["2603.00001", "2603.00002", "2603.00003"], later)
    assert trending_list(store, settings, now=later, category="hep-th").items == []


def test_trending_list_of_an_empty_store_is_empty(store, settings) -> None:
    now = datetime(2026, 3, 6, 12, tzinfo=UTC)
    plist = trending_list(store, settings, now=now)
    assert plist.items == [] and plist.period.end == date(2026, 3, 6)
