"""The bundled demo corpus: real arXiv papers of February 2026, that month's Hugging Face daily lists, and
their vectors from the default model (made by scripts/build_demo_vectors.py), so search works at once."""

from __future__ import annotations

from pathlib import Path

from paperwire.papers.ingest import IngestReport
from paperwire.papers.load import ingest_paths
from paperwire.search.embedder import DEFAULT_MODEL
from paperwire.store import Store

DATA = Path(__file__).parent / "data"
DEMO_FILES = (DATA / "papers.jsonl.xz", DATA / "hf-daily.json.xz")
DEMO_VECTORS = DATA / f"vectors-{DEFAULT_MODEL}.npz"


def load_demo(store: Store, *, batch_size: int = 1000) -> IngestReport:
    """Ingest the demo corpus (idempotent: loading it twice changes nothing)."""
    return ingest_paths(store, list(DEMO_FILES), batch_size=batch_size)


def import_demo_vectors(store: Store, model: str) -> int:
    """Import the shipped vectors when the configured model is the one that made them; returns how many."""
    from paperwire.search.embedder import _DEFAULT_ALIASES
    from paperwire.search.indexer import import_vectors

    if model not in _DEFAULT_ALIASES or not DEMO_VECTORS.exists():
        return 0
    return import_vectors(store, DEMO_VECTORS, model, expected_dim=384).imported
