"""Conditional GET (RFC 9110 section 13): an ETag and Last-Modified on a response, 304 when the client has it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response


def etag_of(body: bytes) -> str:
    """A strong entity tag: the same bytes, the same tag, in every worker process."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/"x" matches "x"; `*` matches any representation."""
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False  # an unparseable date is ignored, as RFC 9110 asks
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since


def conditional_response(
    request: Request,
    body: bytes,
    media_type: str,
    last_modified: datetime | None = None,
    *,
    cache_control: str = "no-cache",
) -> Response:
    """`body` with its ETag (and Last-Modified when known), or an empty 304 when the request's validators match.

    If-None-Match wins over If-Modified-Since when both are sent; If-Modified-Since alone compares with
    `last_modified` (whole seconds, as HTTP dates have). `cache_control`: how long caches may keep it unasked.
    """
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    if_none_match = request.headers.get("if-none-match")
    if_modified_since = request.headers.get("if-modified-since")
    if if_none_match is not None:
        unchanged = _matches(if_none_match, etag)
    else:
        unchanged = bool(if_modified_since and last_modified and _not_modified_since(if_modified_since, last_modified))
    if unchanged and request.method in ("GET", "HEAD"):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
