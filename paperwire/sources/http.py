"""One polite HTTP client per remote source: a single connection, a fixed request interval, retries
(paperwire.retrying: backoff with jitter, at least the server's Retry-After)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import TypeVar

import httpx
import tenacity

from paperwire.config import Settings
from paperwire.errors import MalformedDocument, SourceUnavailable
from paperwire.retrying import Pacer, retrying

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
        self.pacer = Pacer(settings.request_interval, clock=clock, sleep=sleep)
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

    def get(self, url: str, params: Params = None, *, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """GET `url` politely; return the 2xx response (or a 304 to a conditional request, which sends `headers`),
        or raise SourceUnavailable with a one-line reason."""
        target = str(httpx.URL(url).copy_merge_params(dict(params)) if params else httpx.URL(url))
        attempts = self.retries + 1

        def attempt() -> httpx.Response:
            self.pacer.wait_turn()
            self.requests_sent += 1
            response = self._http.get(url, params=params, headers=headers)
            if response.status_code in RETRY_STATUSES:
                raise _TransientStatus(response)
            return response

        try:
            response = self._retrying(attempts, _retryable)(attempt)
        except _TRANSIENT_ERRORS as exc:
            cause = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise SourceUnavailable(f"GET {target} failed after {attempts} attempts: {cause}") from exc
        except _TransientStatus as exc:
            raise SourceUnavailable(f"GET {target} failed after {attempts} attempts: {exc.status}") from None
        except httpx.HTTPError as exc:
            raise SourceUnavailable(f"GET {target} failed: {type(exc).__name__}: {exc}") from exc
        if not response.is_success and response.status_code != 304:
            raise SourceUnavailable(f"GET {target} failed: {_status(response)}")
        return response

    def get_parsed(self, url: str, params: Params, parse: Callable[[httpx.Response], T]) -> T:
        """GET and parse; a malformed body is fetched once more (proxies truncate), then SourceUnavailable."""
        last: list[httpx.Response] = []

        def attempt() -> T:
            last[:] = [self.get(url, params)]
            return parse(last[0])

        try:
            return self._retrying(2, lambda exc: isinstance(exc, MalformedDocument))(attempt)
        except MalformedDocument as exc:
            raise SourceUnavailable(f"GET {last[0].request.url} returned a malformed document twice: {exc}") from exc

    def _retrying(self, attempts: int, retry_if: Callable[[BaseException], bool]) -> tenacity.Retrying:
        return retrying(
            attempts=attempts,
            retry_if=retry_if,
            backoff_base=self.backoff_base,
            cap=self.max_retry_after,
            retry_after=_retry_after,
            sleep=self._sleep,
        )


class _TransientStatus(Exception):
    """A response with a status worth retrying (429, 5xx), raised so the retry policy sees it."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(_status(response))
        self.response = response
        self.status = _status(response)


def _status(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, (_TransientStatus, *_TRANSIENT_ERRORS))


def _retry_after(exc: BaseException) -> float | None:
    """The Retry-After of a transient response, in seconds; None for a network error or without the header."""
    if isinstance(exc, _TransientStatus):
        return parse_retry_after(exc.response.headers.get("Retry-After"))
    return None
