"""The library page and its forms on SQLite and PostgreSQL: upload (results, unmatched entries escaped, clear errors
and size limits, never a 500), remove, "not interested" from a list and from a paper page with undo, the Zotero
form with a replayed API; all through the real forms (CSRF), without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator

import html5lib
import pytest
from fastapi.testclient import TestClient

from paperwire.accounts.users import find_user
from paperwire.application import Paperwire
from paperwire.config import Settings
from paperwire.search.engine import SearchEngine
from paperwire.store import Store
from paperwire.store import library as repo
from paperwire.web import create_app
from tests.papers.library_helpers import API, arxiv_reply
from tests.sources.replay import ReplayServer, Reply, fixture
from tests.web.accounts_helpers import csrf_of, sign_in

HOSTILE = "<script>alert(1)</script>"
HERE = "2503.11731"  # in papers-300.jsonl
HF_PAPER = "2602.00919"  # on the Hugging Face list of 2026-02-03, the latest day
BIB = (
    "@article{here, title={Industrial-Grade Sensor Simulation}, eprint={2503.11731}}\n"
    "@article{fetched, title={Calibrated}, eprint={2502.09876}}\n"
    f"@article{{hostile, title={{{HOSTILE} A Title Nobody Has}}}}\n"
)


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayServer]:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    server = ReplayServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(site_settings: Settings, site_store: Store, default_embedder, replay: ReplayServer) -> Iterator[TestClient]:
    """The site, its arXiv API and Zotero replayed, uploads limited to 2,000 bytes and 3 an hour."""
    settings = site_settings.model_copy(
        update={
            "arxiv_api_url": f"{replay.url}{API}",
            "zotero_api_url": replay.url,
            "request_interval": 0.01,
            "http_retries": 0,
            "library_upload_max_bytes": 2_000,
            "library_imports_per_hour": 3,
        }
    )
    engine = SearchEngine(settings, site_store, embedder=default_embedder)
    with TestClient(create_app(Paperwire(settings, store=site_store, engine=engine))) as test_client:
        yield test_client


def _upload(client: TestClient, name: str, body: bytes, csrf: str | None = None):
    token = csrf if csrf is not None else csrf_of(client, "/settings")
    return client.post("/library/import", data={"csrf_token": token}, files={"file": (name, body, "text/plain")})


def _post(client: TestClient, path: str, **fields: str):
    return client.post(path, data={"csrf_token": csrf_of(client, "/library"), **fields}, follow_redirects=False)


def _ids_on(page: str) -> list[str]:
    return re.findall(r'<li id="lib-([^"]+)"', page)


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient) -> None:
    page = client.get("/library", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/signin?next=/library"
    assert "Not interested" not in client.get("/").text


def test_upload_shows_matched_fetched_and_escaped_unmatched_entries(
    client: TestClient, smtp, site_store: Store, replay: ReplayServer
) -> None:
    sign_in(client, smtp, "reader@example.org", store=site_store)
    settings_page = client.get("/settings")
    assert 'enctype="multipart/form-data"' in settings_page.text and 'id="library"' in settings_page.text
    replay.script(API, arxiv_reply())
    page = _upload(client, "refs.bib", BIB.encode())
    assert page.status_code == 200
    assert "1 matched, 1 fetched from arXiv, 1 unmatched; 2 papers new to your library." in page.text
    assert HOSTILE not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt; A Title Nobody Has" in page.text
    tree = html5lib.parse(page.text, namespaceHTMLElements=False)  # as a browser parses it: no script got in
    assert [s.get("src") for s in tree.iter("script")] == ["/static/site.js"]
    cells = [td.text for td in tree.iter("td")]
    assert cells[0] == "@article{hostile} <script>alert(1)</script> A Title Nobody Has"  # shown as text
    assert _ids_on(page.text) == ["2502.09876", HERE]  # added together: by id
    assert _ids_on(client.get("/library").text) == ["2502.09876", HERE]


@pytest.mark.parametrize(
    ("name", "body", "status", "message"),
    [
        ("broken.json", b"[{{{", 400, "broken.json: no entry could be read (as csl-json): item 1 and after"),
        ("empty.bib", b"", 400, "empty.bib: the file is empty"),
        ("big.txt", b"2503.11731\n" * 300, 413, "the file is larger than 0.002 MB"),
        ("", b"", 400, "choose a file to import"),
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", 400, "photo.png: no entry could be read (as ids)"),
    ],
)
def test_upload_errors_are_messages_on_the_settings_page(
    client: TestClient, smtp, site_store: Store, name: str, body: bytes, status: int, message: str
) -> None:
    sign_in(client, smtp, "reader@example.org", store=site_store)
    page = _upload(client, name, body)
    assert page.status_code == status and message in page.text
    assert 'id="library-error" role="alert"' in page.text


def test_broken_entries_are_listed_and_the_rest_imported(client: TestClient, smtp, site_store: Store) -> None:
    sign_in(client, smtp, "reader@example.org", store=site_store)
    text = f"@article{{a, title={{x}}, eprint={{{HERE}}}}}\n@misc{{{HOSTILE}, title = {{never closed\n"
    page = _upload(client, "mixed.bib", text.encode())
    assert page.status_code == 200 and "1 matched, 0 fetched from arXiv, 1 unmatched" in page.text
    assert "line 2: @misc{&lt;script&gt;" in page.text and "not valid BibTeX" in page.text and HOSTILE not in page.text


def test_a_form_field_instead_of_a_file_is_no_server_error(client: TestClient, smtp, site_store: Store) -> None:
    sign_in(client, smtp, "reader@example.org", store=site_store)
    token = csrf_of(client, "/settings")
    answer = client.post("/library/import", data={"csrf_token": token, "file": "2503.11731"})
    assert 400 <= answer.status_code < 500


def test_oversized_upload_is_refused_before_it_is_read(client: TestClient, smtp, site_store: Store) -> None:
    sign_in(client, smtp, "reader@example.org", store=site_store)
    page = _upload(client, "huge.txt", b"x" * 100_000)
    assert page.status_code == 413 and "larger than 0.002 MB" in page.text


def test_forms_need_the_csrf_token(client: TestClient, smtp, site_store: Store) -> None:
    sign_in(client, smtp, "reader@example.org", store=site_store)
    assert _upload(client, "ids.txt", HERE.encode(), csrf="forged").status_code == 403
    refused = client.post("/library/dismiss", data={"paper_id": HERE, "csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403


def test_remove_and_not_interested_with_undo(client: TestClient, smtp, site_store: Store) -> None:
    sign_in(client, smtp, "reader@example.org", store=site_store)
    _upload(client, "ids.txt", f"{HERE}\n2503.11742\n".encode())
    user = find_user(site_store, "reader@example.org")["id"]

    removed = _post(client, "/library/remove", paper_id=HERE)
    assert removed.status_code == 303 and removed.headers["location"] == "/library"
    page = client.get("/library").text
    assert _ids_on(page) == ["2503.11742"] and "Removed “Industrial-Grade Sensor Simulation" in page
    assert _post(client, "/library/remove", paper_id=HERE).status_code == 404  # not there any more

    home = client.get("/").text  # the latest day's list: each item has the button when signed in
    assert 'action="/library/dismiss"' in home and f'name="paper_id" value="{HF_PAPER}"' in home
    marked = _post(client, "/library/dismiss", paper_id=HF_PAPER)
    assert marked.status_code == 303 and marked.headers["location"] == "/library#dismissed"
    page = client.get("/library").text
    dismissed = page.split('id="dismissed"')[1]
    assert f'href="/papers/{HF_PAPER}"' in dismissed and "Undo" in dismissed
    with site_store.read() as conn:
        assert repo.dismissed_paper_ids(conn, user) == [HF_PAPER]

    # From a library paper: the mark also takes it out of the library.
    _post(client, "/library/dismiss", paper_id="2503.11742")
    with site_store.read() as conn:
        assert repo.library_paper_ids(conn, user) == [] and set(repo.dismissed_paper_ids(conn, user)) == {
            HF_PAPER,
            "2503.11742",
        }
    undone = _post(client, "/library/undismiss", paper_id=HF_PAPER)
    assert undone.status_code == 303
    with site_store.read() as conn:
        assert repo.dismissed_paper_ids(conn, user) == ["2503.11742"]
    assert _post(client, "/library/undismiss", paper_id=HF_PAPER).status_code == 404
    assert _post(client, "/library/dismiss", paper_id="2503.99999").status_code == 404
    assert _post(client, "/library/dismiss", paper_id="not-an-id").status_code == 400


def test_paper_page_buttons_add_mark_and_undo(client: TestClient, smtp, site_store: Store) -> None:
    assert 'action="/library/dismiss"' not in client.get(f"/papers/{HERE}").text  # signed out: no buttons
    sign_in(client, smtp, "reader@example.org", store=site_store)
    back = f"/papers/{HERE}#library-actions"
    page = client.get(f"/papers/{HERE}").text
    assert 'action="/library/add"' in page and 'action="/library/dismiss"' in page
    added = _post(client, "/library/add", paper_id=HERE, next=back)
    assert added.status_code == 303 and added.headers["location"] == back
    assert 'In <a href="/library">your library</a>' in client.get(f"/papers/{HERE}").text
    marked = _post(client, "/library/dismiss", paper_id=HERE, next=back)
    assert marked.headers["location"] == back
    page = client.get(f"/papers/{HERE}").text
    assert "You marked this paper not interested." in page and 'action="/library/undismiss"' in page
    assert 'action="/library/add"' in page  # marking took it out of the library
    assert _post(client, "/library/undismiss", paper_id=HERE, next="//evil.example/").headers["location"] == "/"
    assert "You marked this paper not interested." not in client.get(f"/papers/{HERE}").text


def test_zotero_form_imports_and_a_refused_key_is_a_message(
    client: TestClient, smtp, site_store: Store, replay: ReplayServer
) -> None:
    sign_in(client, smtp, "reader@example.org", store=site_store)
    items = "/users/475425/items/top"
    headers = {"Last-Modified-Version": "1210", "Total-Results": "2", "Content-Type": "application/json"}
    replay.script(items, Reply(200, fixture("zotero_items_since_1210.json"), headers))
    replay.script(API, arxiv_reply())
    form = {"csrf_token": csrf_of(client, "/settings"), "kind": "users", "library_id": "475425", "api_key": "s3cret"}
    page = client.post("/library/zotero", data=form)
    assert page.status_code == 200 and "Imported Zotero" in page.text
    assert "read 2 changed Zotero items, from the start to version 1210" in page.text
    assert "Zotero item UNKN0WN1: &lt;script&gt;alert(1)&lt;/script&gt; A Book Nobody Indexed" in page.text
    assert replay.seen(items)[0].headers["Zotero-API-Key"] == "s3cret"
    replay.script(items, Reply(403, b"Invalid key"))
    refused = client.post("/library/zotero", data={**form, "api_key": "wrong-key"})
    assert refused.status_code == 502 and "Zotero refused the API key" in refused.text
    assert "wrong-key" not in refused.text  # the key is never echoed back into the page
    bad = client.post("/library/zotero", data={**form, "library_id": "abc"})
    assert bad.status_code == 400 and "is a number" in bad.text


def test_imports_are_rate_limited_per_user(client: TestClient, smtp, site_store: Store) -> None:
    sign_in(client, smtp, "reader@example.org", store=site_store)
    for _ in range(3):
        assert _upload(client, "ids.txt", HERE.encode()).status_code == 200
    refused = _upload(client, "ids.txt", HERE.encode())
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "too many library imports (at most 3 per hour)" in refused.text
    form = {"csrf_token": csrf_of(client, "/settings"), "kind": "users", "library_id": "1", "api_key": "k"}
    zotero = client.post("/library/zotero", data=form)
    assert zotero.status_code == 429 and 'id="zotero-error"' in zotero.text
