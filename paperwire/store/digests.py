"""Reads and writes of digest subscriptions, the delivery ledger and the papers each subscriber was sent.

The ledger row of a (subscription, period) is claimed by one sender only: the INSERT relies on the
UNIQUE(subscription_id, period) constraint, and taking over a stale claim is one conditional UPDATE,
so two processes (or two machines on PostgreSQL) never both hold it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paperwire.store.papers import _chunks, insert_ignore
from paperwire.store.schema import delivered_papers, digest_deliveries, subscriptions, votes
from paperwire.store.upsert import insert_for

_JSON_FIELDS = ("topics", "categories", "authors")


def _subscription(row: Any) -> dict[str, Any]:
    found = dict(row._mapping)
    for name in _JSON_FIELDS:
        found[name] = list(found[name] or [])
    return found


# --- subscriptions -------------------------------------------------------------------------------


def get_subscription(conn: Connection, subscription_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(subscriptions).where(subscriptions.c.id == subscription_id)).first()
    return _subscription(row) if row else None


def get_subscription_by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(subscriptions).where(subscriptions.c.email == email)).first()
    return _subscription(row) if row else None


def subscription_of_user(conn: Connection, user_id: int) -> dict[str, Any] | None:
    """The user's subscription (the newest, should there be several addresses)."""
    query = sa.select(subscriptions).where(subscriptions.c.user_id == user_id).order_by(subscriptions.c.id.desc())
    row = conn.execute(query).first()
    return _subscription(row) if row else None


