"""Bulk embedding on ONNX Runtime (issue 14 item 4): papers/s of each option, measured one after the other in one
process, and the quality of the options that change vectors.

    .venv/bin/python bench/bulk_embed.py speed --papers 256 --repeat 3      # about 8 minutes on 2 busy cores
    .venv/bin/python bench/bulk_embed.py quality --variant 128              # scifact-train, ~4-10 minutes a variant

speed: the first --papers demo papers (title + abstract), the default model through paperwire's OnnxEmbedder;
each option's papers/s is the median of --repeat rounds that interleave the options (tokenisation included), and its ratio to
"today" (embed_pending before this change: one embed() call per 32 papers, in database order, 256 tokens).
quality: scifact-train documents embedded with the variant (256, 128, int8, 128-int8), claims embedded as
queries (never truncated: they are short), exact cosine search over the whole corpus, nDCG@10 / Recall@100 /
MRR@10 (paperwire.search.ranking_measures), and the cosine of each document vector to the 256-token float
vector. Vectors are cached in bench/.cache/ as BEIR ids + vectors (.npz, the format of relevance.py --vectors).
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import lzma
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.demo import DATA
from paperwire.search.bert_onnx import OnnxEmbedder, cached_graph
from paperwire.search.embedder import DEFAULT_MODEL, default_model_path, paper_text
from paperwire.search.ranking_measures import evaluate

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / ".cache"
SCIFACT = REPO.parent / "shared" / "data" / "scifact-train"


def demo_texts(count: int) -> list[str]:
    with lzma.open(DATA / "papers.jsonl.xz", "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for _, line in zip(range(count), lines, strict=False)]
    return [paper_text(r["title"], r.get("abstract") or "") for r in rows]


def embedder(
    cache: Path,
    *,
    batch: int = 32,
    max_tokens: int | None = None,
    int8: bool = False,
    threads: int | None = None,
    spin: bool = False,
    level: str = "ORT_ENABLE_ALL",
) -> OnnxEmbedder:
    """An OnnxEmbedder whose session is rebuilt with the given options (bench only)."""
    import onnxruntime as ort

    made = OnnxEmbedder(DEFAULT_MODEL, default_model_path(), cache, batch, max_tokens=max_tokens)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or len(os.sched_getaffinity(0))
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
    path = cached_graph(default_model_path(), cache, int8=int8)  # int8: what all-MiniLM-L6-v2@int8 runs
    made.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return made


def padded_to(model: OnnxEmbedder, texts: list[str], width: int) -> np.ndarray:
    """Batches in input order, every one padded to `width` tokens (no dynamic padding, no sorting)."""
    out = np.zeros((len(texts), model.dim), dtype=np.float32)
    encodings = model.tokenizer.encode_batch(texts)
    for start in range(0, len(texts), model.batch_size):
        chunk = encodings[start : start + model.batch_size]
        ids = np.zeros((len(chunk), width), dtype=np.int64)
        mask = np.zeros((len(chunk), width), dtype=np.int64)
        for row, encoding in enumerate(chunk):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        out[start : start + len(chunk)] = model.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
    return out


def in_chunks(model: OnnxEmbedder, texts: list[str], size: int) -> np.ndarray:
    """One embed() call per `size` texts, in input order: what embed_pending does with chunks of `size`."""
    return np.vstack([model.embed(texts[start : start + size]) for start in range(0, len(texts), size)])


def speed(papers: int, repeat: int, cache: Path, only: list[str] | None) -> None:
    texts = demo_texts(papers)
    n = len(texts)

    def whole(m: OnnxEmbedder) -> np.ndarray:
        return m.embed(texts)

    options: dict[str, tuple[dict[str, Any], Callable[[OnnxEmbedder], np.ndarray]]] = {
        "today: embed() per 32 papers, db order": ({}, lambda m: in_chunks(m, texts, 32)),
        "(b) off: every batch padded to 256": ({}, lambda m: padded_to(m, texts, 256)),
        "(a) sorted over 256 papers, batch 32": ({}, whole),
        "(c) sorted, batch 16": ({"batch": 16}, whole),
        "(c) sorted, batch 64": ({"batch": 64}, whole),
        "(d) sorted, 1 thread": ({"threads": 1}, whole),
        "(d) sorted, spinning threads": ({"spin": True}, whole),
        "(d) sorted, ORT_ENABLE_BASIC": ({"level": "ORT_ENABLE_BASIC"}, whole),
        "(d) sorted, int8 weights (@int8)": ({"int8": True}, whole),
        "(e) sorted, 128 tokens": ({"max_tokens": 128}, whole),
        "(d+e) sorted, 128 tokens, int8": ({"max_tokens": 128, "int8": True}, whole),
    }
    if only:
        options = {k: v for k, v in options.items() if k.startswith("today") or any(o in k for o in only)}
    lengths = [len(e.ids) for e in embedder(cache).tokenizer.encode_batch(texts)]
    print(
        f"{n} demo papers, tokens (cut at 256): median {statistics.median(lengths):.0f}, "
        f"at the limit {sum(x >= 256 for x in lengths)}; load average {os.getloadavg()[0]:.1f}; "
        f"median of {repeat} runs",
        flush=True,
    )
    # Rounds interleave the options (one run of each per round), so a load that drifts meanwhile (the machine is
    # shared) weighs on every option alike; each option's figure is its median over the rounds.
    models = {label: embedder(cache, **kwargs) for label, (kwargs, _) in options.items()}
    for model in models.values():
        model.embed(["warm up", "a second, longer text to warm up the session"])
    rates: dict[str, list[float]] = {label: [] for label in options}
    vectors: dict[str, np.ndarray] = {}
    for round_ in range(repeat):
        for label, (_, run) in options.items():
            started = time.perf_counter()
            vectors[label] = run(models[label])
            rates[label].append(n / (time.perf_counter() - started))
        print(f"round {round_ + 1}: load average {os.getloadavg()[0]:.1f}", flush=True)
    results: dict[str, dict[str, float]] = {}
    reference = next(iter(vectors.values()))
    base = statistics.median(next(iter(rates.values())))
    for label, runs in rates.items():
        papers_per_s, cosine = statistics.median(runs), (vectors[label] * reference).sum(axis=1)
        results[label] = {
            "papers_per_s": round(papers_per_s, 1),
            "ratio": round(papers_per_s / base, 2),
            "min_cosine": round(float(cosine.min()), 5),
        }
        print(f"{label:<42}{papers_per_s:>8.1f} papers/s {papers_per_s / base:>6.2f}x  min cosine {cosine.min():.5f}")
    print(json.dumps({"bench": "bulk_embed speed", "papers": n, "repeat": repeat, "results": results}))


VARIANTS = {
    "256": {},
    "128": {"max_tokens": 128},
    "int8": {"int8": True},
    "128-int8": {"max_tokens": 128, "int8": True},
}


def quality(variant: str, cache: Path, data: Path) -> None:
    corpus = [json.loads(line) for line in (data / "corpus.jsonl").open(encoding="utf-8")]
    ids = [str(d["_id"]) for d in corpus]
    target = CACHE / f"scifact-train-{variant}.npz"
    model = embedder(cache, **VARIANTS[variant])  # type: ignore[arg-type]
    if target.is_file():
        vectors = np.load(target)["vectors"]
    else:
        started = time.perf_counter()
        vectors = model.embed([paper_text(d.get("title") or "", d.get("text") or "") for d in corpus])
        print(f"{variant}: embedded {len(corpus)} documents at {len(corpus) / (time.perf_counter() - started):.1f}/s")
        CACHE.mkdir(exist_ok=True)
        np.savez(target, ids=np.asarray(ids), vectors=vectors)
    queries = {str(r["_id"]): r["text"] for r in map(json.loads, (data / "queries.jsonl").open(encoding="utf-8"))}
    qrels: dict[str, dict[str, int]] = {}
    for path in sorted((data / "qrels").glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            query, doc, score = line.split("\t")
            qrels.setdefault(query, {})[doc] = int(score)
    judged = [q for q in qrels if q in queries]
    query_vectors = model.embed([queries[q] for q in judged])  # as the product does: queries by the same model
    top = np.argsort(-(query_vectors @ vectors.T), axis=1)[:, :100]
    metrics = evaluate({q: [ids[i] for i in row] for q, row in zip(judged, top, strict=True)}, qrels)
    figures = {"variant": variant, **{k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}}
    base = CACHE / "scifact-train-256.npz"
    if base.is_file() and variant != "256":
        cosine = (np.load(base)["vectors"] * vectors).sum(axis=1)
        figures |= {
            "cosine_to_256_min": round(float(cosine.min()), 4),
            "cosine_to_256_mean": round(float(cosine.mean()), 4),
        }
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("speed", "quality"))
    parser.add_argument("--papers", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="speed: only the options whose label contains one of these")
    parser.add_argument("--variant", choices=tuple(VARIANTS), default="256")
    parser.add_argument("--data", type=Path, default=SCIFACT)
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "paperwire-bulk-embed"  # the built graphs, kept between runs
    if args.what == "speed":
        speed(args.papers, args.repeat, cache, args.only)
    else:
        quality(args.variant, cache, args.data)


if __name__ == "__main__":
    main()
