"""Fixed-window rate limits: exact under concurrency, per key, reset with the next window."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from paperwire.accounts.ratelimit import Limit, RateLimited, client_key, hit

LIMIT = Limit("test", 5, 60, "tests")


def test_counts_up_to_the_limit_then_refuses(store) -> None:
    assert [hit(store, LIMIT, "a", now=960.0) for _ in range(5)] == [1, 2, 3, 4, 5]
    with pytest.raises(RateLimited, match=r"too many tests \(at most 5 per minute\)") as caught:
        hit(store, LIMIT, "a", now=970.0)
    assert caught.value.status == 429 and caught.value.retry_after == 50
    assert hit(store, LIMIT, "b", now=970.0) == 1  # another key has its own counter
    assert hit(store, LIMIT, "a", now=1020.0) == 1  # the next window starts afresh


def test_concurrent_hits_never_slip_under_the_limit(store) -> None:
    limit = Limit("burst", 10, 3600, "bursts")

    def one(_: int) -> bool:
        try:
            hit(store, limit, "same", now=7200.0)
            return True
        except RateLimited:
            return False

    with ThreadPoolExecutor(max_workers=16) as pool:
        allowed = list(pool.map(one, range(40)))
    assert allowed.count(True) == 10


def test_old_windows_are_pruned(store) -> None:
    import sqlalchemy as sa

    from paperwire.store.schema import rate_limits

    hit(store, LIMIT, "p", now=0.0)
    hit(store, LIMIT, "p", now=120.0)
    with store.read() as conn:
        assert conn.execute(sa.select(rate_limits.c.window_start)).scalars().all() == [120]


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),
        ("testclient", "testclient"),
    ],
)
def test_clients_are_counted_per_ipv4_address_and_per_ipv6_64(ip, key) -> None:
    assert client_key(ip) == key
