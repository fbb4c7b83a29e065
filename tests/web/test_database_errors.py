"""Database outages at the web edge: real read-only databases, a full SQLite file, an unreachable server.

Each failure is caused for real (SQLite opened with mode=ro or limited by max_page_count, PostgreSQL's
default_transaction_read_only, a port nobody listens on); the site must keep reading where it can and
answer writes with a 503, Retry-After and a clear message in the usual JSON or HTML shape, never a 500.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from paperwire.accounts.secret import secret_key
from paperwire.accounts.users import add_user, create_api_token
from paperwire.application import Paperwire
from paperwire.config import Settings, load_settings
from paperwire.feed.votes import vote_state
from paperwire.search.engine import SearchEngine
from paperwire.store import Store
from paperwire.store import accounts as repo
from paperwire.store.database import database_url, make_engine
from paperwire.store.failures import DISK_FULL, READ_ONLY, UNAVAILABLE, disk_failure
from paperwire.web import create_app
from tests.web.accounts_helpers import csrf_of

PAPER = "2503.11731"
DAY = "2026-02-03"


def _client(settings: Settings, store: Store, embedder) -> TestClient:
    engine = SearchEngine(settings, store, embedder=embedder)
    return TestClient(create_app(Paperwire(settings, store=store, engine=engine)), raise_server_exceptions=False)


def _reads_work(client: TestClient) -> None:
    for path in (
        "/",
        f"/papers/{PAPER}",
        "/search?q=language+models&mode=hybrid",
        f"/api/daily_papers?date={DAY}",
        f"/api/papers/{PAPER}",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])


def _is_outage(response, message: str, retry_after: str) -> None:
    assert response.status_code == 503, response.text[:500]
    assert response.headers["retry-after"] == retry_after
    if response.headers["content-type"].startswith("application/json"):
        assert response.json() == {"error": message}
    else:
        assert response.headers["content-type"].startswith("text/html")
        assert message.replace("'", "&#39;") in response.text and "<nav" in response.text  # the site's error page
        assert "Traceback" not in response.text


def _admin(url: str) -> sa.Engine:
    """An AUTOCOMMIT engine on the server's maintenance database (not the one being made read-only)."""
    return make_engine(
        sa.engine.make_url(url).set(database="postgres").render_as_string(hide_password=False)
    ).execution_options(isolation_level="AUTOCOMMIT")


@pytest.fixture
def token(site_settings: Settings, site_store: Store) -> str:
    """An API token of a user made while the database is writable (and the site's secret key made)."""
    secret_key(site_settings, site_store)
    return create_api_token(site_store, add_user(site_store, "reader@example.org")["id"])


@pytest.fixture
def read_only_store(
    backend: str, site_settings: Settings, site_store: Store, token: str, default_embedder
) -> Iterator[Store]:
    """The site's database made read-only for real: SQLite opened with mode=ro, PostgreSQL's read-only default."""
    SearchEngine(site_settings, site_store, embedder=default_embedder).sync()  # indexes built while writable
    if backend == "sqlite":
        path = database_url(site_settings).removeprefix("sqlite:///")
        store = Store(make_engine(f"sqlite:///file:{path}?mode=ro&uri=true"))
        yield store
        store.close()
        return
    url = sa.engine.make_url(site_store.engine.url)
    admin = _admin(site_store.engine.url.render_as_string(hide_password=False))
    with admin.connect() as conn:
        conn.execute(sa.text(f"ALTER DATABASE {url.database} SET default_transaction_read_only = on"))
    site_store.engine.dispose()  # new sessions start read-only
    try:
        yield site_store
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"ALTER DATABASE {url.database} RESET default_transaction_read_only"))
        site_store.engine.dispose()
        admin.dispose()


def test_read_only_database_answers_writes_with_503(read_only_store, site_settings, token, default_embedder) -> None:
    before = vote_state(read_only_store, PAPER, None)
    client = _client(site_settings, read_only_store, default_embedder)
    assert client.get(f"/api/daily_papers?date={DAY}").status_code == 200
    vote = client.post(f"/api/papers/{PAPER}/vote", headers={"Authorization": f"Bearer {token}"})
    _is_outage(vote, READ_ONLY, "60")
    page = client.post("/signin", data={"email": "new@example.org", "next": "/", "csrf_token": csrf_of(client)})
    _is_outage(page, READ_ONLY, "60")
    assert vote_state(read_only_store, PAPER, None) == before
    assert client.get(f"/api/papers/{PAPER}").status_code == 200  # a failed write leaves the pool usable


def test_read_only_database_still_serves_every_page(
    backend, read_only_store, site_settings, default_embedder, request
) -> None:
    _reads_work(_client(site_settings, read_only_store, default_embedder))


