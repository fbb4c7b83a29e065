"""Search quality on a labelled BEIR data set (e.g. scifact-train): nDCG@10, Recall@100, MRR@10 per mode."""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from paperwire.config import Settings
from paperwire.errors import InvalidInput
from paperwire.papers.ingest import ingest_items
from paperwire.papers.record import PaperRecord, ParsedItem, RecordError, clean_text
from paperwire.search.embedder import Embedder
from paperwire.search.engine import SearchEngine
from paperwire.search.query import plain_query
from paperwire.search.ranking_measures import evaluate
from paperwire.store import Store


@dataclass(frozen=True)
class Variant:
    """One configuration to evaluate: a mode and, for hybrid, how to fuse (None: as the settings say)."""

    label: str
    mode: str
    fusion: str | None = None
    keyword_weight: float | None = None

    def settings_for(self, settings: Settings) -> Settings:
        """The settings this variant searches with: the given ones, with the variant's fusion choices on top."""
        update = {"fusion": self.fusion, "keyword_weight": self.keyword_weight}
        return settings.model_copy(update={k: v for k, v in update.items() if v is not None})


DEFAULT_VARIANTS = (Variant("keyword", "keyword"), Variant("semantic", "semantic"), Variant("hybrid", "hybrid"))


def parse_variant(text: str) -> Variant:
    """`keyword`, `semantic`, `hybrid` (fused as the settings say), `rrf`, `calibrated` or `linear` (with the
    settings' keyword weight), or `calibrated:W` / `linear:W` (keyword weight W)."""
    if text in ("keyword", "semantic", "hybrid"):
        return Variant(text, text)
    if text == "rrf":
        return Variant("hybrid-rrf", "hybrid", "rrf")
    if text in ("calibrated", "linear"):
        return Variant(f"hybrid-{text}", "hybrid", text)
    if text.startswith(("linear:", "calibrated:")):
        method, _, given = text.partition(":")
        try:
            weight = float(given)
        except ValueError:
            weight = -1.0
        if 0 <= weight <= 1:
            return Variant(f"hybrid-{method}-{weight:g}", "hybrid", method, weight)
    raise InvalidInput(
        f"unknown variant {text!r}: use keyword, semantic, hybrid, rrf, calibrated, linear, "
        "calibrated:0.4 or linear:0.5"
    )


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InvalidInput(f"{path}:{number}: bad JSON: {exc.msg}") from None


def corpus_items(path: Path) -> Iterator[ParsedItem | RecordError]:
    """BEIR corpus lines {_id, title, text} as papers keyed by their BEIR id."""
    for number, doc in _read_jsonl(path):
        doc_id, text = str(doc.get("_id", "")).strip(), clean_text(doc.get("text"))
        title = clean_text(doc.get("title")) or text[:80]
        if not doc_id or not title:
            yield RecordError(str(path), number, "missing _id or text")
            continue
        yield ParsedItem(PaperRecord(doc_id, title, text), str(path), number)


def read_queries(path: Path) -> dict[str, str]:
    return {str(q["_id"]): str(q.get("text", "")) for _, q in _read_jsonl(path)}


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """TSV `query-id corpus-id score` with a header row; a folder means its test/train/dev TSV files."""
    files = sorted(path.glob("*.tsv")) if path.is_dir() else [path]
    if not files:
        raise InvalidInput(f"no qrels TSV files in {path}")
    qrels: dict[str, dict[str, int]] = {}
    for file in files:
        with file.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                try:
                    qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
                except (KeyError, ValueError):
                    raise InvalidInput(f"{file}: expected columns query-id, corpus-id, score") from None
    return qrels


