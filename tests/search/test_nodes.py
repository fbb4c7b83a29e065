"""Two web nodes on one PostgreSQL, each searching embedded indexes in its own home (search_index "embedded"):
a paper submitted through one node is found by searches on the other, by keyword and by meaning, within a
bounded wait. Real `paperwire serve` processes (the first with two web workers sharing its home), a real
sign-in through the mailed link, the arXiv API replayed locally, the first node's own job worker embedding."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from paperwire.accounts.users import add_user
from paperwire.config import Settings
from paperwire.papers.load import ingest_paths
from paperwire.search.embedder import load_embedder, paper_text
from paperwire.search.indexer import embed_pending
from paperwire.store import Store
from paperwire.store.index_files import read_meta, vectors_folder
from tests.conftest import FIXTURES
from tests.serving import served
from tests.sources.replay import ReplayServer, Reply
from tests.web.accounts_helpers import csrf_of, sign_in
from tests.web.test_submit import atom

pytestmark = pytest.mark.slow  # three web processes and a job worker: about 30 s

NEW_ID = "2602.99917"
TITLE = "Quokka burrow acoustics under eucalyptus canopies"
ABSTRACT = "An abstract."  # what tests.web.test_submit.atom gives every entry
SYNC_INTERVAL = 0.5
WAIT = 60.0  # seconds a node may take to find the new paper (the embed job runs every 2 s on the first node)


def _node_env(
    settings: Settings, home: Path, smtp_port: int, arxiv_url: str, model: Path, **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_") and "proxy" not in k.lower()}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    assert settings.database_url
    return env | {
        "PAPERWIRE_HOME": str(home),
        "PAPERWIRE_DATABASE_URL": settings.database_url,
        "PAPERWIRE_SEARCH_INDEX": "embedded",
        "PAPERWIRE_INDEX_SYNC_INTERVAL": str(SYNC_INTERVAL),
        "PAPERWIRE_EMBEDDING_MODEL": str(model),
        "PAPERWIRE_EMBEDDING_DEVICE": "cpu",
        "PAPERWIRE_SMTP_PORT": str(smtp_port),
        "PAPERWIRE_ARXIV_API_URL": arxiv_url,
        "PAPERWIRE_REQUEST_INTERVAL": "0.01",
        "PAPERWIRE_HTTP_RETRIES": "0",
        "PAPERWIRE_SCHEDULER_ENABLED": "false",
        **extra,
    }


def _ids(base: str, text: str, mode: str) -> list[str]:
    found = httpx.get(f"{base}/api/papers/search", params={"q": text, "mode": mode, "limit": 10}, timeout=30)
    assert found.status_code == 200, found.text
    return [hit["paper"]["id"] for hit in found.json()]


def _wait_for(check: Callable[[], bool]) -> float:
    """Seconds until `check()` holds, polling; fails after WAIT."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < WAIT, f"not found within {WAIT} s"
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_paper_submitted_on_one_node_is_found_on_the_other(
    store: Store, settings: Settings, static_model_dir: Path, smtp, tmp_path: Path
) -> None:
    ingest_paths(store, [FIXTURES / "papers-300.jsonl"])
    embed_pending(
        store, load_embedder(settings.model_copy(update={"embedding_model": str(static_model_dir)})), batch_size=64
    )
    add_user(store, "node@example.org", display_name="Node Reader")
    arxiv = ReplayServer().start()
    try:
        common = (smtp.port, f"{arxiv.url}/api/query", static_model_dir)
        writer_env = _node_env(
            settings,
            tmp_path / "node-a",
            *common,
            PAPERWIRE_SCHEDULER_ENABLED="true",
            PAPERWIRE_SCHEDULER_FETCH="false",
            PAPERWIRE_SCHEDULER_INTERVAL="2",
            PAPERWIRE_JOB_POLL_INTERVAL="0.5",
        )
        reader_env = _node_env(settings, tmp_path / "node-b", *common)
        with served(writer_env, "--workers", "2") as node_a, served(reader_env) as node_b:
            assert NEW_ID not in _ids(node_b, TITLE, "keyword")
            with httpx.Client(base_url=node_a, timeout=30) as client:
                sign_in(client, smtp, "node@example.org")
                arxiv.script("/api/query", Reply(200, atom((NEW_ID, TITLE))))
                posted = client.post(
                    "/submit",
                    data={"arxiv": NEW_ID, "csrf_token": csrf_of(client, "/submit")},
                    follow_redirects=False,
                )
                assert posted.status_code == 303, posted.text
            keyword_lag = _wait_for(lambda: _ids(node_b, "quokka burrow acoustics", "keyword")[:1] == [NEW_ID])
            # The same text as the paper's vector was made from: cosine 1, first by meaning once embedded and synced.
            semantic_lag = _wait_for(lambda: _ids(node_b, paper_text(TITLE, ABSTRACT), "semantic")[:1] == [NEW_ID])
            assert _ids(node_a, "quokka burrow acoustics", "hybrid")[:1] == [NEW_ID]
        print(f"found on the other node after {keyword_lag:.1f} s (keyword), {semantic_lag:.1f} s more (semantic)")
    finally:
        arxiv.stop()
    for home in ("node-a", "node-b"):  # each node searched its own files, not the database's indexes
        assert (tmp_path / home / "index" / "keyword").is_dir()
        meta = read_meta(vectors_folder(tmp_path / home, str(static_model_dir)))
        assert meta is not None and meta["rows"] >= 301
