"""New on arXiv's one ranking: newest first, or the papers nearest to the reader's upvotes first (SQLite and
PostgreSQL); the similarity itself is the search engine's, tested through the page in tests/web/test_new.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperwire.accounts.users import add_user
from paperwire.errors import InvalidInput
from paperwire.feed.lists import Period
from paperwire.feed.new_papers import NO_VOTES, SIGN_IN, check_new_sort, new_papers
from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import PaperRecord, ParsedItem
from paperwire.store import accounts as accounts_repo

DAY = date(2026, 3, 3)


@pytest.fixture
def day_of_papers(store):
    items = [
        ParsedItem(PaperRecord(f"2603.0000{n}", f"Paper {n}", "A.", ("A B",), (cat,), version=1, published=DAY), "t", n)
        for n, cat in enumerate(("cs.CL", "cs.CV", "cs.LG", "hep-th"), start=1)
    ]
    assert not ingest_items(store, items, source="test").errors
    return store


def test_newest_holds_the_followed_categories_new_papers(day_of_papers, settings) -> None:
    found = new_papers(day_of_papers, settings, Period.day(DAY))
    assert [i.id for i in found.plist.items] == ["2603.00003", "2603.00002", "2603.00001"]  # no hep-th
    assert found.sort == "newest" and found.note is None


def test_relevance_puts_the_recommended_papers_first_and_the_rest_newest(day_of_papers, settings) -> None:
    user = add_user(day_of_papers, "reader@example.org")
    with day_of_papers.write() as conn:
        accounts_repo.add_vote(conn, user["id"], "2603.00002", datetime.now(UTC))
    asked = []

    def recommend(user_id, period, categories, limit):
        asked.append((user_id, period, list(categories), limit))
        return ["2603.00001"]

    found = new_papers(
        day_of_papers, settings, Period.day(DAY), sort="relevance", viewer_id=user["id"], recommend=recommend
    )
    assert [i.id for i in found.plist.items] == ["2603.00001", "2603.00003", "2603.00002"]
    assert found.sort == "relevance" and found.note is None
    assert asked == [(user["id"], Period.day(DAY), settings.followed_categories.split(), 100)]


def test_relevance_without_a_reader_or_votes_is_newest_and_says_why(day_of_papers, settings) -> None:
    def never(*args):
        raise AssertionError("nothing to recommend from")

    def nothing(*args):
        return []  # a reader with no papers to rank by

    anonymous = new_papers(day_of_papers, settings, Period.day(DAY), sort="relevance", recommend=never)
    assert (anonymous.sort, anonymous.note) == ("newest", SIGN_IN)
    user = add_user(day_of_papers, "novoter@example.org")
    unvoted = new_papers(
        day_of_papers, settings, Period.day(DAY), sort="relevance", viewer_id=user["id"], recommend=nothing
    )
    assert (unvoted.sort, unvoted.note) == ("newest", NO_VOTES)
    assert [i.id for i in unvoted.plist.items] == [i.id for i in anonymous.plist.items]


def test_a_bad_sort_names_the_field() -> None:
    assert check_new_sort(None) == "newest" and check_new_sort("relevance") == "relevance"
    with pytest.raises(InvalidInput, match="sort: expected one of newest, relevance") as raised:
        check_new_sort("votes")
    assert raised.value.field == "sort"
