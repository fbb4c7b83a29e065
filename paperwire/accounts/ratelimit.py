"""Fixed-window rate limits kept in the database, so every worker process shares them."""

from __future__ import annotations

import ipaddress
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
    """At most `count` events per `window` seconds for one key; `what` names the events in messages,
    `advice` (optional) says what to do meanwhile."""

    name: str
    count: int
    window: int
    what: str
    advice: str = ""


def signin_per_address(settings: Settings) -> Limit:
    """Sign-in mails to one address, per link lifetime: a short window that many IPs together cannot stretch,
    and while it is full every link mailed in it still works, so its owner is never locked out."""
    minutes = settings.signin_link_minutes
    return Limit(
        "signin-address",
        settings.signin_mails_per_address,
        minutes * 60,
        "sign-in mails to this address",
        advice=f"the links mailed to it in the last {minutes} minutes still work: use the newest one",
    )


def signin_per_ip(settings: Settings) -> Limit:
    return Limit("signin-ip", settings.signin_mails_per_ip, HOUR, "sign-in requests from your network")


def client_key(ip: str) -> str:
    """The rate-limit key of a client address: an IPv6 client is counted per /64, the block one subscriber
    usually holds (so hopping between its addresses does not reset the limit); IPv4 per address."""
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def votes_per_user(settings: Settings) -> Limit:
    return Limit("votes", settings.votes_per_hour, HOUR, "votes")


def comments_per_user(settings: Settings) -> Limit:
    return Limit("comments", settings.comments_per_hour, HOUR, "comments")


def imports_per_user(settings: Settings) -> Limit:
    """Library imports started on the site: each may read a large file and ask arXiv and Zotero."""
    return Limit("library-imports", settings.library_imports_per_hour, HOUR, "library imports")


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
        wait = f"try again in about {minutes} minute{'s' if minutes != 1 else ''}"
        raise RateLimited(
            f"too many {limit.what} (at most {limit.count} per {_span(limit.window)}): "
            + (f"{limit.advice}; or {wait}" if limit.advice else wait),
            retry_after=retry_after,
        )
    return count


def _span(seconds: int) -> str:
    if seconds % 86400 == 0:
        return "day" if seconds == 86400 else f"{seconds // 86400} days"
    if seconds % HOUR == 0:
        return "hour" if seconds == HOUR else f"{seconds // HOUR} hours"
    if seconds % 60 == 0:
        return "minute" if seconds == 60 else f"{seconds // 60} minutes"
    return f"{seconds} seconds"
