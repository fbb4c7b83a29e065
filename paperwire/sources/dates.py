"""Date parsing shared by every source format: strict, so impossible dates are reported."""

from __future__ import annotations

from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from paperwire.errors import InvalidInput


def parse_date(raw: object, field: str) -> date | None:
    """Parse YYYY-MM-DD or an ISO 8601 / RFC 2822 timestamp into a date; None stays None."""
    moment = parse_datetime(raw, field)
    return moment.date() if moment else None


def parse_datetime(raw: object, field: str) -> datetime | None:
    """Parse an ISO 8601 date/timestamp or an RFC 2822 one into an aware UTC datetime."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise InvalidInput(f"{field}: expected a date string, got {raw!r}")
    text = raw.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise InvalidInput(f"{field}: impossible or unreadable date {raw!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
