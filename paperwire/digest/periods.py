"""Which period a subscription's digest covers at a given moment, and period keys (`daily:2026-02-03`, `weekly:2026-W06`).

A daily digest goes out once the subscriber's send hour has passed in their time zone and covers the
latest day with a list strictly before that local date (so Monday's digest covers Friday when arXiv
announced nothing at the weekend; the ledger then makes Sunday's run a no-op). A weekly digest goes out
on the chosen weekday (Monday by default) at the send hour and covers the latest complete ISO week.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from paperwire.config import Settings
from paperwire.errors import InvalidInput
from paperwire.feed import lists
from paperwire.feed.lists import Period
from paperwire.store import Store

FREQUENCIES = ("daily", "weekly")
_PREFIX = {"day": "daily", "week": "weekly"}

LatestDay = Callable[[date], "date | None"]


def period_key(period: Period) -> str:
    """The ledger key of a digest period: daily:2026-02-03 or weekly:2026-W06."""
    if period.kind not in _PREFIX:
        raise InvalidInput(f"digests cover a day or an ISO week, not a {period.kind}")
    return f"{_PREFIX[period.kind]}:{period.key}"


def parse_period_key(text: str) -> Period:
    """A period from `daily:2026-02-03`, `weekly:2026-W06` or the bare `2026-02-03` / `2026-W06`."""
    raw = (text or "").strip()
    kind, _, value = raw.partition(":") if ":" in raw else ("", "", raw)
    if kind not in ("", "daily", "weekly"):
        raise InvalidInput(f"period: expected daily:YYYY-MM-DD or weekly:YYYY-Www, got {raw[:40]!r}")
    is_week = kind == "weekly" or (not kind and "W" in value.upper())
    period = lists.parse_period(week=value) if is_week else lists.parse_period(day=value)
    if period is None:
        raise InvalidInput("period: expected daily:YYYY-MM-DD or weekly:YYYY-Www")
    return period


def frequency_of(period: Period) -> str:
    return _PREFIX[period.kind]


def zone(name: str) -> ZoneInfo:
    """A time zone by IANA name, or InvalidInput naming the field."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"timezone: {name[:64]!r} is not a time zone name such as Europe/Paris or UTC", field="timezone"
        ) from None


def last_send_moment(subscription: dict[str, Any], now: datetime) -> datetime:
    """The latest scheduled send moment at or before `now`, in the subscriber's time zone."""
    local = now.astimezone(zone(subscription["timezone"]))
    hour = int(subscription["send_hour"])
    moment = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if subscription["frequency"] == "weekly":
        weekday = subscription["weekday"] if subscription["weekday"] is not None else 0
        moment -= timedelta(days=(local.weekday() - weekday) % 7)
        if moment > local:
            moment -= timedelta(days=7)
    elif moment > local:
        moment -= timedelta(days=1)
    return moment


def due_period(subscription: dict[str, Any], now: datetime, latest_day: LatestDay) -> Period:
    """The period a digest sent at `now` covers; `latest_day(before)` gives the latest list day before a date."""
    sent_on = last_send_moment(subscription, now).date()
    if subscription["frequency"] == "weekly":
        return Period.week_of(sent_on - timedelta(days=sent_on.weekday() + 1))
    day = latest_day(sent_on)
    return Period.day(day if day is not None else sent_on - timedelta(days=1))


class LatestDays:
    """`latest_day(before)` answered from the store once per date (one sender run asks it for every subscriber):
    the latest day with papers on either list, Daily papers or New on arXiv, since a digest draws on both."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings
        self._seen: dict[date, date | None] = {}

    def __call__(self, before: date) -> date | None:
        if before not in self._seen:
            self._seen[before] = lists.latest_day(self.store, self.settings, before=before, source="either")
        return self._seen[before]


def current_period(
    store: Store, settings: Settings, subscription: dict[str, Any], now: datetime | None = None
) -> Period:
    """The period of the digest this subscription got (or gets) last: what a preview shows by default."""
    return due_period(subscription, now or datetime.now(UTC), LatestDays(store, settings))
