"""The Store: one engine per process for SQLite (WAL, busy timeout, foreign keys) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from paperwire.config import Settings
from paperwire.errors import ConfigError, PaperwireError


class Store:
    """Owns the database engine; every read and write in Paperwire goes through it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Store:
        """Connect to the configured database and, by default, bring its schema up to date."""
        store = cls(make_engine(database_url(settings), busy_timeout_ms=settings.sqlite_busy_timeout_ms))
        if migrate:
            from paperwire.store.migrate import upgrade

            upgrade(store)
        return store

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection in a read transaction (SQLite readers run beside the one writer)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock up front (BEGIN IMMEDIATE)."""
        with self.engine.connect().execution_options(paperwire_write=True) as conn, conn.begin():
            yield conn

    def close(self) -> None:
        self.engine.dispose()


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL: the configured one, or an SQLite file in the home folder."""
    if settings.database_url:
        return engine_url(settings.database_url)
    home = Path(settings.home)
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the home folder {home}: {exc.strerror}") from None
    return f"sqlite:///{home / 'paperwire.db'}"


def engine_url(url: str) -> str:
    """A user's database URL in the form SQLAlchemy needs (postgres:// and postgresql:// use psycopg 3)."""
    given = url
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not url.startswith(("sqlite", "postgresql+psycopg")):
        raise ConfigError(f"unsupported database URL {given!r}: use sqlite:/// or postgresql://")
    return url


def make_engine(url: str, *, busy_timeout_ms: int = 10000) -> Engine:
    """Create an engine with Paperwire's connection settings for its dialect."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})
        _configure_sqlite(engine, busy_timeout_ms)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("paperwire_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def check_reachable(store: Store) -> None:
    """Raise a clear domain error when the database cannot be reached."""
    try:
        with store.read() as conn:
            conn.execute(sa.text("SELECT 1"))
    except OperationalError as exc:
        raise PaperwireError(f"database unreachable at {store.url}: {exc.orig}", status=503) from None
