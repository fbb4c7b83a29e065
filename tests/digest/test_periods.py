"""Which period is due for a subscription at a moment, in its own time zone; period keys."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperwire.digest.periods import due_period, parse_period_key, period_key
from paperwire.errors import InvalidInput
from paperwire.feed.lists import Period

LIST_DAYS = [date(2026, 1, 30), date(2026, 2, 2), date(2026, 2, 4), date(2026, 2, 5)]  # 3 Feb: nothing announced


def latest(before: date) -> date | None:
    return max((d for d in LIST_DAYS if d < before), default=None)


def sub(frequency: str = "daily", *, hour: int = 7, tz: str = "UTC", weekday: int | None = None) -> dict:
    return {"frequency": frequency, "send_hour": hour, "timezone": tz, "weekday": weekday}


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 2, 5, 7, 0, tzinfo=UTC), date(2026, 2, 4)),  # at the send hour: yesterday's list
        (datetime(2026, 2, 5, 6, 59, tzinfo=UTC), date(2026, 2, 2)),  # before it: the list before yesterday's send
        (datetime(2026, 2, 3, 9, 0, tzinfo=UTC), date(2026, 2, 2)),
        (datetime(2026, 2, 2, 9, 0, tzinfo=UTC), date(2026, 1, 30)),  # Monday morning: Friday's list
        (datetime(2026, 2, 1, 9, 0, tzinfo=UTC), date(2026, 1, 30)),  # Sunday too: the ledger makes it a no-op
    ],
)
def test_daily(moment: datetime, expected: date) -> None:
    assert due_period(sub(), moment, latest) == Period.day(expected)


def test_daily_in_the_subscribers_time_zone() -> None:
    moment = datetime(2026, 2, 4, 22, 30, tzinfo=UTC)  # 07:30 on 5 February in Tokyo, 23:30 on the 4th in Paris
    assert due_period(sub(tz="Asia/Tokyo"), moment, latest) == Period.day(date(2026, 2, 4))
    assert due_period(sub(tz="Europe/Paris"), moment, latest) == Period.day(date(2026, 2, 2))
    assert due_period(sub(tz="America/Los_Angeles", hour=23), moment, latest) == Period.day(date(2026, 2, 2))


def test_weekly_covers_the_last_complete_iso_week() -> None:
    monday = datetime(2026, 2, 9, 8, 0, tzinfo=UTC)
    assert due_period(sub("weekly", weekday=0), monday, latest) == Period.week_of(date(2026, 2, 2))
    assert due_period(sub("weekly", weekday=0, hour=9), monday, latest) == Period.week_of(date(2026, 1, 26))
    friday = datetime(2026, 2, 13, 8, 0, tzinfo=UTC)
    assert due_period(sub("weekly", weekday=4), friday, latest) == Period.week_of(date(2026, 2, 2))
    assert due_period(sub("weekly", weekday=5), friday, latest) == Period.week_of(date(2026, 1, 26))
    assert due_period(sub("weekly"), friday, latest) == Period.week_of(date(2026, 2, 2))  # Monday by default


def test_period_keys() -> None:
    assert period_key(Period.day(date(2026, 2, 3))) == "daily:2026-02-03"
    assert period_key(Period.week_of(date(2026, 2, 3))) == "weekly:2026-W06"
    assert parse_period_key("daily:2026-02-03") == parse_period_key("2026-02-03") == Period.day(date(2026, 2, 3))
    assert parse_period_key("weekly:2026-W06") == parse_period_key("2026-w06") == Period.week_of(date(2026, 2, 2))
    for bad in ("monthly:2026-02", "daily:2026-02-30", "weekly:2026-02-03", "soon"):
        with pytest.raises(InvalidInput, match=r"period|date|week"):
            parse_period_key(bad)
