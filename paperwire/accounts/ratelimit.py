"""Fixed-window rate limits kept in the database, so every worker process shares them."""

from __future__ import annotations

import time
from dataclasses import dataclass

from paperwire.config import Settings
from paperwire.errors import PaperwireError
from paperwire.store import Store
from paperwire.store.accounts import bump_counter

HOUR = 3600


class RateLimited(PaperwireError):
    """Too many requests of one kind from one address, client or user; `retry_after` is in seconds."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    """At most `count` events per `window` seconds for one key; `what` names the events in messages."""

    name: str
    count: int
    window: int
    what: str


def signin_per_address(settings: Settings) -> Limit:
    return Limit("signin-address", settings.signin_mails_per_address, HOUR, "sign-in mails to this address")


def signin_per_ip(settings: Settings) -> Limit:
    return Limit("signin-ip", settings.signin_mails_per_ip, HOUR, "sign-in requests from your network")


def votes_per_user(settings: Settings) -> Limit:
    return Limit("votes", settings.votes_per_hour, HOUR, "votes")


def comments_per_user(settings: Settings) -> Limit:
    return Limit("comments", settings.comments_per_hour, HOUR, "comments")


def hit(store: Store, limit: Limit, subject: str | int, *, now: float | None = None) -> int:
    """Count one event for `subject` under `limit`; raises RateLimited once the window's count is exceeded.

    The counter is one atomic upsert, so concurrent workers never both slip under the limit.
    """
    moment = time.time() if now is None else now
    window_start = int(moment // limit.window) * limit.window
    with store.write() as conn:
        count = bump_counter(conn, f"{limit.name}:{subject}", window_start)
    if count > limit.count:
        retry_after = max(1, int(window_start + limit.window - moment))
        minutes = max(1, round(retry_after / 60))
        raise RateLimited(
            f"too many {limit.what} (at most {limit.count} per {_span(limit.window)}): "
            f"try again in about {minutes} minute{'s' if minutes != 1 else ''}",
            retry_after=retry_after,
        )
    return count


def _span(seconds: int) -> str:
    if seconds % 86400 == 0:
        return "day" if seconds == 86400 else f"{seconds // 86400} days"
    if seconds % HOUR == 0:
        return "hour" if seconds == HOUR else f"{seconds // HOUR} hours"
    return f"{seconds} seconds"
