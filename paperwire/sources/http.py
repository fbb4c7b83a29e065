"""One polite HTTP client per remote source: a single connection, a fixed request interval, retries."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import TypeVar

import httpx

from paperwire.config import Settings
from paperwire.errors import MalformedDocument, SourceUnavailable

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 300.0  # seconds; a longer Retry-After is capped rather than obeyed
_TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

Params = Mapping[str, str | int | float] | None
T = TypeVar("T")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


class PoliteClient:
    """GET requests to one source over one connection, spaced `request_interval` apart, retried when transient.

    Built from Settings; use it as a context manager so the connection is closed.
    `backoff_base` is the first retry delay without Retry-After (default max(request_interval, 1 s));
    `sleep` and `clock` are injectable for tests.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        backoff_base: float | None = None,
        max_retry_after: float = MAX_RETRY_AFTER,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.interval = settings.request_interval
        self.retries = settings.http_retries
        self.backoff_base = max(settings.request_interval, 1.0) if backoff_base is None else backoff_base
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self._clock = clock
        self._last_start: float | None = None
        self.requests_sent = 0
        self._http = httpx.Client(
            headers={"User-Agent": settings.user_agent},
            timeout=settings.http_timeout,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=True,
            transport=transport,
        )

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self._http.close()

    def get(self, url: str, params: Params = None) -> httpx.Response:
        """GET `url` politely; return the 2xx response or raise SourceUnavailable with a one-line reason."""
        target = str(httpx.URL(url).copy_merge_params(dict(params)) if params else httpx.URL(url))
        attempts = self.retries + 1
        for attempt in range(attempts):
            self._wait_turn()
            try:
                response = self._http.get(url, params=params)
            except _TRANSIENT_ERRORS as exc:
                cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if attempt + 1 >= attempts:
                    raise SourceUnavailable(f"GET {target} failed after {attempts} attempts: {cause}") from exc
                self._sleep(self.backoff(attempt))
                continue
            except httpx.HTTPError as exc:
                raise SourceUnavailable(f"GET {target} failed: {type(exc).__name__}: {exc}") from exc
            if response.is_success:
                return response
            status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
            if response.status_code not in RETRY_STATUSES:
                raise SourceUnavailable(f"GET {target} failed: {status}")
            if attempt + 1 >= attempts:
                raise SourceUnavailable(f"GET {target} failed after {attempts} attempts: {status}")
            wait = parse_retry_after(response.headers.get("Retry-After"))
            self._sleep(min(wait, self.max_retry_after) if wait is not None else self.backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def get_parsed(self, url: str, params: Params, parse: Callable[[httpx.Response], T]) -> T:
        """GET and parse; a malformed body is fetched once more (proxies truncate), then SourceUnavailable."""
        for attempt in range(2):
            response = self.get(url, params)
            try:
                return parse(response)
            except MalformedDocument as exc:
                if attempt == 1:
                    raise SourceUnavailable(
                        f"GET {response.request.url} returned a malformed document twice: {exc}"
                    ) from exc
                self._sleep(self.backoff(0))
        raise AssertionError("unreachable")  # pragma: no cover

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (0-based): exponential from backoff_base, with jitter, capped."""
        delay = self.backoff_base * (2**attempt)
        return min(delay * random.uniform(1.0, 1.5), self.max_retry_after)

    def _wait_turn(self) -> None:
        """Sleep until `interval` seconds have passed since the previous request started."""
        if self._last_start is not None:
            remaining = self._last_start + self.interval - self._clock()
            if remaining > 0:
                self._sleep(remaining)
        self._last_start = self._clock()
        self.requests_sent += 1