class CachedEmbedder:
    """Remembers query vectors so each query is embedded once however many variants run."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self._memo: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            for text, vector in zip(missing, self.inner.embed(missing), strict=True):
                self._memo[text] = vector
        return np.vstack([self._memo[t] for t in texts])


def load_corpus(
    store: Store,
    settings: Settings,
    corpus: Path,
    embedder: Embedder,
    *,
    vectors: Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Ingest a BEIR corpus and give every document a vector (imported from `vectors`, or embedded now)."""
    from paperwire.search.indexer import SORT_WINDOW, embed_pending

    report = ingest_items(store, corpus_items(corpus), source="beir", batch_size=settings.ingest_batch_size)
    if vectors is not None:
        _store_vectors(store, vectors, embedder.name)
    embed_pending(
        store, embedder, batch_size=settings.embed_batch_size, sort_window=SORT_WINDOW, on_progress=on_progress
    )
    return report.added + report.unchanged + report.updated


def _store_vectors(store: Store, path: Path, model: str) -> None:
    """Store precomputed corpus vectors (.npz with `ids` and `vectors`) keyed by BEIR document ids.

    BEIR ids are not arXiv ids, so this bypasses `paperwire index --import`, which checks them.
    """
    from paperwire.search.embedder import normalise
    from paperwire.store import embeddings as vectors_repo
    from paperwire.store import papers as repo

    try:
        data = np.load(path)
        ids, matrix = [str(i) for i in data["ids"]], normalise(data["vectors"])
    except (OSError, KeyError, ValueError) as exc:
        raise InvalidInput(f"{path}: expected an .npz with arrays ids and vectors ({exc})") from None
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        with store.write() as conn:
            rows = repo.load_papers(conn, chunk)
            keep = [i for i, pid in enumerate(chunk) if pid in rows]
            vectors_repo.save_vectors(
                conn,
                model,
                [{"id": chunk[i], "content_hash": rows[chunk[i]]["content_hash"]} for i in keep],
                matrix[start : start + 1000][keep],
            )


def run_eval(
    store: Store,
    settings: Settings,
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    embedder: Embedder,
    variants: Sequence[Variant] = DEFAULT_VARIANTS,
) -> dict[str, dict[str, float]]:
    """Metrics per variant over the queries that have judgements, searching 100 deep."""
    cached = CachedEmbedder(embedder)
    judged = [q for q in qrels if q in queries]
    if not judged:
        raise InvalidInput("no query in the qrels file appears in the queries file")
    texts = {q: plain_query(queries[q]) for q in judged}
    cached.embed([t for t in texts.values() if t])
    results: dict[str, dict[str, float]] = {}
    for variant in variants:
        engine = SearchEngine(variant.settings_for(settings), store, embedder=cached)
        engine.sync()
        runs = {
            q: [hit.id for hit in engine.search(t, mode=variant.mode, limit=100).hits] for q, t in texts.items() if t
        }
        results[variant.label] = evaluate(runs, {q: qrels[q] for q in judged})
    return results


@dataclass(frozen=True)
class Evaluation:
    """What `evaluate_beir` measured: the corpus size, the embedding model, and the metrics per variant label."""

    documents: int
    model: str
    results: dict[str, dict[str, float]]


def evaluate_beir(
    settings: Settings,
    corpus: Path,
    queries: Path,
    qrels: Path,
    variants: Sequence[Variant] = DEFAULT_VARIANTS,
    *,
    vectors: Path | None = None,
    model: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Evaluation:
    """Measure search on a BEIR data set in a temporary home (its own SQLite store and indexes), removed after.

    `model` replaces the configured embedding model; `on_progress(done, total)` follows the corpus embedding.
    """
    from paperwire.search.embedder import load_embedder

    query_texts, judgements = read_queries(queries), read_qrels(qrels)
    with tempfile.TemporaryDirectory(prefix="paperwire-eval-") as home:
        local = settings.model_copy(
            update={"home": Path(home), "database_url": None, "embedding_model": model or settings.embedding_model}
        )
        store = Store.open(local)
        try:
            embedder = load_embedder(local)
            documents = load_corpus(store, local, corpus, embedder, vectors=vectors, on_progress=on_progress)
            results = run_eval(store, local, query_texts, judgements, embedder, variants)
        finally:
            store.close()
    return Evaluation(documents, embedder.name, results)