@pytest.mark.parametrize("backend", ["postgresql"])
def test_writes_work_again_once_postgresql_is_writable(
    read_only_store, site_settings, site_store, token, default_embedder
) -> None:
    client = _client(site_settings, site_store, default_embedder)
    assert client.post(f"/api/papers/{PAPER}/vote", headers={"Authorization": f"Bearer {token}"}).status_code == 503
    url = sa.engine.make_url(site_store.engine.url)
    admin = _admin(site_store.engine.url.render_as_string(hide_password=False))
    with admin.connect() as conn:
        conn.execute(sa.text(f"ALTER DATABASE {url.database} RESET default_transaction_read_only"))
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": url.database},
        )
    admin.dispose()
    # The pool still holds the terminated sessions: pre-ping replaces them, and the next vote just works.
    response = client.post(f"/api/papers/{PAPER}/vote", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["voted"] is True


@pytest.mark.parametrize("backend", ["sqlite"])
def test_full_sqlite_database_answers_503_and_stays_intact(site_settings, site_store, token, default_embedder) -> None:
    """PRAGMA max_page_count caps the file at its current size: SQLite then fails writes with SQLITE_FULL,
    the same error as a full disk, while reads go on."""
    client = _client(site_settings, site_store, default_embedder)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post(f"/api/papers/{PAPER}/vote", headers=auth).json()["voted"] is True  # rate counter row exists
    with site_store.read() as conn:
        user_id = conn.execute(sa.text("SELECT user_id FROM votes")).scalar_one()
        papers = conn.execute(sa.text("SELECT id FROM papers WHERE id <> :p ORDER BY id"), {"p": PAPER}).scalars().all()
    raw = site_store.engine.raw_connection()  # outside SQLAlchemy's transaction: VACUUM cannot run in one
    try:
        raw.driver_connection.execute("VACUUM")  # no free pages left to reuse
        pages = raw.driver_connection.execute("PRAGMA page_count").fetchone()[0]
    finally:
        raw.close()

    @sa.event.listens_for(site_store.engine, "connect")
    def _cap(dbapi_connection, _record) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    site_store.engine.dispose()
    full_at = None
    for paper in papers:  # fill the votes table until its next row needs a page the file may not grow to
        try:
            with site_store.write() as conn:
                repo.add_vote(conn, user_id, paper, datetime.now(UTC))
        except sa.exc.OperationalError as exc:
            assert "database or disk is full" in str(exc)
            full_at = paper
            break
    assert full_at is not None, "the capped database never filled up"
    _is_outage(client.post(f"/api/papers/{full_at}/vote", headers=auth), DISK_FULL, "60")
    _reads_work(client)
    with site_store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        assert conn.execute(sa.text("SELECT count(*) FROM votes WHERE paper_id = :p"), {"p": full_at}).scalar_one() == 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_unreachable_database_gives_503_pages_and_json_logged_once(
    kind, tmp_path: Path, default_embedder, caplog
) -> None:
    """A PostgreSQL port nobody listens on (connection refused); an SQLite file whose folder is gone."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'gone' / 'paperwire.db'}"
    else:
        url = f"postgresql+psycopg://paperwire@127.0.0.1:{_free_port()}/paperwire"
    settings = load_settings(
        home=tmp_path / "home", database_url=url, secret_key="test-secret", site_url="http://testserver"
    )
    store = Store(make_engine(url))
    client = _client(settings, store, default_embedder)
    with caplog.at_level(logging.WARNING, logger="paperwire.web"):
        _is_outage(client.get("/"), UNAVAILABLE, "5")
        _is_outage(client.get(f"/api/daily_papers?date={DAY}"), UNAVAILABLE, "5")
        _is_outage(client.get(f"/papers/{PAPER}", headers={"Accept": "application/json"}), UNAVAILABLE, "5")
    records = [r for r in caplog.records if r.name == "paperwire.web"]
    assert len(records) == 1 and records[0].levelno == logging.WARNING and records[0].exc_info is None
    assert "storage outage (unavailable) on GET /: " in records[0].getMessage()
    store.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_failing_query_is_still_a_500(site_settings, site_store, token, default_embedder) -> None:
    """Only outages become 503s: a missing table is a bug, and stays a logged 500."""
    client = _client(site_settings, site_store, default_embedder)
    with site_store.write() as conn:
        conn.exec_driver_sql("DROP TABLE votes")
    response = client.post(f"/api/papers/{PAPER}/vote", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500 and "retry-after" not in response.headers
    assert response.json()["error"] == "something went wrong on our side; it has been logged"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_under_the_search_indexes_is_the_same_outage() -> None:
    """Writing to /dev/full fails with the kernel's real ENOSPC, as a search index's file on a full disk does."""
    with pytest.raises(OSError) as raised, open("/dev/full", "wb") as device:
        device.write(b"state")
        device.flush()
    failure = disk_failure(raised.value)
    assert failure is not None and failure.kind == "disk-full" and failure.status == 503
    assert failure.message == DISK_FULL and failure.retry_after == 60
    assert disk_failure(FileNotFoundError(2, "No such file or directory", "x")) is None  # not an outage: a bug
