"""Calls to other servers (HTTP sources, the SMTP server): one retry policy on tenacity, one pacer.

A retry waits the server's Retry-After when it sent one (capped) and never less than exponential
backoff with jitter; `sleep` and `clock` are injectable so tests run without waiting.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

import tenacity
from tenacity import RetryCallState

Sleep = Callable[[float], None]
Clock = Callable[[], float]


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up at each call, so a test may patch time.sleep


def _clock() -> float:
    return time.monotonic()


def backoff_delay(base: float, attempt: int, *, jitter: float = 0.5, cap: float = math.inf) -> float:
    """Delay before retry number `attempt` (0-based): base * 2**attempt times a random factor in [1, 1 + jitter],
    at most `cap`."""
    return min(base * 2**attempt * random.uniform(1.0, 1.0 + jitter), cap)


class BackoffOrRetryAfter(tenacity.wait.wait_base):
    """tenacity wait: the larger of exponential backoff (with jitter) and the server's Retry-After, both capped."""

    def __init__(
        self,
        base: float,
        *,
        jitter: float = 0.5,
        cap: float = math.inf,
        retry_after: Callable[[BaseException], float | None] | None = None,
    ) -> None:
        self.base, self.jitter, self.cap, self.retry_after = base, jitter, cap, retry_after

    def __call__(self, retry_state: RetryCallState) -> float:
        delay = backoff_delay(self.base, retry_state.attempt_number - 1, jitter=self.jitter, cap=self.cap)
        outcome = retry_state.outcome
        error = outcome.exception() if outcome is not None and outcome.failed else None
        hint = self.retry_after(error) if self.retry_after is not None and error is not None else None
        return delay if hint is None else max(delay, min(hint, self.cap))


def retrying(
    *,
    attempts: int,
    retry_if: Callable[[BaseException], bool],
    backoff_base: float,
    jitter: float = 0.5,
    cap: float = math.inf,
    retry_after: Callable[[BaseException], float | None] | None = None,
    sleep: Sleep = _sleep,
    before_sleep: Callable[[RetryCallState], None] | None = None,
) -> tenacity.Retrying:
    """A tenacity Retrying: call `fn` up to `attempts` times while it raises an exception `retry_if` accepts,
    waiting BackoffOrRetryAfter between calls. The last exception (or any other) is raised as it is.

    Use as `retrying(...)(fn, *args)`.
    """
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max(1, attempts)),
        wait=BackoffOrRetryAfter(backoff_base, jitter=jitter, cap=cap, retry_after=retry_after),
        retry=tenacity.retry_if_exception(retry_if),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )


class Pacer:
    """Spaces calls at least `interval` seconds apart, start to start (one per source, one per SMTP sender)."""

    def __init__(self, interval: float, *, clock: Clock = _clock, sleep: Sleep = _sleep) -> None:
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._last_start: float | None = None

    def wait_turn(self) -> None:
        """Sleep until `interval` seconds have passed since the previous turn started; this turn starts now."""
        if self._last_start is not None:
            remaining = self._last_start + self.interval - self._clock()
            if remaining > 0:
                self._sleep(remaining)
        self._last_start = self._clock()
