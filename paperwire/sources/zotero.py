"""The Zotero Web API (v3), read-only: the top-level items of a user or group library changed since a library
version, page by page, with conditional requests (If-Modified-Since-Version; 304 when nothing changed).

Fetch and parse only; papers.library_zotero matches the items to papers and remembers the version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from paperwire.config import Settings
from paperwire.errors import MalformedDocument, SourceUnavailable
from paperwire.sources.http import PoliteClient

PAGE_SIZE = 100  # the most items the API returns per request
SKIPPED_TYPES = frozenset({"attachment", "note", "annotation"})  # children of an item, never a paper


@dataclass(frozen=True)
class ZoteroItem:
    """The fields of one Zotero item that can name a paper."""

    key: str
    version: int
    item_type: str
    title: str | None
    doi: str | None
    url: str | None
    archive_id: str | None  # e.g. "arXiv:1706.03762" (Zotero 7 fills it for preprints)
    extra: str | None  # free text; arXiv imports write "arXiv:1706.03762 [cs]" here
    other: tuple[str, ...] = ()  # number, publication title, archive location: may say "arXiv:..."


@dataclass
class ZoteroChanges:
    """What changed in a library since a version: the items, and the library version they bring it to."""

    items: list[ZoteroItem] = field(default_factory=list)
    version: int | None = None  # Last-Modified-Version of the first page
    not_modified: bool = False
    requests: int = 0


def fetch_changes(
    client: PoliteClient, settings: Settings, prefix: str, api_key: str, since: int | None
) -> ZoteroChanges:
    """Top-level items of `prefix` ("/users/123" or "/groups/456") changed after library version `since` (all
    items when None). Raises SourceUnavailable (a refused key, an unknown library, an unreachable server)."""
    url = settings.zotero_api_url.rstrip("/") + prefix + "/items/top"
    headers = {"Zotero-API-Key": api_key, "Zotero-API-Version": "3"}
    if since is not None:
        headers["If-Modified-Since-Version"] = str(since)
    changes = ZoteroChanges()
    start = 0
    while True:
        params: dict[str, str | int] = {"format": "json", "limit": PAGE_SIZE, "start": start}
        if since is not None:
            params["since"] = since
        try:
            response = client.get(url, params, headers=headers)
        except SourceUnavailable as exc:
            raise SourceUnavailable(_explain(exc.message)) from None
        changes.requests += 1
        if response.status_code == 304:
            changes.not_modified = True
            changes.version = since
            return changes
        if changes.version is None:  # items changed while paging have later versions: the next sync gets them
            changes.version = _int_header(response, "Last-Modified-Version")
        try:
            page, returned = parse_items(response.content, f"Zotero {prefix} items from {start}")
        except MalformedDocument as exc:
            raise SourceUnavailable(f"Zotero answered with a malformed page: {exc.message}") from None
        changes.items += page
        total = _int_header(response, "Total-Results")
        start += returned
        if not returned or total is None or start >= total:
            return changes


def _explain(message: str) -> str:
    """The client's one-line failure with what a reader can do about the usual statuses."""
    if "HTTP 403" in message:
        return f"Zotero refused the API key (it needs read access to this library): {message}"
    if "HTTP 404" in message:
        return f"Zotero has no such library (check the user or group id): {message}"
    return f"Zotero could not be reached: {message}"


def _int_header(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


def parse_items(body: bytes, name: str) -> tuple[list[ZoteroItem], int]:
    """Items of one page of the API's JSON (a list of {key, version, data: {...}}), children and trashed items
    left out, and how many the page held. Raises MalformedDocument."""
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedDocument(f"{name}: not JSON ({exc})") from None
    if not isinstance(raw, list):
        raise MalformedDocument(f"{name}: expected a list of items, got {type(raw).__name__}")
    items: list[ZoteroItem] = []
    for obj in raw:
        data = obj.get("data") if isinstance(obj, dict) else None
        if not isinstance(data, dict):
            raise MalformedDocument(f"{name}: an item without its data object")
        if data.get("itemType") in SKIPPED_TYPES or data.get("deleted"):
            continue
        items.append(
            ZoteroItem(
                key=_text(data, "key") or _text(obj, "key") or "?",
                version=_number(data.get("version")),
                item_type=_text(data, "itemType") or "?",
                title=_text(data, "title"),
                doi=_text(data, "DOI"),
                url=_text(data, "url"),
                archive_id=_text(data, "archiveID"),
                extra=_text(data, "extra"),
                other=tuple(
                    t
                    for t in (_text(data, n) for n in ("number", "publicationTitle", "archiveLocation", "reportNumber"))
                    if t
                ),
            )
        )
    return items, len(raw)


def _number(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    return value if isinstance(value, str) and value.strip() else None
