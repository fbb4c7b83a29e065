"""Zotero import against a local server replaying the Web API's recorded answers, on SQLite and PostgreSQL: a first
full sync over two pages, an incremental second sync (since=, If-Modified-Since-Version), a 304 third, a refused
key; the API key is sent only as a header and never stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from paperwire.accounts.users import add_user
from paperwire.config import Settings
from paperwire.errors import InvalidInput, SourceUnavailable
from paperwire.papers.library_zotero import ZoteroLibrary, state_key, sync_zotero
from paperwire.sources import zotero as zotero_source
from paperwire.store import Store
from paperwire.store import library as repo
from paperwire.store.state import get_state
from tests.papers.library_helpers import API, arxiv_reply, replay_app, seed_papers
from tests.sources.replay import Reply, fixture

ITEMS = "/users/475425/items/top"
KEY = "P9NiFoyLeZu2bZNvvuQPDWsd"


def _page(name: str, version: int, total: int) -> Reply:
    headers = {
        "Content-Type": "application/json",
        "Zotero-API-Version": "3",
        "Last-Modified-Version": str(version),
        "Total-Results": str(total),
    }
    return Reply(200, fixture(name), headers)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    yield


def test_first_sync_pages_then_incremental_then_not_modified(
    settings: Settings, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_papers(store)
    user = add_user(store, "reader@example.org")["id"]
    library = ZoteroLibrary("users", "475425")
    monkeypatch.setattr(zotero_source, "PAGE_SIZE", 2)
    with replay_app(settings, store) as (app, server):
        server.script(
            ITEMS,
            _page("zotero_items_page1.json", 1210, 4),
            _page("zotero_items_page2.json", 1210, 4),
        )
        server.script(API, arxiv_reply())  # 2502.09876 is not here yet
        first = sync_zotero(app, user, library, KEY)
        one, two = server.seen(ITEMS)
        assert (one.param("start"), two.param("start")) == ("0", "2") and one.param("limit") == "2"
        assert one.param("since") is None and "If-Modified-Since-Version" not in one.headers
        assert one.headers["Zotero-API-Key"] == KEY and one.headers["Zotero-API-Version"] == "3"
        assert "key" not in one.query  # the key never travels in the address (logs, error messages)
        assert first.since is None and first.version == 1210 and first.items == 3  # the note left out
        assert first.result.matched == 2 and first.result.fetched == 1 and first.result.unmatched == []
        assert get_state(store, state_key(user, library)) == "1210"

        server.script(ITEMS, _page("zotero_items_since_1210.json", 1244, 2))
        server.script(API, arxiv_reply())
        second = sync_zotero(app, user, library, KEY)
        third_request = server.seen(ITEMS)[2]
        assert third_request.param("since") == "1210" and third_request.headers["If-Modified-Since-Version"] == "1210"
        assert second.since == 1210 and second.version == 1244 and second.items == 2
        assert second.result.fetched == 1 and second.result.matched == 0
        [unknown] = second.result.unmatched
        assert unknown.entry == "Zotero item UNKN0WN1: <script>alert(1)</script> A Book Nobody Indexed"
        assert unknown.reason == "no paper here with this title, and the entry names no arXiv id or DOI"
        assert get_state(store, state_key(user, library)) == "1244"

        server.script(ITEMS, Reply(304, b"", {"Last-Modified-Version": "1244"}))
        third = sync_zotero(app, user, library, KEY)
        assert third.not_modified and third.summary() == "Zotero library unchanged since version 1244"
        assert server.seen(ITEMS)[3].headers["If-Modified-Since-Version"] == "1244"
        assert len(server.seen(API)) == 2 and server.unexpected == []
    with store.read() as conn:
        assert set(repo.library_paper_ids(conn, user)) == {"1706.03762", "1810.04805", "2502.09876", "2503.12044"}
        assert {r["origin"] for r in repo.library_rows(conn, user, limit=10)} == {"zotero"}
        stored = " ".join(str(v) for v in conn.execute(sa.text("SELECT key, value FROM source_state")).scalars())
    assert KEY not in stored


def test_arxiv_outage_keeps_the_version_so_the_next_sync_asks_again(settings: Settings, store: Store) -> None:
    seed_papers(store)
    user = add_user(store, "reader@example.org")["id"]
    library = ZoteroLibrary("users", "475425")
    with replay_app(settings, store) as (app, server):
        server.script(ITEMS, _page("zotero_items_page2.json", 1210, 2))
        server.script(API, Reply(503), Reply(503))
        synced = sync_zotero(app, user, library, KEY)
    assert synced.result.fetch_failure and "arXiv could not be reached" in synced.result.unmatched[0].reason
    assert get_state(store, state_key(user, library)) is None


def test_refused_key_unknown_library_and_bad_arguments(settings: Settings, store: Store) -> None:
    user = add_user(store, "reader@example.org")["id"]
    with replay_app(settings, store) as (app, server):
        server.script(ITEMS, Reply(403, b"Forbidden"))
        with pytest.raises(SourceUnavailable, match="Zotero refused the API key"):
            sync_zotero(app, user, ZoteroLibrary("users", "475425"), "wrong")
        with pytest.raises(SourceUnavailable, match="Zotero has no such library"):
            sync_zotero(app, user, ZoteroLibrary("groups", "99"), KEY)
        server.script(ITEMS, Reply(200, b"<html>maintenance</html>", {"Total-Results": "1"}))
        with pytest.raises(SourceUnavailable, match="malformed page"):
            sync_zotero(app, user, ZoteroLibrary("users", "475425"), KEY)
        with pytest.raises(InvalidInput, match="API key is needed"):
            sync_zotero(app, user, ZoteroLibrary("users", "475425"), " ")
    with pytest.raises(InvalidInput, match="is a number"):
        ZoteroLibrary("users", "../items")
    with pytest.raises(InvalidInput, match="user's or a group's"):
        ZoteroLibrary("orgs", "1")  # type: ignore[arg-type]
