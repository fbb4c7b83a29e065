"""Importing a library on SQLite and PostgreSQL: the matching order (arXiv id, DOI, title), unknown ids fetched
from a replayed arXiv API, every entry counted once with a reason when unmatched, and the library written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from paperwire.accounts.users import add_user
from paperwire.config import Settings
from paperwire.papers.library_import import import_file
from paperwire.store import Store
from paperwire.store import library as repo
from tests.papers.library_helpers import API, FETCHABLE, arxiv_reply, replay_app, seed_papers
from tests.sources.replay import Reply

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

BIB = r"""
@article{byid, title = {Some other title entirely}, eprint = {1706.03762}, doi = {10.18653/v1/N19-1423}}
@inproceedings{bydoi, title = {BERT}, doi = {10.18653/V1/N19-1423}}
@misc{byurl, title = {Old}, url = {http://arxiv.org/abs/hep-th/9901001v2}}
@article{bytitle, title = {Learning {\"U}ber $\alpha$-models quickly}}
@article{twins, title = {A twin title for testing}}
@article{hidden, title = {Hidden}, eprint = {2001.00004}}
@article{fetchme, title = {Calibrated}, eprint = {2502.09876v3}}
@article{fetchtoo, title = {Tokenizer}, journal = {arXiv preprint arXiv:2503.12044}}
@article{gone, title = {Same title as another id}, eprint = {2503.99999}}
@article{nothing, title = {A paper that is nowhere to be found}}
@book{short, title = {Intro}}
@misc{broken, title = {Never closed
"""


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in _PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    yield


def _unmatched(result) -> dict[str, str]:
    return {u.entry.split(":")[0].split("}")[0]: u.reason for u in result.unmatched}


def test_bibtex_import_matches_in_order_fetches_unknown_ids_and_explains_the_rest(
    settings: Settings, store: Store
) -> None:
    seed_papers(store)
    user = add_user(store, "reader@example.org")["id"]
    with replay_app(settings, store) as (app, server):
        server.script(API, arxiv_reply())
        result = import_file(app, user, BIB.encode(), filename="refs.bib")
        [asked] = server.seen(API)
    assert asked.param("id_list") == "2502.09876,2503.12044,2503.99999"  # the hidden paper's id is not asked for
    assert result.format == "bibtex" and result.matched == 4 and result.fetched == 2
    assert _unmatched(result) == {
        "@article{twins": "the title matches 2 papers (2001.00002, 2001.00003): add the arXiv id to the entry",
        "@article{hidden": "arXiv 2001.00004 is hidden on this site",
        "@article{gone": "arXiv has no paper 2503.99999",
        "@article{nothing": "no paper here with this title, and the entry names no arXiv id or DOI",
        "@book{short": "the title is too short to match safely, and the entry names no arXiv id or DOI",
        "line 13": _unmatched(result)["line 13"],
    }
    assert _unmatched(result)["line 13"].startswith("not valid BibTeX")
    assert result.matched + result.fetched + len(result.unmatched) == 12
    with store.read() as conn:
        ids = set(repo.library_paper_ids(conn, user))
        origins = {row["id"]: row["origin"] for row in repo.library_rows(conn, user, limit=50)}
    # byid matched by its arXiv id, not by the DOI (BERT's) that it also carries; bydoi then adds BERT itself;
    # gone's title is 2001.00005's, but its arXiv id says it is another paper
    assert ids == {"1706.03762", "1810.04805", "hep-th/9901001", "2001.00001", *FETCHABLE}
    assert set(origins.values()) == {"bibtex"} and result.added == 6
    assert result.as_json()["matched"] == 4 and result.as_json()["unmatched"][0].keys() == {"entry", "reason"}


def test_network_down_leaves_unknown_ids_unmatched_with_the_reason(settings: Settings, store: Store) -> None:
    seed_papers(store)
    user = add_user(store, "reader@example.org")["id"]
    with replay_app(settings, store) as (app, server):
        server.script(API, Reply(503), Reply(503))
        result = import_file(app, user, b"1706.03762\n2502.09876\n", filename="ids.txt")
    assert result.matched == 1 and result.fetched == 0
    [missing] = result.unmatched
    assert missing.entry == "line 2: 2502.09876"
    assert missing.reason.startswith("arXiv 2502.09876 is not on this site and arXiv could not be reached (GET ")
    assert "HTTP 503" in missing.reason
    with store.read() as conn:
        assert repo.library_paper_ids(conn, user) == ["1706.03762"]


def test_no_fetch_and_the_fetch_cap(settings: Settings, store: Store) -> None:
    seed_papers(store)
    user = add_user(store, "reader@example.org")["id"]
    with replay_app(settings, store) as (app, server):
        result = import_file(app, user, b"2502.09876\n", fetch=False)
        assert server.seen(API) == []
        assert [u.reason for u in result.unmatched] == [
            "arXiv 2502.09876 is not on this site, and fetching from arXiv was turned off"
        ]
        capped = app.settings.model_copy(update={"library_fetch_max": 1})
        app.settings = capped
        server.script(API, arxiv_reply())
        result = import_file(app, user, b"2502.09876\n2503.12044\n")
        assert server.seen(API)[0].param("id_list") == "2502.09876"
    assert result.fetched == 1 and result.deferred == 1
    assert [u.reason for u in result.unmatched] == [
        "more than 1 unknown arXiv ids in one import: import the file again to fetch the rest"
    ]


def test_import_of_a_dismissed_paper_takes_the_mark_back_and_csl_json_is_read(settings: Settings, store: Store) -> None:
    seed_papers(store)
    user = add_user(store, "reader@example.org")["id"]
    with store.write() as conn:
        repo.dismiss(conn, user, "1706.03762", datetime.now(UTC))
        repo.dismiss(conn, user, "1810.04805", datetime.now(UTC))
    items = [{"id": "a", "type": "article", "title": "Attention", "URL": "https://arxiv.org/abs/1706.03762"}]
    with replay_app(settings, store) as (app, _):
        result = import_file(app, user, json.dumps(items).encode())
    assert result.format == "csl-json" and result.matched == 1 and result.unmatched == []
    with store.read() as conn:
        assert repo.dismissed_paper_ids(conn, user) == ["1810.04805"]
        assert repo.library_paper_ids(conn, user) == ["1706.03762"]
