"""Import a Zotero library (a user's or a group's) into a reader's library through the Zotero Web API,
incrementally: the library version reached is remembered per reader and library, and the next sync asks only
for what changed since (a 304 when nothing did).

The API key is used for the one sync and never stored (docs/library.md says why); the version is kept in
source_state under `zotero:<user id>:<users|groups>:<library id>`. Items deleted in Zotero stay in the library
here until removed on the library page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from paperwire.errors import InvalidInput
from paperwire.papers.fetch import Services
from paperwire.papers.library_formats import Entry, ParsedFile, label_of, make_entry
from paperwire.papers.library_import import ImportResult, Lookup, OnProgress, import_entries
from paperwire.sources.zotero import ZoteroItem, fetch_changes
from paperwire.store.state import get_state, set_state

MAX_LIBRARY_ID_DIGITS = 12


@dataclass(frozen=True)
class ZoteroLibrary:
    """A Zotero library: "users" or "groups", and its numeric id."""

    kind: Literal["users", "groups"]
    id: str

    def __post_init__(self) -> None:
        if self.kind not in ("users", "groups"):
            raise InvalidInput(f"a Zotero library is a user's or a group's, not {self.kind!r}", field="library")
        if not (self.id.isascii() and self.id.isdigit() and len(self.id) <= MAX_LIBRARY_ID_DIGITS):
            raise InvalidInput("a Zotero user or group id is a number (see zotero.org/settings/keys)", field="library")

    @property
    def prefix(self) -> str:
        return f"/{self.kind}/{self.id}"


@dataclass
class ZoteroSync:
    """One sync: what the import did, the versions it went from and to, whether anything had changed."""

    result: ImportResult = field(default_factory=lambda: ImportResult("zotero"))
    since: int | None = None
    version: int | None = None
    items: int = 0
    not_modified: bool = False

    def summary(self) -> str:
        if self.not_modified:
            return f"Zotero library unchanged since version {self.since}"
        start = f"version {self.since}" if self.since is not None else "the start"
        return f"read {self.items} changed Zotero items, from {start} to version {self.version}"


def state_key(user_id: int, library: ZoteroLibrary) -> str:
    """Where the library version reached by this reader's last sync is kept."""
    return f"zotero:{user_id}:{library.kind}:{library.id}"


def sync_zotero(
    app: Services,
    user_id: int,
    library: ZoteroLibrary,
    api_key: str,
    *,
    full: bool = False,
    fetch: bool = True,
    fetch_limit: int | None = None,
    on_progress: OnProgress = None,
    lookup: Lookup | None = None,
) -> ZoteroSync:
    """Add the papers of the library's items changed since the last sync (all of them with `full`) to the
    reader's library. Raises InvalidInput (no key), SourceUnavailable (Zotero refused or unreachable)."""
    if not api_key.strip():
        raise InvalidInput("a Zotero API key is needed (zotero.org/settings/keys; read-only is enough)", field="key")
    key = state_key(user_id, library)
    stored = None if full else get_state(app.store, key)
    since = int(stored) if stored and stored.isdigit() else None
    with app.http_client() as client:
        changes = fetch_changes(client, app.settings, library.prefix, api_key.strip(), since)
    sync = ZoteroSync(since=since, version=changes.version, items=len(changes.items), not_modified=changes.not_modified)
    if changes.not_modified:
        return sync
    parsed = ParsedFile("zotero", [_entry(item) for item in changes.items])
    sync.result = import_entries(
        app,
        user_id,
        parsed,
        origin="zotero",
        fetch=fetch,
        fetch_limit=fetch_limit,
        on_progress=on_progress,
        lookup=lookup,
    )
    # Entries left for arXiv (an outage, the fetch limit) are asked for again: the version moves on only when
    # nothing waits for arXiv.
    if changes.version is not None and sync.result.fetch_failure is None and not sync.result.deferred:
        set_state(app.store, key, str(changes.version))
    return sync


def _entry(item: ZoteroItem) -> Entry:
    return make_entry(
        label_of(f"Zotero item {item.key}:", item.title),
        item.title,
        id_fields=[item.archive_id],
        dois=[item.doi, item.extra],
        text=[t for t in (item.url, item.extra, *item.other) if t],
    )
