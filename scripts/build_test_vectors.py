"""Embed tests/fixtures/papers-300.jsonl with the default model into tests/fixtures/papers-300.vectors.npz.

The search tests import these instead of embedding 300 abstracts on every run (about 30 s on 2 cores);
queries are still embedded live by the real model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from paperwire.config import load_settings
from paperwire.search.embedder import load_embedder, paper_text

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"

if __name__ == "__main__":
    records = [json.loads(line) for line in (FIXTURES / "papers-300.jsonl").open(encoding="utf-8")]
    embedder = load_embedder(load_settings())
    vectors = embedder.embed([paper_text(r["title"], " ".join(r["abstract"].split())) for r in records])
    np.savez_compressed(
        FIXTURES / "papers-300.vectors.npz",
        ids=np.array([r["id"] for r in records]),
        vectors=vectors.astype(np.float16),
    )
    print(f"{len(records)} vectors of {embedder.name} ({embedder.dim} dims)")
