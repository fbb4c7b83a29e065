"""The job queue as the edges report it: how many jobs of each kind are in each state."""

from __future__ import annotations

from datetime import UTC, datetime

from paperwire.store import Store
from paperwire.store import jobs as rows


def depth(store: Store) -> dict[tuple[str, str], int]:
    """Jobs per (kind, state) now: "queued" counts only jobs already due, "waiting" those scheduled later."""
    with store.read() as conn:
        return rows.depth(conn, datetime.now(UTC))
