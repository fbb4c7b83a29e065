"""Import a reader's library: match each entry to a paper here (by arXiv id, then DOI, then normalised title),
fetch the papers of unknown arXiv ids from the arXiv API, and add what matched to the reader's library.

Every entry ends up counted once: matched (to a paper that was here), fetched (its paper came from arXiv now)
or unmatched, with the reason; the parts of a file that could not be read are unmatched entries too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from paperwire.errors import SourceUnavailable
from paperwire.papers.fetch import Services, ingest_fetched
from paperwire.papers.library_formats import Entry, Format, ParsedFile, normalise_title
from paperwire.papers.library_readers import read_file
from paperwire.papers.record import ParsedItem
from paperwire.store import library as repo

MIN_TITLE_KEY = 12  # characters of a folded title below which it is too short to match safely
OnProgress = Callable[[str, int, int], None] | None  # (stage, done, total)
Lookup = Callable[[list[str]], list[ParsedItem]]  # arXiv ids -> the records arXiv has of them


@dataclass(frozen=True)
class Unmatched:
    """An entry that matched no paper, as shown to the reader, and why."""

    entry: str
    reason: str


@dataclass
class ImportResult:
    """What an import did with each entry; matched + fetched + len(unmatched) is every entry of the file."""

    format: str
    matched: int = 0
    fetched: int = 0
    added: int = 0  # papers new to the library (an entry may name a paper already there)
    unmatched: list[Unmatched] = field(default_factory=list)
    fetch_failure: str | None = None  # why arXiv could not be asked for the unknown ids, when it could not
    deferred: int = 0  # entries whose ids were past the fetch limit: a later import fetches them

    def as_json(self) -> dict[str, Any]:
        """The shape `paperwire library import --json` prints."""
        return {
            "matched": self.matched,
            "fetched": self.fetched,
            "unmatched": [{"entry": u.entry, "reason": u.reason} for u in self.unmatched],
        }

    def summary(self) -> str:
        return (
            f"{self.matched} matched, {self.fetched} fetched from arXiv, {len(self.unmatched)} unmatched; "
            f"{self.added} papers new to the library"
        )


def import_file(
    app: Services,
    user_id: int,
    data: bytes,
    *,
    filename: str | None = None,
    format: Format | None = None,
    fetch: bool = True,
    fetch_limit: int | None = None,
    on_progress: OnProgress = None,
    lookup: Lookup | None = None,
) -> ImportResult:
    """Read a library file (BibTeX, RIS, CSL-JSON, ids) and add the papers its entries name to the user's
    library. Raises InvalidInput when nothing in the file can be read."""
    parsed = read_file(data, filename=filename, format=format)
    return import_entries(
        app,
        user_id,
        parsed,
        origin=parsed.format,
        fetch=fetch,
        fetch_limit=fetch_limit,
        on_progress=on_progress,
        lookup=lookup,
    )


def import_entries(
    app: Services,
    user_id: int,
    parsed: ParsedFile,
    *,
    origin: str,
    fetch: bool = True,
    fetch_limit: int | None = None,
    on_progress: OnProgress = None,
    lookup: Lookup | None = None,
) -> ImportResult:
    """Match entries to papers, fetch unknown arXiv ids (unless `fetch` is off; at most `fetch_limit` of them,
    default the library_fetch_max setting), add the papers to the library.

    `lookup` None asks the arXiv API through the application's rate-limited client (tests give a stand-in)."""
    result = ImportResult(parsed.format)
    result.unmatched += [Unmatched(bad.label, bad.reason) for bad in parsed.problems]
    found: dict[int, str] = {}  # entry index -> paper id
    entries = parsed.entries
    store = app.store
    with store.read() as conn:
        all_ids = [i for e in entries for i in e.arxiv_ids]
        here = repo.visible_ids(conn, all_ids)
        hidden = repo.hidden_ids(conn, all_ids)
        for n, entry in enumerate(entries):
            known = next((i for i in entry.arxiv_ids if i in here), None)
            if known:
                found[n] = known
        by_doi = repo.ids_by_doi(conn, [d for n, e in enumerate(entries) if n not in found for d in e.dois])
        for n, entry in enumerate(entries):
            if n not in found:
                doi_match = next((by_doi[d.lower()] for d in entry.dois if d.lower() in by_doi), None)
                if doi_match:
                    found[n] = doi_match
        titled = _title_keys(entries, found)
        ambiguous = _match_titles(conn, titled, found, on_progress)
    result.matched = len(found)
    to_fetch = {
        n: [i for i in e.arxiv_ids if i not in hidden] for n, e in enumerate(entries) if n not in found and e.arxiv_ids
    }
    limit = app.settings.library_fetch_max if fetch_limit is None else fetch_limit
    capped = _over_the_cap(to_fetch, limit)
    result.deferred = len(capped) if fetch else 0
    fetch_failure: str | None = None
    if fetch and any(to_fetch.values()):
        fetch_failure = result.fetch_failure = _fetch_missing(app, to_fetch, found, on_progress, lookup)
        result.fetched = len(found) - result.matched
    for n, entry in enumerate(entries):
        if n in found:
            continue
        if fetch and n in capped:
            reason = f"more than {limit} unknown arXiv ids in one import: import the file again to fetch the rest"
        else:
            reason = _reason(entry, hidden, ambiguous.get(n), fetch=fetch, failure=fetch_failure)
        result.unmatched.append(Unmatched(entry.label, reason))
    paper_ids = list(dict.fromkeys(found[n] for n in sorted(found)))
    with store.write() as conn:
        result.added = repo.add_to_library(conn, user_id, paper_ids, origin, datetime.now(UTC))
        repo.undismiss_many(conn, user_id, paper_ids)  # importing a paper says the reader wants it after all
    return result


