"""The retry policy and the pacer with an injected clock: waits, Retry-After, stopping, what is not retried."""

from __future__ import annotations

import pytest

from paperwire.retrying import Pacer, backoff_delay, retrying


class Busy(Exception):
    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__("busy")
        self.retry_after = retry_after


def failing(errors: list[BaseException], result: str = "done"):
    calls = []

    def call() -> str:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return result

    return call, calls


def policy(slept: list[float], **options: object):
    settings: dict[str, object] = {
        "attempts": 4,
        "retry_if": lambda exc: isinstance(exc, Busy),
        "backoff_base": 1.0,
        "retry_after": lambda exc: getattr(exc, "retry_after", None),
        "sleep": slept.append,
    }
    settings.update(options)
    return retrying(**settings)  # type: ignore[arg-type]


def test_backoff_doubles_with_jitter_up_to_half_and_is_capped() -> None:
    for attempt, low in enumerate([2.0, 4.0, 8.0]):
        assert low <= backoff_delay(2.0, attempt) <= low * 1.5
    assert backoff_delay(2.0, 3, jitter=0.0) == 16.0
    assert backoff_delay(2.0, 10, cap=30.0) == 30.0


def test_retries_until_success_waiting_exponential_backoff() -> None:
    slept: list[float] = []
    call, calls = failing([Busy(), Busy()])
    assert policy(slept)(call) == "done"
    assert len(calls) == 3
    assert 1.0 <= slept[0] <= 1.5 and 2.0 <= slept[1] <= 3.0


def test_retry_after_is_a_floor_and_is_capped() -> None:
    slept: list[float] = []
    call, _ = failing([Busy(retry_after=7.0), Busy(retry_after=0.0), Busy(retry_after=3600.0)])
    assert policy(slept, cap=60.0)(call) == "done"
    assert slept[0] == 7.0  # the server's wait, longer than the backoff
    assert 2.0 <= slept[1] <= 3.0  # Retry-After 0 never waits less than the backoff
    assert slept[2] == 60.0  # capped


def test_the_last_error_is_raised_after_the_last_attempt() -> None:
    slept: list[float] = []
    call, calls = failing([Busy() for _ in range(5)])
    with pytest.raises(Busy):
        policy(slept, attempts=3)(call)
    assert len(calls) == 3 and len(slept) == 2


def test_other_errors_are_not_retried() -> None:
    slept: list[float] = []
    call, calls = failing([ValueError("bad")])
    with pytest.raises(ValueError, match="bad"):
        policy(slept)(call)
    assert len(calls) == 1 and slept == []


def test_pacer_spaces_turns_start_to_start() -> None:
    now = [10.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(2.0, clock=lambda: now[0], sleep=sleep)
    pacer.wait_turn()  # the first turn starts at once
    now[0] += 0.5
    pacer.wait_turn()
    now[0] += 5.0  # longer than the interval: no wait
    pacer.wait_turn()
    assert slept == [1.5]
