"""Build paperwire/demo/data/vectors-all-MiniLM-L6-v2.npz: the demo corpus embedded with the default model.

Run by maintainers after the demo corpus changes (about 8 minutes on 2 CPU cores, seconds on a GPU):

    .venv/bin/python scripts/build_demo_vectors.py

It uses the project's own code path: ingest the demo into a temporary home, `embed_pending` with the
default model (what `paperwire index` runs), then `export_vectors` as float16 (what `load_demo` imports).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from paperwire.config import load_settings
from paperwire.demo import DATA, load_demo
from paperwire.search.embedder import DEFAULT_MODEL, load_embedder
from paperwire.search.indexer import embed_pending, export_vectors
from paperwire.store import Store


def build(out: Path, model: str = DEFAULT_MODEL) -> None:
    with tempfile.TemporaryDirectory(prefix="paperwire-demo-vectors-") as home:
        settings = load_settings(home=Path(home), embedding_model=model)
        store = Store.open(settings)
        try:
            report = load_demo(store)
            print(f"demo corpus: {report.summary()}", file=sys.stderr)
            embedder = load_embedder(settings)

            def progress(done: int, total: int) -> None:
                if done == total or done % (settings.embed_batch_size * 20) == 0:
                    print(f"  embedded {done}/{total}", file=sys.stderr, flush=True)

            embedded = embed_pending(store, embedder, batch_size=settings.embed_batch_size, on_progress=progress)
            print(embedded.summary(), file=sys.stderr)
            count = export_vectors(store, out, embedder.name)
        finally:
            store.close()
    print(f"wrote {count} vectors to {out} ({out.stat().st_size / 1e6:.1f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA / f"vectors-{DEFAULT_MODEL}.npz")
    args = parser.parse_args()
    build(args.out)


if __name__ == "__main__":
    main()
