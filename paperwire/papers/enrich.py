"""Complete the papers known only from a Hugging Face list or a submission with arXiv's own metadata.

Such papers have a title and authors but no categories and no first-published date, so a category filter
hides them and feeds cannot date them. `enrich_listed` asks the arXiv API for them by `id_list`, in pages of
`arxiv_page_size`, through the application's rate-limited client, and ingests what comes back as first-hand
arXiv records (their listings and votes are kept). It is resumable by construction: a paper that got its
metadata is no longer selected. Ids the API does not know are remembered (source state), so later runs do not
ask again, unless `retry_missing`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

from paperwire.papers.fetch import Services, ingest_fetched
from paperwire.papers.record import ParsedItem
from paperwire.store import papers as papers_repo
from paperwire.store.state import get_state, set_state

MISSING_KEY = "enrich:arxiv:not_found"
OnProgress = Callable[[int, int], None] | None  # (papers asked for so far, papers to ask for)
Lookup = Callable[[list[str]], list[ParsedItem]]  # arXiv ids -> the records arXiv has of them


@dataclass
class EnrichReport:
    """What an enrichment run did."""

    asked: int = 0
    completed: int = 0
    not_found: list[str] = field(default_factory=list)
    left: int = 0  # still incomplete and not yet asked (a --limit stopped the run)

    def summary(self) -> str:
        text = f"asked arXiv for {self.asked} papers, completed {self.completed}"
        if self.not_found:
            shown = ", ".join(self.not_found[:10]) + (" ..." if len(self.not_found) > 10 else "")
            text += f"; {len(self.not_found)} unknown to arXiv ({shown})"
        if self.left:
            text += f"; {self.left} left for a later run"
        return text


def enrich_listed(
    app: Services,
    *,
    limit: int | None = None,
    retry_missing: bool = False,
    on_progress: OnProgress = None,
    lookup: Lookup | None = None,
) -> EnrichReport:
    """Fetch arXiv's metadata for listed papers that lack it (at most `limit` of them), and ingest it.

    `lookup` None asks the arXiv API through the application's rate-limited client (tests give a stand-in)."""
    from paperwire.sources.arxiv_api import fetch_ids

    store, settings = app.store, app.settings
    missing = set() if retry_missing else set(json.loads(get_state(store, MISSING_KEY) or "[]"))
    with store.read() as conn:
        pending = [i for i in papers_repo.listed_without_metadata(conn) if i not in missing]
    todo = pending[:limit] if limit is not None else pending
    report = EnrichReport(left=len(pending) - len(todo))
    if not todo:
        return report
    size = settings.arxiv_page_size
    with ExitStack() as resources:
        if lookup is None:
            client = resources.enter_context(app.http_client())
            lookup = lambda ids: fetch_ids(client, settings, ids)  # noqa: E731
        for start in range(0, len(todo), size):
            chunk = todo[start : start + size]
            asked = set(chunk)
            found = [item for item in lookup(chunk) if item.paper.arxiv_id in asked]
            ingested = ingest_fetched(app, found, source="arxiv-api")
            returned = {item.paper.arxiv_id for item in found}
            unknown = [i for i in chunk if i not in returned]
            report.asked += len(chunk)
            report.completed += ingested.updated + ingested.added
            report.not_found += unknown
            missing.update(unknown)
            set_state(store, MISSING_KEY, json.dumps(sorted(missing)))  # after each page: a crash loses one page
            if on_progress:
                on_progress(report.asked, len(todo))
    return report
