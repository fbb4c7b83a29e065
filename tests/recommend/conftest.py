"""A store with 300 real papers of one arXiv day (all New on arXiv), their vectors indexed, and readers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from paperwire.accounts.users import add_user
from paperwire.config import Settings
from paperwire.papers.load import ingest_paths
from paperwire.search.engine import SearchEngine
from paperwire.search.indexer import import_vectors
from paperwire.store import Store
from paperwire.store import library as library_repo
from tests.conftest import FIXTURES

PAPERS = FIXTURES / "papers-300.jsonl"  # first published 2025-03-18, mostly cs.CV
VECTORS = FIXTURES / "papers-300.vectors.npz"
SPLATTING = ["2503.11731", "2503.11981", "2503.12001"]  # library of a reader of Gaussian splatting
MEDICAL = ["2503.12218", "2503.12800", "2503.12868"]  # library of a reader of medical imaging


@pytest.fixture
def rstore(settings: Settings) -> Iterator[Store]:
    store = Store.open(settings)
    ingest_paths(store, [PAPERS])
    yield store
    store.close()


@pytest.fixture
def rengine(settings: Settings, rstore: Store, default_embedder: Any) -> SearchEngine:
    import_vectors(rstore, VECTORS, default_embedder.name)
    engine = SearchEngine(settings, rstore, embedder=default_embedder)
    engine.sync()
    return engine


def reader(store: Store, email: str, library: list[str]) -> dict[str, Any]:
    """A user whose library holds `library`."""
    user = add_user(store, email)
    with store.write() as conn:
        library_repo.add_to_library(conn, user["id"], library, "ids", datetime.now(UTC))
    return user