def _over_the_cap(to_fetch: dict[int, list[str]], limit: int) -> set[int]:
    """Drop from `to_fetch` the entries past the first `limit` distinct ids; returns their indexes."""
    seen: set[str] = set()
    capped: set[int] = set()
    for n in sorted(to_fetch):
        fresh = [i for i in to_fetch[n] if i not in seen]
        if len(seen) + len(fresh) > limit:
            capped.add(n)
            del to_fetch[n]
            continue
        seen.update(fresh)
    return capped


def _title_keys(entries: Sequence[Entry], found: dict[int, str]) -> dict[str, list[int]]:
    """Folded title -> indexes of the entries still unmatched that name no arXiv id (an id is the better witness:
    a paper here with the same title and another id is another paper, so such an entry is fetched instead)."""
    keys: dict[str, list[int]] = {}
    for n, entry in enumerate(entries):
        if n in found or not entry.title or entry.arxiv_ids:
            continue
        key = normalise_title(entry.title)
        if len(key) >= MIN_TITLE_KEY:
            keys.setdefault(key, []).append(n)
    return keys


def _match_titles(
    conn: Any, titled: dict[str, list[int]], found: dict[int, str], on_progress: OnProgress
) -> dict[int, list[str]]:
    """Match entries by folded title in one pass over the titles; returns the entries that several papers match."""
    if not titled:
        return {}
    hits: dict[str, list[str]] = {}
    for scanned, (paper_id, title) in enumerate(repo.iter_titles(conn), 1):
        key = normalise_title(title)
        if key in titled:
            hits.setdefault(key, []).append(paper_id)
        if on_progress and scanned % repo.TITLE_SCAN_ROWS == 0:
            on_progress("titles", scanned, 0)
    ambiguous: dict[int, list[str]] = {}
    for key, indexes in titled.items():
        ids = hits.get(key, [])
        for n in indexes:
            if len(ids) == 1:
                found[n] = ids[0]
            elif ids:
                ambiguous[n] = ids
    return ambiguous


def _fetch_missing(
    app: Services, to_fetch: dict[int, list[str]], found: dict[int, str], on_progress: OnProgress, lookup: Lookup | None
) -> str | None:
    """Ask arXiv for the unknown ids and ingest its answers; returns why it could not be asked, if it could not."""
    from paperwire.sources.arxiv_api import fetch_ids

    wanted = list(dict.fromkeys(i for ids in to_fetch.values() for i in ids))
    size = app.settings.arxiv_page_size
    got: set[str] = set()
    failure: str | None = None
    try:
        with app.http_client() as client:
            ask = lookup or (lambda ids: fetch_ids(client, app.settings, ids))
            for start in range(0, len(wanted), size):
                chunk = wanted[start : start + size]
                items = [item for item in ask(chunk) if item.paper.arxiv_id in set(chunk)]
                ingest_fetched(app, items, source="arxiv-api")
                got.update(item.paper.arxiv_id for item in items)
                if on_progress:
                    on_progress("arxiv", start + len(chunk), len(wanted))
    except SourceUnavailable as exc:
        failure = f"arXiv could not be reached ({exc.message})"
    with app.store.read() as conn:
        usable = repo.visible_ids(conn, list(got))
    for n, ids in to_fetch.items():
        hit = next((i for i in ids if i in usable), None)
        if hit:
            found[n] = hit
    return failure


def _reason(entry: Entry, hidden: set[str], ambiguous: list[str] | None, *, fetch: bool, failure: str | None) -> str:
    """Why an entry matched nothing, in words the reader can act on."""
    ids = ", ".join(entry.arxiv_ids)
    if entry.arxiv_ids and all(i in hidden for i in entry.arxiv_ids):
        return f"arXiv {ids} is hidden on this site"
    if ambiguous:
        return f"the title matches {len(ambiguous)} papers ({', '.join(ambiguous[:5])}): add the arXiv id to the entry"
    if entry.arxiv_ids:
        if not fetch:
            return f"arXiv {ids} is not on this site, and fetching from arXiv was turned off"
        if failure:
            return f"arXiv {ids} is not on this site and {failure}"
        return f"arXiv has no paper {ids}"
    if entry.dois and entry.title:
        return "no paper here with this DOI or title, and the entry names no arXiv id"
    if entry.dois:
        return "no paper here with this DOI, and the entry names no arXiv id"
    if entry.title:
        if len(normalise_title(entry.title)) < MIN_TITLE_KEY:
            return "the title is too short to match safely, and the entry names no arXiv id or DOI"
        return "no paper here with this title, and the entry names no arXiv id or DOI"
    return "the entry has no arXiv id, DOI or title to match"
