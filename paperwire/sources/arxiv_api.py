"""Fetch papers from the live arXiv API (Atom): a category's newest updates, or a list of ids."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import httpx

from paperwire.config import Settings
from paperwire.errors import InvalidInput
from paperwire.papers.record import (
    ParsedItem,
    RecordError,
    check_category,
    parse_arxiv_id,
)
from paperwire.sources.arxiv_atom import AtomPage, parse_atom
from paperwire.sources.http import PoliteClient


def fetch_category(
    client: PoliteClient,
    settings: Settings,
    category: str,
    since: date | None = None,
    max_results: int | None = None,
) -> Iterator[ParsedItem | RecordError]:
    """Iterate over a category's papers, most recently updated first, until caught up with `since` or `max_results`.

    Stops at the first entry updated before `since`, at an empty page, or past totalResults.
    """
    cat = check_category(category)
    if max_results is not None and max_results < 1:
        raise InvalidInput(f"max_results must be at least 1, got {max_results}")
    return _category_pages(client, settings, cat, since, max_results)


def _category_pages(
    client: PoliteClient, settings: Settings, cat: str, since: date | None, max_results: int | None
) -> Iterator[ParsedItem | RecordError]:
    """The paging loop of fetch_category (a separate generator so bad arguments fail at the call)."""
    start = 0
    yielded = 0
    while True:
        size = settings.arxiv_page_size
        if max_results is not None:
            size = min(size, max_results - yielded)
        params: dict[str, str | int] = {
            "search_query": f"cat:{cat}",
            "sortBy": "lastUpdatedDate",
            "sortOrder": "descending",
            "start": start,
            "max_results": size,
        }
        page = _fetch_page(client, settings, params, f"arXiv API cat:{cat} start={start}")
        if not page.items:
            return
        for item in page.items:
            if since is not None and isinstance(item, ParsedItem) and _older_than(item, since):
                return
            yield item
            yielded += 1
            if max_results is not None and yielded >= max_results:
                return
        start += len(page.items)
        if page.total_results is not None and start >= page.total_results:
            return


def fetch_ids(client: PoliteClient, settings: Settings, ids: list[str]) -> list[ParsedItem]:
    """Fetch the given papers by id (with or without version); ids the API does not return are simply absent."""
    wanted = []
    for raw in ids:
        arxiv_id, version = parse_arxiv_id(raw)
        wanted.append(f"{arxiv_id}v{version}" if version else arxiv_id)
    found: list[ParsedItem] = []
    size = settings.arxiv_page_size
    for offset in range(0, len(wanted), size):
        chunk = wanted[offset : offset + size]
        params: dict[str, str | int] = {"id_list": ",".join(chunk), "start": 0, "max_results": len(chunk)}
        page = _fetch_page(client, settings, params, f"arXiv API id_list={chunk[0]}...")
        found.extend(item for item in page.items if isinstance(item, ParsedItem))
    return found


def _fetch_page(client: PoliteClient, settings: Settings, params: dict[str, str | int], name: str) -> AtomPage:
    """One API request, parsed; a malformed page is fetched once more before giving up."""

    def parse(response: httpx.Response) -> AtomPage:
        return parse_atom(response.content, name)

    return client.get_parsed(settings.arxiv_api_url, params, parse)


def _older_than(item: ParsedItem, since: date) -> bool:
    """True if the paper's last update (or first publication) is before `since`."""
    when = item.paper.updated or item.paper.published
    return when is not None and when < since
