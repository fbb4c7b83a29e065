"""Home page: the list of a day, an ISO week or a month, sorted and filtered, with navigation between periods
(arrows to the previous and next one, and a date picker)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from paperwire.application import Paperwire
from paperwire.feed import lists
from paperwire.feed.lists import Kind, Period
from paperwire.web.app import render
from paperwire.web.deps import AppDep, UserDep

router = APIRouter()
PAGE_SIZE = 50


def list_url(period: Period, *, sort: str | None = None, category: str | None = None, page: int = 1) -> str:
    """The home-page address of a period's list (the period's default sort and the first page left out)."""
    params = {period.param: period.key}
    if sort and sort != lists.sorts_for(period.kind)[0]:
        params["sort"] = sort
    if category:
        params["category"] = category
    if page > 1:
        params["page"] = str(page)
    return "/?" + urlencode(params)


def _day_label(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


_CURRENT = {"day": "today", "week": "this week", "month": "this month"}


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
    """A period's papers; with no period, the current day (week, month with `view`), or the latest one
    that has papers when it has none. `view` with a date shows the week or month that holds it."""
    store, settings = app.store, app.settings
    kind = lists.check_view(view)
    category = lists.check_category(category)
    period = lists.parse_period(day=day, week=week, month=month, view=kind)
    sort = lists.check_list_sort(sort, period.kind if period else kind or "day")
    today = datetime.now(UTC).date()
    latest_note = None
    if period is None:
        period, latest_note = _current(app, kind or "day", category, today)
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
    context.update(_picker(app, period, sort, category, today))
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
        sort_links=[(name, list_url(period, sort=name, category=category)) for name in lists.sorts_for(period.kind)],
        clear_category_url=list_url(period, sort=sort),
        tag_prefix=f"/?{period.param}={period.key}&category=",
    )


def _current(app: Paperwire, kind: Kind, category: str | None, today: date) -> tuple[Period, str]:
    """The period a bare link to the day, week or month view shows, and a line saying which:
    the current one, or the latest one with papers when the current one has none."""
    current = Period.of(kind, today)
    latest = lists.latest_period(app.store, app.settings, kind, category=category)
    if latest is None:
        return current, "No papers yet: import a daily list or load papers to fill this page."
    if latest == current:
        return current, f"{_CURRENT[kind].capitalize()}'s papers."
    return latest, f"Nothing yet {_CURRENT[kind]}: showing the latest {kind} with papers, {latest.label}."


def _picker(app: Paperwire, period: Period, sort: str, category: str | None, today: date) -> dict[str, Any]:
    """The date picker's fields: which day it shows, its bounds, and what the form carries along."""
    first = lists.first_day(app.store, app.settings)
    latest = lists.latest_day(app.store, app.settings)
    carry = {"view": period.kind if period.kind != "day" else None, "category": category}
    carry["sort"] = sort if sort != lists.sorts_for(period.kind)[0] else None
    return {
        "picker_value": period.start.isoformat(),
        "picker_min": first.isoformat() if first else None,
        "picker_max": max(today, latest or today).isoformat(),
        "picker_label": {"day": "Go to day", "week": "Go to the week of", "month": "Go to the month of"}[period.kind],
        "picker_carry": [(name, value) for name, value in carry.items() if value],
    }


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