def ensure_subscription(conn: Connection, values: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The subscription of `values["email"]`, inserted from `values` if missing; True when inserted. Race-safe."""
    before = conn.execute(sa.select(subscriptions.c.id).where(subscriptions.c.email == values["email"])).first()
    if before is None:
        insert_ignore(conn, subscriptions, [values])
    found = get_subscription_by_email(conn, values["email"])
    assert found is not None
    return found, before is None


def update_subscription(conn: Connection, subscription_id: int, **values: Any) -> dict[str, Any] | None:
    conn.execute(subscriptions.update().where(subscriptions.c.id == subscription_id).values(**values))
    return get_subscription(conn, subscription_id)


def delete_subscription(conn: Connection, subscription_id: int) -> bool:
    return conn.execute(subscriptions.delete().where(subscriptions.c.id == subscription_id)).rowcount > 0


def list_subscriptions(conn: Connection, *, status: str | None = None, limit: int = 10_000) -> list[dict[str, Any]]:
    """Subscriptions, oldest first, with the time of their last sent digest."""
    last = (
        sa.select(sa.func.max(digest_deliveries.c.sent_at))
        .where(digest_deliveries.c.subscription_id == subscriptions.c.id)
        .scalar_subquery()
    )
    query = sa.select(subscriptions, last.label("last_sent_at")).order_by(subscriptions.c.id).limit(limit)
    if status:
        query = query.where(subscriptions.c.status == status)
    return [_subscription(row) for row in conn.execute(query)]


def _active(
    query: sa.Select[Any], max_failures: int, email: str | None, shard: tuple[int, int] | None
) -> sa.Select[Any]:
    query = query.where(subscriptions.c.status == "active", subscriptions.c.permanent_failures < max_failures)
    if email is not None:
        query = query.where(subscriptions.c.email == email)
    if shard is not None:  # (k, n): the subscriptions whose id is k modulo n, one sender process's share
        query = query.where(subscriptions.c.id % shard[1] == shard[0])
    return query


def active_page(
    conn: Connection,
    *,
    after_id: int,
    limit: int,
    max_failures: int,
    email: str | None = None,
    shard: tuple[int, int] | None = None,
) -> list[dict[str, Any]]:
    """The next `limit` active subscriptions by id (keyset paging), those stopped for bounces left out."""
    query = sa.select(subscriptions).where(subscriptions.c.id > after_id).order_by(subscriptions.c.id).limit(limit)
    return [_subscription(row) for row in conn.execute(_active(query, max_failures, email, shard))]


def count_active(
    conn: Connection, *, max_failures: int, email: str | None = None, shard: tuple[int, int] | None = None
) -> int:
    query = sa.select(sa.func.count()).select_from(subscriptions)
    return int(conn.execute(_active(query, max_failures, email, shard)).scalar_one())


def purge_pending(conn: Connection, before: datetime) -> int:
    """Delete subscriptions never confirmed and requested before `before`."""
    query = subscriptions.delete().where(subscriptions.c.status == "pending", subscriptions.c.created_at < before)
    return conn.execute(query).rowcount


def upvoted_ids(conn: Connection, user_id: int, *, limit: int = 50) -> list[str]:
    """The papers a user upvoted, most recent first."""
    query = (
        sa.select(votes.c.paper_id)
        .where(votes.c.user_id == user_id)
        .order_by(votes.c.created_at.desc(), votes.c.paper_id)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


# --- the delivery ledger -------------------------------------------------------------------------


def ledger_rows(conn: Connection, pairs: Iterable[tuple[int, str]]) -> dict[tuple[int, str], dict[str, Any]]:
    """Existing ledger rows of some (subscription id, period) pairs."""
    wanted = list(dict.fromkeys(pairs))
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for chunk in _chunks(wanted):
        ids = sorted({sid for sid, _ in chunk})
        periods = sorted({period for _, period in chunk})
        query = sa.select(digest_deliveries).where(
            digest_deliveries.c.subscription_id.in_(ids), digest_deliveries.c.period.in_(periods)
        )
        for row in conn.execute(query):
            found[(row.subscription_id, row.period)] = dict(row._mapping)
    return found


def claim(
    conn: Connection,
    subscription_id: int,
    period: str,
    token: str,
    now: datetime,
    *,
    stale_before: datetime,
    max_attempts: int,
) -> int | None:
    """Claim a (subscription, period) for this sender: the delivery id, or None when another holds or finished it.

    New rows are inserted (the unique constraint lets one inserter win). An existing row is taken over
    only if its claim is older than `stale_before` (its sender died) or it failed with attempts left.
    """
    stmt = (
        insert_for(conn, digest_deliveries)
        .values(
            subscription_id=subscription_id,
            period=period,
            status="claimed",
            claimed_by=token,
            claimed_at=now,
            attempts=1,
        )
        .on_conflict_do_nothing()
        .returning(digest_deliveries.c.id)
    )
    inserted = conn.execute(stmt).scalar()
    if inserted is not None:
        return int(inserted)
    t = digest_deliveries.c
    takeover = (
        digest_deliveries.update()
        .where(
            t.subscription_id == subscription_id,
            t.period == period,
            t.attempts < max_attempts,
            sa.or_(sa.and_(t.status == "claimed", t.claimed_at < stale_before), t.status == "failed"),
        )
        .values(status="claimed", claimed_by=token, claimed_at=now, attempts=t.attempts + 1)
        .returning(t.id)
    )
    taken = conn.execute(takeover).scalar()
    return int(taken) if taken is not None else None


def claims_held_by(conn: Connection, prefix: str) -> list[tuple[int, str]]:
    """Unfinished claims whose sender token starts with `prefix` (this host's senders): (delivery id, token)."""
    t = digest_deliveries.c
    query = sa.select(t.id, t.claimed_by).where(t.status == "claimed", t.claimed_by.startswith(prefix, autoescape=True))
    return [(row.id, row.claimed_by) for row in conn.execute(query)]


def release_claim(conn: Connection, delivery_id: int, token: str, reason: str) -> bool:
    """End a claim whose sender is known to be dead: it becomes a failed attempt that the next claim takes over."""
    query = digest_deliveries.update().where(_mine(delivery_id, token)).values(status="failed", error=reason[:2000])
    return conn.execute(query).rowcount > 0


def _mine(delivery_id: int, token: str) -> Any:
    t = digest_deliveries.c
    return sa.and_(t.id == delivery_id, t.claimed_by == token, t.status == "claimed")


def mark_sent(
    conn: Connection,
    delivery_id: int,
    token: str,
    *,
    subscription_id: int,
    message_id: str,
    paper_ids: Sequence[str],
    now: datetime,
) -> bool:
    """Record a sent digest and the papers it held, in the caller's transaction; False if the claim was lost."""
    done = conn.execute(
        digest_deliveries.update()
        .where(_mine(delivery_id, token))
        .values(status="sent", sent_at=now, message_id=message_id, error=None)
    ).rowcount
    if not done:
        return False
    rows = [
        {"subscription_id": subscription_id, "paper_id": pid, "delivery_id": delivery_id}
        for pid in dict.fromkeys(paper_ids)
    ]
    insert_ignore(conn, delivered_papers, rows)
    conn.execute(
        subscriptions.update()
        .where(subscriptions.c.id == subscription_id, subscriptions.c.permanent_failures > 0)
        .values(permanent_failures=0)
    )
    return True


def mark_skipped(conn: Connection, delivery_id: int, token: str, reason: str, now: datetime) -> bool:
    query = (
        digest_deliveries.update().where(_mine(delivery_id, token)).values(status="skipped", sent_at=now, error=reason)
    )
    return conn.execute(query).rowcount > 0


def mark_failed(
    conn: Connection, delivery_id: int, token: str, error: str, *, subscription_id: int, permanent: bool
) -> int:
    """Record a failed digest; a permanent refusal also counts against the address. Returns its count of them."""
    conn.execute(
        digest_deliveries.update().where(_mine(delivery_id, token)).values(status="failed", error=error[:2000])
    )
    if permanent:
        conn.execute(
            subscriptions.update()
            .where(subscriptions.c.id == subscription_id)
            .values(permanent_failures=subscriptions.c.permanent_failures + 1)
        )
    count = conn.execute(
        sa.select(subscriptions.c.permanent_failures).where(subscriptions.c.id == subscription_id)
    ).scalar()
    return int(count or 0)


def delivered_ids(conn: Connection, subscription_id: int) -> set[str]:
    """Every paper (version-less id) this subscriber has been sent."""
    query = sa.select(delivered_papers.c.paper_id).where(delivered_papers.c.subscription_id == subscription_id)
    return set(conn.execute(query).scalars())


def deliveries_of(conn: Connection, subscription_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """The latest ledger rows of a subscription, newest first."""
    query = (
        sa.select(digest_deliveries)
        .where(digest_deliveries.c.subscription_id == subscription_id)
        .order_by(digest_deliveries.c.id.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(query)]
