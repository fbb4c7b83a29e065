"""Paperwire(settings): the one application object that every edge reaches.

Built once per process from Settings. It owns the store, the search engine, the mailer and the HTTP clients,
and exposes the domain operations the edges call: the CLI reaches it through `ctx.obj`, the web through typed
FastAPI dependencies (paperwire.web.deps), the job worker through its context. As datasette builds one
`Datasette` and every view reaches it as `self.ds`.

Everything is opened on first use, so a command that never touches the database never opens it.
"""

from __future__ import annotations

import threading
from types import TracebackType

from paperwire.config import Settings
from paperwire.mail import Mailer
from paperwire.search.engine import SearchEngine
from paperwire.sources.http import PoliteClient
from paperwire.store import Store


class Paperwire:
    """The store, the search engine, the mailer and the HTTP clients of one configuration."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        engine: SearchEngine | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        self.settings = settings
        self._lock = threading.Lock()  # two first requests on two threads open one store, not two
        self._store, self._engine, self._mailer = store, engine, mailer

    @property
    def store(self) -> Store:
        """The database, its schema brought up to date when first opened."""
        if self._store is None:
            with self._lock:
                if self._store is None:  # another thread may have opened it while this one waited
                    self._store = Store.open(self.settings)
        return self._store

    @store.setter
    def store(self, store: Store) -> None:
        self._store = store

    @property
    def engine(self) -> SearchEngine:
        """The search engine over the store; its embedding model loads on the first semantic query."""
        if self._engine is None:
            store = self.store
            with self._lock:
                if self._engine is None:
                    self._engine = SearchEngine(self.settings, store)
        return self._engine

    @property
    def mailer(self) -> Mailer:
        """The SMTP sender of the current settings (the one given, if any); it connects per message, or once
        inside `with app.mailer:`, so making one costs nothing."""
        return self._mailer if self._mailer is not None else Mailer(self.settings)

    def http_client(self) -> PoliteClient:
        """A new polite HTTP client for one remote source (one connection, paced, retried); close it after use."""
        return PoliteClient(self.settings)

    def close(self) -> None:
        """Release the database connections (only if the store was opened)."""
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Paperwire:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
