"""Hostile query parameters over HTTP: quotes inside words, periods whose end overflows, very long input.

Every answer is 200 or one clear 400, never a 500, and no page or message echoes a long input in full.
"""

from __future__ import annotations

import pytest

from tests.search.test_query_hostile import ATTACKS
from tests.web.accounts_helpers import csrf_of, sign_in

SEARCHES = ("/search", "/api/papers/search", "/feeds/search.rss", "/feeds/search.atom")
LISTS = ("/", "/api/daily_papers", "/feeds/daily.rss", "/feeds/daily.atom")
WEB_ATTACKS = [text for text in ATTACKS if "\udcff" not in text]  # lone surrogates cannot travel in a URL
LONG = "x" * 60_000  # httpx refuses URLs with a query component over 64 KB


def _clear(response) -> None:
    assert response.status_code in (200, 400), (response.status_code, response.text[:300])
    assert "Traceback" not in response.text and "something went wrong" not in response.text


@pytest.mark.slow  # many searches: up to 7 s
def test_quotes_inside_words_and_other_attack_strings_never_fail(client) -> None:
    for text in ['a"b "c', 'x" "', *WEB_ATTACKS]:
        for path in SEARCHES:
            for mode in ("keyword", "hybrid"):
                _clear(client.get(path, params={"q": text, "mode": mode}))
    for path in SEARCHES:  # bytes that are not UTF-8, as a browser or curl can send them
        _clear(client.get(f"{path}?q=%FF%FEa%22b+%22c%00"))
    page = client.get("/search", params={"q": 'segmentation"image "models', "mode": "keyword"})
    assert page.status_code == 200 and "search-results" in page.text
    answer = client.get("/api/papers/search", params={"q": 'x" "', "mode": "keyword"})
    assert answer.status_code == 200


@pytest.mark.slow  # many searches: up to 5 s
def test_attack_strings_in_filter_fields_never_fail(client) -> None:
    for text in WEB_ATTACKS:
        for field in ("author", "category", "since", "until", "mode", "page"):
            _clear(client.get("/search", params={"q": "model", field: text}))
            if field != "page":
                _clear(client.get("/api/papers/search", params={"q": "model", field: text}))


@pytest.mark.parametrize(
    "period",
    [
        "week=9999-W52",
        "date=9999-12-31",
        "month=9999-12",
        "week=9999-W01",
        "date=0000-01-01",
        "week=0001-W01",
        "month=3000-01",
    ],
)
def test_a_period_out_of_range_is_one_clear_400(client, period: str) -> None:
    name = period.split("=")[0]
    for path in LISTS:
        response = client.get(f"{path}?{period}")
        assert response.status_code == 400, (path, response.text[:300])
        assert f"{name}: " in response.text and ("out of range" in response.text or "expected" in response.text)
    for period in ("week=2999-W52", "date=2999-12-31", "month=2999-12", "date=1990-01-01"):  # the last ones allowed
        for path in LISTS:
            assert client.get(f"{path}?{period}").status_code == 200, (path, period)


def test_a_long_query_is_refused_without_being_echoed(client) -> None:
    normal = len(client.get("/search", params={"q": "model", "mode": "keyword"}).text)
    for params in (
        {"q": LONG},
        {"q": "model", "author": LONG},
        {"q": "model", "category": LONG},
        {"q": "model", "since": LONG},
        {"q": "model", "mode": LONG},
        {"q": "model", "page": LONG},
    ):
        page = client.get("/search", params=params)
        assert page.status_code == 400, params.keys()
        assert "x" * 1001 not in page.text and len(page.text) < normal + 4000, params.keys()
        answer = client.get("/api/papers/search", params=params)  # (the API has no page: it ignores one)
        assert answer.status_code in ((200,) if "page" in params else (400, 422)), params.keys()
        assert len(answer.text) < 1000 or "page" in params
        feed = client.get("/feeds/search.rss", params={"q": params["q"] if params["q"] != "model" else LONG})
        assert feed.status_code == 400 and "x" * 200 not in feed.text
    for path in LISTS:
        for name in ("date", "week", "month", "sort", "category"):
            if name == "sort" and "feeds" in path:
                continue  # the feeds take no sort
            response = client.get(path, params={name: LONG})
            assert response.status_code == 400 and "x" * 200 not in response.text, (path, name)


def test_no_page_echoes_a_long_unknown_parameter(client) -> None:
    for path in ("/papers/2503.11731", "/", "/?week=2025-W12", "/search?q=model&mode=keyword"):
        joiner = "&" if "?" in path else "?"
        response = client.get(f"{path}{joiner}junk={LONG}")
        assert response.status_code == 200 and "x" * 1001 not in response.text, path


def test_form_errors_do_not_echo_a_long_action(client, smtp, site_store) -> None:
    sign_in(client, smtp, "boss@example.org", store=site_store, admin=True)
    for path in ("/settings", "/admin/papers", "/admin/users/999"):
        response = client.post(path, data={"action": LONG, "csrf_token": csrf_of(client, "/settings")})
        assert response.status_code == 400, (path, response.text[:300])
        assert "unknown" in response.text and "x" * 41 not in response.text, path
