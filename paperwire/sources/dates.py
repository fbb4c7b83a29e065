"""Date parsing: strict, so impossible dates are reported. Every source format and every edge parse dates here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import overload

from paperwire.errors import InvalidInput
from paperwire.papers.record import check_date, shown

_MAX_DATE_CHARS = 64  # the longest RFC 2822 timestamp is about 40


@overload
def parse_day(text: str, field: str) -> date: ...
@overload
def parse_day(text: None, field: str) -> None: ...
@overload
def parse_day(text: str | None, field: str) -> date | None: ...


def parse_day(text: str | None, field: str) -> date | None:
    """A YYYY-MM-DD date given by a user (an option, a form field, a query term, a stored state); None stays None.

    The one parser of typed dates: InvalidInput names the `field` (as the message's prefix and as `.field`).
    """
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{field}: expected a date as YYYY-MM-DD, got {shown(text, 40)}", field=field) from None


def parse_date(raw: object, field: str) -> date | None:
    """Parse YYYY-MM-DD or an ISO 8601 / RFC 2822 timestamp into a date; None stays None."""
    moment = parse_datetime(raw, field)
    return moment.date() if moment else None


def parse_datetime(raw: object, field: str) -> datetime | None:
    """Parse an ISO 8601 date/timestamp or an RFC 2822 one into an aware UTC datetime.

    Dates arXiv cannot have (before 1991, over a year ahead, overflowing) raise InvalidInput.
    """
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise InvalidInput(f"{field}: expected a date string, got {shown(raw)}", field=field)
    text = raw.strip()
    try:
        if len(text) > _MAX_DATE_CHARS:
            raise ValueError(text)
        if len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        else:
            moment = _timestamp(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        raise InvalidInput(f"{field}: impossible or unreadable date {shown(raw)}", field=field) from None
    check_date(moment.date(), field)
    return moment


def _timestamp(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)  # takes "Z" since Python 3.11
    except ValueError:
        return parsedate_to_datetime(text)
