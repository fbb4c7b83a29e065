"""The trending score: the one formula every list, feed, API and digest ranks "trending" by."""

from __future__ import annotations

from datetime import UTC, date, datetime, time


def trending_score(upvotes: int, list_day: date, now: datetime, gravity: float) -> float:
    """upvotes / (hours since the list day began, UTC + 2) ** gravity, as on Hacker News.

    Papers of one day share their age, so within a day trending equals most votes; across a
    week or a month, a fresh paper with few votes can overtake an older one with more.
    The +2 keeps a paper listed this very hour from dividing by almost nothing.
    """
    began = datetime.combine(list_day, time.min, tzinfo=UTC)
    hours = max(0.0, (now - began).total_seconds() / 3600)
    return upvotes / (hours + 2) ** gravity
