"""Paper vectors: embed what is pending (incremental, batched, resumable), import and export vector files,
and distill the fast static model.

The queue is derived from state, not stored: a paper needs a vector when it has none from the model,
or its vector was made from older metadata (another content_hash). So ingestion queues new and
changed papers just by writing them, and a killed run loses at most the batch it was embedding.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from paperwire.errors import ConfigError, InvalidInput
from paperwire.metrics import PAPERS_EMBEDDED
from paperwire.papers.record import parse_arxiv_id
from paperwire.search import vector_files as files
from paperwire.search.embedder import DEFAULT_MODEL, Embedder, float_model_path, paper_text
from paperwire.store import Store
from paperwire.store import embeddings as repo
from paperwire.store import vector_exchange as exchange

MAX_REPORTED_UNKNOWN = 20
# Model batches given to the embedder in one call by `paperwire index` and the embed job: it sorts the texts by
# length, so each batch holds abstracts of similar length and pads little (256 papers at the default batch of 32).
SORT_WINDOW = 8


@dataclass
class EmbedReport:
    """What one `embed_pending` run did."""

    model: str
    pending: int = 0
    embedded: int = 0
    batches: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        """Papers embedded per second (model time plus database time)."""
        return self.embedded / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return f"embedded {self.embedded} of {self.pending} pending papers with {self.model} ({self.rate:.1f} papers/s)"


@dataclass
class ImportReport:
    """What `import_vectors` did; ids absent from the database are counted, not an error."""

    model: str
    file_model: str | None = None
    dim: int = 0
    read: int = 0
    imported: int = 0
    unknown: int = 0
    stale: int = 0
    duplicates: int = 0
    unknown_sample: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"imported {self.imported} of {self.read} vectors ({self.dim} dims) as {self.model}"
        if self.unknown:
            text += f"; {self.unknown} ids not in the database (e.g. {', '.join(self.unknown_sample[:5])})"
        if self.stale:
            text += f"; {self.stale} made from other text than the paper's now (left for `paperwire index`)"
        if self.duplicates:
            text += f"; {self.duplicates} repeated ids (the last one kept)"
        return text


def embed_pending(
    store: Store,
    embedder: Embedder,
    *,
    batch_size: int,
    on_progress: Callable[[int, int], None] | None = None,
    limit: int | None = None,
    sort_window: int = 1,
) -> EmbedReport:
    """Embed papers without a current vector from `embedder`: `sort_window` batches of `batch_size` papers per
    embed() call (sorted there by length, so little padding) and per write transaction."""
    if batch_size < 1 or sort_window < 1:
        raise InvalidInput("the embedding batch size and sort window must be at least 1")
    batch_size *= sort_window
    started = time.perf_counter()
    with store.read() as conn:
        total = repo.count_pending(conn, embedder.name)
    if limit is not None:
        total = min(total, max(limit, 0))
    report = EmbedReport(model=embedder.name, pending=total)
    if on_progress:
        on_progress(0, total)
    after: str | None = None  # keyset paging: a paper that stays pending (changed meanwhile) is not looped on
    while report.embedded < total:
        with store.read() as conn:
            rows = repo.pending_papers(conn, embedder.name, min(batch_size, total - report.embedded), after)
        if not rows:
            break
        vectors = embedder.embed([paper_text(row["title"], row["abstract"]) for row in rows])
        _check_vectors(vectors, len(rows), embedder)
        with store.write() as conn:
            repo.save_vectors(conn, embedder.name, rows, vectors)
        PAPERS_EMBEDDED.labels(model=embedder.name).inc(len(rows))
        after = rows[-1]["id"]
        report.embedded += len(rows)
        report.batches += 1
        if on_progress:
            on_progress(report.embedded, total)
    report.seconds = time.perf_counter() - started
    return report


def embed_papers(
    store: Store,
    embedder: Embedder,
    ids: Sequence[str],
    *,
    batch_size: int = 64,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Embed those of `ids` that have no current vector from `embedder` and store them; how many were embedded."""
    with store.read() as conn:
        rows = repo.pending_among(conn, embedder.name, ids)
    rows.sort(key=lambda row: len(row["title"]) + len(row["abstract"]))  # similar lengths batch with little padding
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        vectors = embedder.embed([paper_text(row["title"], row["abstract"]) for row in batch])
        _check_vectors(vectors, len(batch), embedder)
        with store.write() as conn:
            repo.save_vectors(conn, embedder.name, batch, vectors)
        if on_progress:
            on_progress(start + len(batch), len(rows))
    return len(rows)


def _check_vectors(vectors: np.ndarray, count: int, embedder: Embedder) -> None:
    if vectors.shape != (count, embedder.dim) or not np.isfinite(vectors).all():
        raise ConfigError(
            f"embedding model {embedder.name!r} returned {vectors.shape} vectors for {count} texts "
            f"(expected {count} x {embedder.dim}, all finite)"
        )


# --- import and export --------------------------------------------------------------------------


