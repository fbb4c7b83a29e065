"""What the two period lists share, Daily papers (`/`) and New on arXiv (`/new`): their addresses, the arrows to
the previous and next period, the date picker, the current period and what an empty list says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from paperwire.application import Paperwire
from paperwire.feed import lists
from paperwire.feed.lists import Kind, Period, Source
from paperwire.feed.new_papers import NEW_SORTS

_CURRENT = {"day": "today", "week": "this week", "month": "this month"}


@dataclass(frozen=True)
class Tab:
    """One of the two lists: its address, the source that fills it and its name."""

    path: str
    source: Source
    name: str

    def sorts(self, kind: Kind) -> tuple[str, ...]:
        """The sorts this list offers for a period of this kind, its default first."""
        return lists.sorts_for(kind) if self.source == "community" else NEW_SORTS


DAILY = Tab("/", "community", "Daily papers")
NEW = Tab("/new", "arxiv", "New on arXiv")
TABS = (DAILY, NEW)


def list_url(tab: Tab, period: Period, *, sort: str | None = None, category: str | None = None, page: int = 1) -> str:
    """The address of a period's list (the default sort and the first page left out)."""
    params = {period.param: period.key}
    if sort and sort != tab.sorts(period.kind)[0]:
        params["sort"] = sort
    if category:
        params["category"] = category
    if page > 1:
        params["page"] = str(page)
    return f"{tab.path}?{urlencode(params)}"


def tab_links(period: Period, category: str | None) -> list[tuple[Tab, str]]:
    """Each list's address for the same period and category: the tab pair."""
    return [(tab, list_url(tab, period, category=category)) for tab in TABS]


def current(app: Paperwire, tab: Tab, kind: Kind, category: str | None, today: date) -> tuple[Period, str]:
    """The period a bare link to the day, week or month view shows, and a line saying which:
    the current one, or the latest one with papers when the current one has none."""
    now = Period.of(kind, today)
    latest = lists.latest_period(app.store, app.settings, kind, category=category, source=tab.source)
    if latest is None:
        return now, "No papers yet: import a daily list or load papers to fill this page."
    if latest == now:
        return now, f"{_CURRENT[kind].capitalize()}'s papers."
    return latest, f"Nothing yet {_CURRENT[kind]}: showing the latest {kind} with papers, {latest.label}."


def picker(app: Paperwire, tab: Tab, period: Period, sort: str, category: str | None, today: date) -> dict[str, Any]:
    """The date picker's fields: which day it shows, its bounds, and what the form carries along."""
    first = lists.first_day(app.store, app.settings, source=tab.source)
    latest = lists.latest_day(app.store, app.settings, source=tab.source)
    carry = {"view": period.kind if period.kind != "day" else None, "category": category}
    carry["sort"] = sort if sort != tab.sorts(period.kind)[0] else None
    return {
        "picker_value": period.start.isoformat(),
        "picker_min": first.isoformat() if first else None,
        "picker_max": max(today, latest or today).isoformat(),
        "picker_label": {"day": "Go to day", "week": "Go to the week of", "month": "Go to the month of"}[period.kind],
        "picker_carry": [(name, value) for name, value in carry.items() if value],
    }


def navigation(
    app: Paperwire, tab: Tab, period: Period, sort: str, category: str | None, today: date
) -> dict[str, Any]:
    """Links to the previous and next period: for days, the nearest days that have papers."""
    store, settings = app.store, app.settings
    if period.kind == "day":
        before = lists.latest_day(store, settings, before=period.start, category=category, source=tab.source)
        after = lists.next_day(store, settings, after=period.start, category=category, source=tab.source)
        prev_period = Period.day(before) if before else None
        next_period = Period.day(after) if after else None
    else:
        prev_period = period.shifted(-1)
        next_period = period.shifted(1)
        if next_period is not None and next_period.start > today:
            next_period = None
    noun = {"day": "day", "week": "week", "month": "month"}[period.kind]
    return {
        "prev_url": list_url(tab, prev_period, sort=sort, category=category) if prev_period else None,
        "next_url": list_url(tab, next_period, sort=sort, category=category) if next_period else None,
        "prev_label": _short(prev_period) if prev_period and period.kind == "day" else f"Previous {noun}",
        "next_label": _short(next_period) if next_period and period.kind == "day" else f"Next {noun}",
    }


def _short(period: Period) -> str:
    return f"{period.start.day} {period.start:%b %Y}"


def empty(app: Paperwire, tab: Tab, period: Period, category: str | None, page: int) -> dict[str, object]:
    """What an empty list says, and a link to the last day with papers before it."""
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
    earlier = lists.latest_day(app.store, app.settings, before=period.start, category=category, source=tab.source)
    return {
        "empty_message": message,
        "earlier_url": list_url(tab, Period.day(earlier), category=category) if earlier and page == 1 else None,
        "earlier_label": f"{earlier:%A} {earlier.day} {earlier:%B %Y}" if earlier else None,
    }


def page_context(
    app: Paperwire, tab: Tab, period: Period, sort: str, category: str | None, today: date, page: int, empty_list: bool
) -> dict[str, Any]:
    """Everything around a period's list that both tabs show: tabs, arrows, picker, empty note, pager targets."""
    context = navigation(app, tab, period, sort, category, today)
    context.update(picker(app, tab, period, sort, category, today))
    if empty_list:
        context.update(empty(app, tab, period, category, page))
    context.update(
        tab=tab,
        tabs=tab_links(period, category),
        period=period,
        period_param=period.param,
        period_key=period.key,
        show_day=period.kind != "day",
        followed=lists.followed(app.settings),
        clear_category_url=list_url(tab, period, sort=sort),
        tag_prefix=f"{tab.path}?{period.param}={period.key}&category=",
    )
    return context
