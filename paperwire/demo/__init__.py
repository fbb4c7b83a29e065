"""The bundled demo corpus: real arXiv papers of February 2026 and that month's Hugging Face daily lists."""

from __future__ import annotations

from pathlib import Path

from paperwire.papers.ingest import IngestReport
from paperwire.papers.load import ingest_paths
from paperwire.store import Store

DATA = Path(__file__).parent / "data"
DEMO_FILES = (DATA / "papers.jsonl.xz", DATA / "hf-daily.json.xz")


def load_demo(store: Store, *, batch_size: int = 1000) -> IngestReport:
    """Ingest the demo corpus (idempotent: loading it twice changes nothing)."""
    return ingest_paths(store, list(DEMO_FILES), batch_size=batch_size)