def import_vectors(store: Store, path: Path, model: str, *, expected_dim: int | None = None) -> ImportReport:
    """Store precomputed vectors keyed by arXiv id (see paperwire.search.vector_files) as `model`'s vectors.

    The whole file is checked before anything is written: one dimension throughout (and as
    `expected_dim` and the model's stored vectors), finite non-zero values, arXiv ids. Rows are
    L2-normalised and tied to the paper's current metadata, so a later change re-embeds. Ids not in
    the database are counted; a vector whose recorded text differs from the paper's is left out
    (counted as stale, for `embed_pending` to redo).
    """
    path = Path(path)
    files.check_format(path)
    report = ImportReport(model=model, file_model=files.recorded_model(path))
    with store.read() as conn:
        stored_dim = exchange.stored_dim(conn, model)
    dim = expected_dim
    for batch in files.read_batches(path):  # first pass: validate only
        dim = _validate(path, batch, report.read, dim)
        report.read += len(batch.ids)
    if report.read == 0:
        raise InvalidInput(f"{path.name}: the file holds no vectors")
    if stored_dim and dim != stored_dim:
        raise InvalidInput(
            f"{path.name}: vectors have {dim} dimensions but the database holds {stored_dim}-dimensional "
            f"vectors of {model!r}; import them under the model that made them"
        )
    report.dim = int(dim or 0)
    seen: set[str] = set()
    for batch in files.read_batches(path):
        _store_batch(store, model, batch, seen, report)
    return report


def _store_batch(store: Store, model: str, batch: files.VectorBatch, seen: set[str], report: ImportReport) -> None:
    """Write one batch of checked vectors (the last of repeated ids wins)."""
    last = {parse_arxiv_id(raw)[0]: i for i, raw in enumerate(batch.ids)}
    report.duplicates += len(batch.ids) - len(last) + sum(1 for pid in last if pid in seen)
    seen.update(last)
    with store.write() as conn:
        found = exchange.papers_by_id(conn, list(last))
        rows, picked = [], []
        for pid, i in last.items():
            paper = found.get(pid)
            if paper is None:
                report.unknown += 1
                if len(report.unknown_sample) < MAX_REPORTED_UNKNOWN:
                    report.unknown_sample.append(pid)
            elif batch.text_md5 is not None and batch.text_md5[i] != files.text_md5(paper["title"], paper["abstract"]):
                report.stale += 1
            else:
                rows.append(paper)
                picked.append(i)
        vectors = batch.vectors[np.asarray(picked, dtype=np.int64)]
        repo.save_vectors(conn, model, rows, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    report.imported += len(rows)


def _validate(path: Path, batch: files.VectorBatch, offset: int, dim: int | None) -> int:
    """Check one batch; return the dimension (the first batch sets it). Row numbers are 1-based."""
    ids, vectors = batch.ids, batch.vectors
    if dim is not None and vectors.shape[1] != dim:
        raise InvalidInput(f"{path.name}: vectors have {vectors.shape[1]} dimensions, expected {dim}")
    if vectors.shape[1] == 0:
        raise InvalidInput(f"{path.name}: vectors have no dimensions")
    finite = np.isfinite(vectors).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise InvalidInput(f"{path.name}: row {offset + row + 1} ({ids[row]}) has a NaN or infinite value")
    zero = ~np.any(vectors != 0, axis=1)
    if zero.any():
        row = int(np.argmax(zero))
        raise InvalidInput(f"{path.name}: row {offset + row + 1} ({ids[row]}) is an all-zero vector")
    for i, raw in enumerate(ids):
        try:
            parse_arxiv_id(raw)
        except InvalidInput:
            raise InvalidInput(f"{path.name}: row {offset + i + 1}: not an arXiv id: {raw!r}") from None
    return int(vectors.shape[1])


def export_vectors(store: Store, path: Path, model: str, *, dtype: str = "float16") -> int:
    """Write `model`'s stored vectors to FILE.npz (as `dtype`; float16 halves the size) or FILE.parquet.

    Each row records the MD5 of the text it was made from (unknown for a stale vector), so an
    import into a database whose papers say something else leaves those to be embedded again.
    """
    path = Path(path)

    def batches() -> Iterator[files.VectorBatch]:
        with store.read() as conn:
            for rows, matrix in exchange.iter_vectors_with_text(conn, model):
                md5 = [files.text_md5(r["title"], r["abstract"]) if r["current"] else files.UNKNOWN_TEXT for r in rows]
                yield files.VectorBatch([r["id"] for r in rows], matrix, md5)

    count = files.write_vectors(path, batches(), model, dtype=dtype)
    if not count:
        raise InvalidInput(f"no vectors of {model!r} in the database to export")
    return count


# --- distillation -------------------------------------------------------------------------------


def distill_static(out_dir: Path, *, base: str | None = None, dims: int = 256, device: str | None = None) -> Path:
    """Distill a static model2vec model from `base` (default: the default model's float32 weights, which the
    torch extra installs with everything distilling needs) into `out_dir`.

    About 15 s on 2 CPU cores, offline for a local base; `load_embedder` given the folder loads it as
    a StaticEmbedder. `device` None lets model2vec pick (a GPU when there is one).
    """
    if dims < 2:
        raise InvalidInput("a distilled model needs at least 2 dimensions")
    try:
        from model2vec.distill import distill
    except ImportError:
        raise ConfigError(
            "distilling needs PyTorch and model2vec's distill extra: pip install 'paperwire[torch]'"
        ) from None
    location = (
        float_model_path() if base in (None, DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}") else str(base)
    )
    if Path(location).is_dir():
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder needs nothing from a hub
    try:
        model = distill(model_name=location, pca_dims=dims, device=device)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot distill from {location!r}: {exc}") from None
    out_dir = Path(out_dir)
    model.save_pretrained(out_dir)
    return out_dir
