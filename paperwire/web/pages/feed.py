"""Home page: the list of a day, an ISO week or a month, sorted and filtered, with navigation between periods."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from paperwire.application import Paperwire
from paperwire.feed import lists
from paperwire.feed.lists import Period
from paperwire.web.app import render
from paperwire.web.deps import AppDep, UserDep

router = APIRouter()
PAGE_SIZE = 50


def list_url(period: Period, *, sort: str = "trending", category: str | None = None, page: int = 1) -> str:
    """The home-page address of a period's list (default sort and first page left out)."""
    params = {period.param: period.key}
    if sort != "trending":
        params["sort"] = sort
    if category:
        params["category"] = category
    if page > 1:
        params["page"] = str(page)
    return "/?" + urlencode(params)


def _day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(
    request: Request,
    app: AppDep,
    user: UserDep,
    day: str | None = Query(None, alias="date"),
    week: str | None = None,
    month: str | None = None,
    sort: str | None = None,
    category: str | None = None,
    page: int = Query(1, ge=1, le=10_000),
) -> HTMLResponse:
    """A period's papers; with no period, the latest day that has papers."""
    store, settings = app.store, app.settings
    sort = lists.check_sort(sort)
    category = lists.check_category(category)
    period = lists.parse_period(day=day, week=week, month=month)
    today = datetime.now(UTC).date()
    latest_note = None
    if period is None:
        latest = lists.latest_day(store, settings, category=category)
        period = Period.day(latest or today)
        if latest is None:
            latest_note = "No papers yet: import a daily list or load papers to fill this page."
        elif latest == today:
            latest_note = "Today's papers."
        else:
            latest_note = f"Nothing yet today: showing the latest day with papers, {_day_label(latest)}."
    plist = lists.build_list(
        store,
        settings,
        period,
        sort=sort,
        category=category,
        viewer_id=user["id"] if user else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    context = _navigation(app, period, sort, category, today)
    if not plist.items:
        context.update(_empty(app, period, category, page))
    pages: dict[str, Any] = {
        "prev_page_url": list_url(period, sort=sort, category=category, page=page - 1) if page > 1 else None,
        "next_page_url": list_url(period, sort=sort, category=category, page=page + 1) if plist.has_more else None,
    }
    return render(
        request,
        "feed.html",
        plist=plist,
        period=period,
        latest_note=latest_note,
        period_param=period.param,
        period_key=period.key,
        show_day=period.kind != "day",
        followed=lists.followed(settings),
        **context,
        **pages,
        sort_links=[(name, list_url(period, sort=name, category=category)) for name in lists.SORTS],
        clear_category_url=list_url(period, sort=sort),
    )


def _navigation(app: Paperwire, period: Period, sort: str, category: str | None, today: date) -> dict[str, Any]:
    """Links to the previous and next period: for days, the nearest days that have papers."""
    store, settings = app.store, app.settings
    if period.kind == "day":
        before = lists.latest_day(store, settings, before=period.start, category=category)
        after = lists.next_day(store, settings, after=period.start, category=category)
        prev_period = Period.day(before) if before else None
        next_period = Period.day(after) if after else None
    else:
        prev_period = period.shifted(-1)
        next_period = period.shifted(1)
        if next_period is not None and next_period.start > today:
            next_period = None
    noun = {"day": "day", "week": "week", "month": "month"}[period.kind]
    return {
        "prev_url": list_url(prev_period, sort=sort, category=category) if prev_period else None,
        "next_url": list_url(next_period, sort=sort, category=category) if next_period else None,
        "prev_label": _short(prev_period) if prev_period and period.kind == "day" else f"Previous {noun}",
        "next_label": _short(next_period) if next_period and period.kind == "day" else f"Next {noun}",
    }


def _short(period: Period) -> str:
    return f"{period.start.day} {period.start:%b %Y}"


def _empty(app: Paperwire, period: Period, category: str | None, page: int) -> dict[str, object]:
    """What an empty list says, and a link to the last day with papers before it."""
    store, settings = app.store, app.settings
    where = f" in {category}" if category else ""
    if page > 1:
        message = "There are no more papers: this page is past the end of the list."
    elif period.kind == "day" and period.start.weekday() >= 5:
        message = f"No papers{where} on this day: arXiv announces nothing on weekends and holidays."
    elif period.kind == "day":
        message = (
            f"No papers{where} on this day. arXiv announces nothing on weekends and holidays, "
            "and this day's list may not have been imported yet."
        )
    else:
        message = f"No papers{where} in {period.label}."
    earlier = lists.latest_day(store, settings, before=period.start, category=category)
    return {
        "empty_message": message,
        "earlier_url": list_url(Period.day(earlier), category=category) if earlier and page == 1 else None,
        "earlier_label": _day_label(earlier) if earlier else None,
    }
