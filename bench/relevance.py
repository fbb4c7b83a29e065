"""Search quality on scifact-train against a standard BM25 (bm25s), and the fusion choices of hybrid search.

    .venv/bin/python bench/relevance.py                  # about 2 minutes once the corpus vectors are cached
    .venv/bin/python bench/relevance.py --vectors v.npz  # vectors made elsewhere (BEIR ids + vectors)

What it does, in one run on ../shared/data/scifact-train (5,183 abstracts, 809 claims, 919 judgements):
1. bm25s, English stemmer (PyStemmer) and bm25s's English stop words, one field = title + abstract: the
   reference a keyword mode must at least match.
2. The corpus into a temporary Paperwire home (the product's own ingest), its vectors from the default model
   (embedded once through the product's embedder and cached in bench/.cache/, or --vectors), then
   paperwire.search.evaluate.run_eval for keyword, semantic and hybrid as configured.
3. The relevance floor: the three modes again without it (nDCG must not move by more than 0.002), and the
   share of queries judged to have close matches: the real claims, and generated nonsense.
4. The other fusions of paperwire.search.hybrid through the same engine: rrf (k 60), linear (min-max
   normalised sum) at keyword weight 0.5 (its best) and 0.4, calibrated at 0.3 and 0.5 (the default is 0.4).
Prints nDCG@10 / Recall@100 / MRR@10 per line, then one JSON line. Tune on this train split only.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import random
import string
import tempfile
import time
from pathlib import Path

import numpy as np

from paperwire.config import load_settings
from paperwire.search.embedder import load_embedder, paper_text
from paperwire.search.engine import SearchEngine
from paperwire.search.evaluate import load_corpus, parse_variant, read_qrels, read_queries, run_eval
from paperwire.search.query import plain_query
from paperwire.search.ranking_measures import evaluate
from paperwire.store import Store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact-train"
CACHE = Path(__file__).resolve().parent / ".cache"


def bm25s_reference(corpus: list[dict], queries: dict[str, str], qrels: dict) -> dict[str, float]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    model = bm25s.BM25()
    model.index(
        bm25s.tokenize(
            [f"{d.get('title', '')} {d.get('text', '')}" for d in corpus],
            stopwords="en",
            stemmer=stemmer,
            show_progress=False,
        ),
        show_progress=False,
    )
    ids = [q for q in qrels if q in queries]
    found, _ = model.retrieve(
        bm25s.tokenize([queries[q] for q in ids], stopwords="en", stemmer=stemmer, show_progress=False),
        k=100,
        show_progress=False,
    )
    return evaluate({q: [corpus[i]["_id"] for i in found[n]] for n, q in enumerate(ids)}, qrels)


def cached_vectors(corpus: list[dict], settings, given: Path | None) -> tuple[Path, float | None]:
    if given:
        return given, None
    target = CACHE / f"scifact-train-{settings.embedding_model}.npz"  # PAPERWIRE_EMBEDDING_MODEL picks the model
    if target.is_file():
        return target, None
    embedder = load_embedder(settings)
    start = time.perf_counter()
    vectors = embedder.embed([paper_text(d.get("title", ""), d.get("text", "")) for d in corpus])
    rate = len(corpus) / (time.perf_counter() - start)
    CACHE.mkdir(exist_ok=True)
    np.savez(target, ids=np.asarray([d["_id"] for d in corpus]), vectors=vectors)
    return target, rate


COMMON_WORDS = [
    "apple",
    "river",
    "chair",
    "window",
    "music",
    "garden",
    "yellow",
    "breakfast",
    "mountain",
    "pencil",
    "holiday",
    "guitar",
    "kitchen",
    "blanket",
    "orange",
    "bicycle",
    "castle",
    "dragon",
    "wizard",
    "pillow",
    "sandwich",
    "umbrella",
    "tiger",
    "violin",
]


def floor_rates(engine: SearchEngine, real: list[str]) -> dict[str, dict[str, float]]:
    """Share of queries judged to have close matches: real claims, and 150 each of generated nonsense (random
    letters, 1-3 'words'; 2-3 random common English words), per mode."""
    rng = random.Random(5)
    letters = [
        " ".join(
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))
            for _ in range(rng.randint(1, 3))
        )
        for _ in range(150)
    ]
    words = [" ".join(rng.sample(COMMON_WORDS, rng.randint(2, 3))) for _ in range(150)]
    return {
        mode: {
            kind: sum(engine.search(q, mode=mode, limit=10).close for q in qs) / len(qs)
            for kind, qs in (("real", real), ("letters", letters), ("common words", words))
        }
        for mode in ("hybrid", "semantic", "keyword")
    }


def line(label: str, m: dict[str, float]) -> str:
    return f"{label:<28}{m['ndcg@10']:>9.4f}{m['recall@100']:>9.4f}{m['mrr@10']:>9.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--vectors", type=Path)
    args = parser.parse_args()
    corpus = [json.loads(row) for row in (args.data / "corpus.jsonl").open(encoding="utf-8")]
    queries, qrels = read_queries(args.data / "queries.jsonl"), read_qrels(args.data / "qrels")
    qrels = {q: r for q, r in qrels.items() if q in queries}
    figures: dict[str, dict[str, float]] = {"bm25s": bm25s_reference(corpus, queries, qrels)}
    with tempfile.TemporaryDirectory(prefix="paperwire-relevance-") as home:
        settings = load_settings(home=Path(home))
        vectors, rate = cached_vectors(corpus, settings, args.vectors)
        store = Store.open(settings)
        embedder = load_embedder(settings)
        load_corpus(store, settings, args.data / "corpus.jsonl", embedder, vectors=vectors)
        names = ["keyword", "semantic", "hybrid", "rrf", "linear:0.5", "linear:0.4", "calibrated:0.3", "calibrated:0.5"]
        figures |= run_eval(store, settings, queries, qrels, embedder, [parse_variant(v) for v in names])
        unfloored = settings.model_copy(update={"relevance_floor": False})
        for label, metrics in run_eval(
            store, unfloored, queries, qrels, embedder, [parse_variant(v) for v in ("keyword", "semantic", "hybrid")]
        ).items():
            figures[f"{label} (no floor)"] = metrics
        engine = SearchEngine(settings, store, embedder=embedder)
        engine.sync()
        floor = floor_rates(engine, [plain_query(queries[q]) for q in qrels])
        store.close()
    print(
        f"scifact-train: {len(corpus)} documents, {len(qrels)} judged queries"
        + (f"; corpus embedded at {rate:.0f} papers/s" if rate else "")
    )
    print(f"{'':<28}{'nDCG@10':>9}{'R@100':>9}{'MRR@10':>9}")
    for label, m in figures.items():
        print(line(label, m))
    print(
        "share of queries with close matches (the relevance floor): "
        + "; ".join(
            f"{mode}: " + ", ".join(f"{kind} {share:.1%}" for kind, share in kinds.items())
            for mode, kinds in floor.items()
        )
    )
    print(json.dumps({"figures": figures, "floor": floor, "embed_papers_per_s": rate}))


if __name__ == "__main__":
    main()
