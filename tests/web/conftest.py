"""Web fixtures: a site with real papers, daily lists and vectors, served in-process; a real SMTP sink for mail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperwire.application import Paperwire
from paperwire.config import Settings
from paperwire.papers.load import ingest_paths
from paperwire.search.engine import SearchEngine
from paperwire.search.indexer import import_vectors
from paperwire.store import Store
from paperwire.web import create_app
from tests.conftest import FIXTURES, SmtpSink

PAPERS = FIXTURES / "papers-300.jsonl"  # arXiv listing of 2025-03-18 (cs.CV, cs.CL, cs.AI)
HF_DAY = FIXTURES / "hf-archive-2026-02-03.json"  # Hugging Face daily list of 2026-02-03, with upvotes
VECTORS = FIXTURES / "papers-300.vectors.npz"


@pytest.fixture
def site_settings(settings: Settings, smtp: SmtpSink) -> Settings:
    """The test's database settings, mailing through the SMTP sink."""
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "site_url": "http://testserver"}
    )


@pytest.fixture
def site_store(site_settings: Settings, default_embedder) -> Iterator[Store]:
    """A store with 300 papers of 2025-03-18 (with vectors) and the HF daily list of 2026-02-03."""
    store = Store.open(site_settings)
    ingest_paths(store, [PAPERS, HF_DAY])
    import_vectors(store, VECTORS, default_embedder.name)
    yield store
    store.close()


@pytest.fixture
def app(site_settings: Settings, site_store: Store, default_embedder):
    engine = SearchEngine(site_settings, site_store, embedder=default_embedder)
    engine.sync()
    return create_app(Paperwire(site_settings, store=site_store, engine=engine))


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
