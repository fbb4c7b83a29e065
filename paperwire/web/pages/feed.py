"""The two period lists: Daily papers (`/`, the community's picks) and New on arXiv (`/new`, every new paper of
the followed categories), each for a day, an ISO week or a month, with the navigation of periods.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from paperwire.application import Paperwire
from paperwire.feed import lists, new_papers
from paperwire.feed.lists import Period
from paperwire.recommend.for_you import ranked_new
from paperwire.web.app import render
from paperwire.web.deps import AppDep, UserDep
from paperwire.web.pages.periods import DAILY, NEW, Tab, list_url, page_context
from paperwire.web.pages.periods import current as current_period

router = APIRouter()
PAGE_SIZE = 50


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(
    request: Request,
    app: AppDep,
    user: UserDep,
    day: str | None = Query(None, alias="date"),
    week: str | None = None,
    month: str | None = None,
    view: str | None = None,
    sort: str | None = None,
    category: str | None = None,
    page: int = Query(1, ge=1, le=10_000),
) -> HTMLResponse:
    """Daily papers of a period; with no period, the current day (week, month with `view`), or the latest one
    that has papers when it has none. `view` with a date shows the week or month that holds it."""
    kind = lists.check_view(view)
    category = lists.check_category(category)
    period = lists.parse_period(day=day, week=week, month=month, view=kind)
    sort = lists.check_list_sort(sort, period.kind if period else kind or "day")
    today = datetime.now(UTC).date()
    latest_note = None
    if period is None:
        period, latest_note = current_period(app, DAILY, kind or "day", category, today)
    plist = lists.build_list(
        app.store,
        app.settings,
        period,
        sort=sort,
        category=category,
        viewer_id=user["id"] if user else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    return render(
        request,
        "feed.html",
        plist=plist,
        latest_note=latest_note,
        **page_context(app, DAILY, period, sort, category, today, page, not plist.items),
        **_pager(DAILY, period, sort, category, page, plist.has_more),
        sort_links=[(name, list_url(DAILY, period, sort=name, category=category)) for name in DAILY.sorts(period.kind)],
    )


@router.get("/new", response_class=HTMLResponse, include_in_schema=False)
def new_on_arxiv(
    request: Request,
    app: AppDep,
    user: UserDep,
    day: str | None = Query(None, alias="date"),
    week: str | None = None,
    month: str | None = None,
    view: str | None = None,
    sort: str | None = None,
    category: str | None = None,
    page: int = Query(1, ge=1, le=10_000),
) -> HTMLResponse:
    """New on arXiv for a period, newest first or, signed in, nearest to the reader's upvotes first."""
    kind = lists.check_view(view)
    category = lists.check_category(category)
    period = lists.parse_period(day=day, week=week, month=month, view=kind)
    asked = new_papers.check_new_sort(sort)
    today = datetime.now(UTC).date()
    latest_note = None
    if period is None:
        period, latest_note = current_period(app, NEW, kind or "day", category, today)
    found = new_papers.new_papers(
        app.store,
        app.settings,
        period,
        sort=asked,
        category=category,
        viewer_id=user["id"] if user else None,
        recommend=_recommender(app),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    sort_links = [(name, list_url(NEW, period, sort=name, category=category)) for name in NEW.sorts(period.kind)]
    if user is None:  # relevance ranks by the reader's votes: signing in comes first
        sort_links = [
            (name, "/signin?next=" + quote(url, safe="/") if name == "relevance" else url) for name, url in sort_links
        ]
    return render(
        request,
        "feed.html",
        plist=found.plist,
        shown_sort=asked,
        sort_note=found.note,
        latest_note=latest_note,
        **page_context(app, NEW, period, asked, category, today, page, not found.plist.items),
        **_pager(NEW, period, asked, category, page, found.plist.has_more),
        sort_links=sort_links,
    )


def _recommender(app: Paperwire) -> new_papers.Recommend:
    """Relevance by the reader's For you ranking, the search engine opened only when a reader ranks by it."""

    def recommend(user_id: int, period: Period, categories: Sequence[str], limit: int) -> list[str]:
        return ranked_new(app.store, app.settings, app.engine, user_id, period, categories, limit)

    return recommend


def _pager(tab: Tab, period: Period, sort: str, category: str | None, page: int, more: bool) -> dict[str, Any]:
    return {
        "prev_page_url": list_url(tab, period, sort=sort, category=category, page=page - 1) if page > 1 else None,
        "next_page_url": list_url(tab, period, sort=sort, category=category, page=page + 1) if more else None,
    }
