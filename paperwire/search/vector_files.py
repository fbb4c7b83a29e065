"""Vector files: precomputed paper vectors keyed by arXiv id, read in batches and written for export.

Formats (chosen by the file's suffix):
- FILE.npz: arrays `ids` (strings), `vectors` (n x d floats); optional `model` (a string) and
  `text_md5` (n x 16 bytes, MD5 of the text each vector was made from; zero rows: unknown).
- FILE.npy: an n x d matrix, with its ids one per line, in the same order, in FILE.ids.txt.
- FILE.parquet: columns `id` (string) and `vector` (list of floats); optional `text_md5`
  (16-byte binary); the model in the schema metadata key `model`. Read one row group at a time.
Malformed files raise InvalidInput naming the file and, where it applies, the row (1-based).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.errors import ConfigError, InvalidInput
from paperwire.search.embedder import paper_text

FORMATS = (".npz", ".npy", ".parquet")
BATCH = 2000
UNKNOWN_TEXT = bytes(16)


@dataclass
class VectorBatch:
    """Consecutive rows of a vector file; `text_md5` is None when the file does not record it."""

    ids: list[str]
    vectors: np.ndarray
    text_md5: list[bytes] | None = None


def text_md5(title: str, abstract: str) -> bytes:
    """Fingerprint of what is embedded for a paper, so an imported vector can be matched to its text."""
    return hashlib.md5(paper_text(title, abstract).encode("utf-8")).digest()


def check_format(path: Path) -> None:
    if not path.is_file():
        raise InvalidInput(f"no such vector file: {path}")
    if path.suffix not in FORMATS:
        raise InvalidInput(f"{path.name}: unknown vector file type (use {', '.join(FORMATS)})")


def recorded_model(path: Path) -> str | None:
    """The model name the file records, if any."""
    if path.suffix == ".npz":
        with _open_npz(path) as archive:
            return str(archive["model"]) if "model" in archive.files else None
    if path.suffix == ".parquet":
        metadata = _parquet_file(path).schema_arrow.metadata or {}
        model = metadata.get(b"model")
        return model.decode("utf-8") if model else None
    return None


def read_batches(path: Path) -> Iterator[VectorBatch]:
    """The file's rows in batches of about BATCH (float32 vectors, not yet checked for values)."""
    if path.suffix == ".parquet":
        yield from _parquet_batches(path)
        return
    ids, vectors, md5 = _numpy_arrays(path)
    for start in range(0, len(ids), BATCH):
        end = start + BATCH
        yield VectorBatch(
            ids[start:end], np.asarray(vectors[start:end], dtype=np.float32), None if md5 is None else md5[start:end]
        )


def _open_npz(path: Path) -> Any:
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InvalidInput(f"{path.name}: not a readable .npz file ({exc})") from None


def _numpy_arrays(path: Path) -> tuple[list[str], np.ndarray, list[bytes] | None]:
    md5 = None
    try:
        if path.suffix == ".npz":
            with _open_npz(path) as archive:
                missing = {"ids", "vectors"} - set(archive.files)
                if missing:
                    raise InvalidInput(
                        f"{path.name}: missing array(s) {', '.join(sorted(missing))} (need ids and vectors)"
                    )
                raw_ids, vectors = archive["ids"], archive["vectors"]
                if "text_md5" in archive.files:
                    md5 = archive["text_md5"]
        else:
            vectors = np.load(path, mmap_mode="r", allow_pickle=False)
            id_file = path.with_suffix(".ids.txt")
            if not id_file.is_file():
                raise InvalidInput(f"{path.name}: a .npy file needs its ids, one per line, in {id_file.name}")
            raw_ids = np.asarray(id_file.read_text(encoding="utf-8").split())
    except InvalidInput:
        raise
    except (ValueError, OSError, EOFError) as exc:  # pickled objects refused, or not numpy at all
        raise InvalidInput(f"{path.name}: not a readable numpy file of plain arrays ({exc})") from None
    if raw_ids.dtype.kind not in "US" or raw_ids.ndim != 1:
        raise InvalidInput(f"{path.name}: ids must be a 1-D array of strings, found {raw_ids.dtype} {raw_ids.shape}")
    if vectors.dtype.kind not in "fiu":
        raise InvalidInput(f"{path.name}: vectors must be numbers, found {vectors.dtype}")
    if vectors.ndim != 2 or len(vectors) != len(raw_ids):
        raise InvalidInput(
            f"{path.name}: expected a {len(raw_ids)} x d matrix for {len(raw_ids)} ids, found shape {vectors.shape}"
        )
    if md5 is not None and (md5.dtype != np.uint8 or md5.shape != (len(raw_ids), 16)):
        raise InvalidInput(f"{path.name}: text_md5 must be {len(raw_ids)} x 16 bytes, found {md5.dtype} {md5.shape}")
    ids = [value.decode() if isinstance(value, bytes) else str(value) for value in raw_ids.tolist()]
    return ids, vectors, None if md5 is None else [row.tobytes() for row in md5]


def _parquet_file(path: Path) -> Any:
    pq = pyarrow_parquet()
    import pyarrow as pa

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInput(f"{path.name}: not a readable Parquet file ({exc})") from None


def _parquet_batches(path: Path) -> Iterator[VectorBatch]:
    import pyarrow as pa

    source = _parquet_file(path)
    schema = source.schema_arrow
    if not {"id", "vector"} <= set(schema.names):
        raise InvalidInput(f"{path.name}: needs columns id and vector, found {', '.join(schema.names) or 'none'}")
    vector_type = schema.field("vector").type
    if not (
        pa.types.is_list(vector_type) or pa.types.is_large_list(vector_type) or pa.types.is_fixed_size_list(vector_type)
    ) or not (pa.types.is_floating(vector_type.value_type) or pa.types.is_integer(vector_type.value_type)):
        raise InvalidInput(f"{path.name}: column vector must be a list of floats, found {vector_type}")
    if not (pa.types.is_string(schema.field("id").type) or pa.types.is_large_string(schema.field("id").type)):
        raise InvalidInput(f"{path.name}: column id must hold strings, found {schema.field('id').type}")
    columns = ["id", "vector"] + (["text_md5"] if "text_md5" in schema.names else [])
    offset = 0
    for batch in source.iter_batches(batch_size=BATCH, columns=columns):
        ids = batch.column("id").to_pylist()
        column = batch.column("vector")
        if column.null_count or batch.column("id").null_count:
            raise InvalidInput(f"{path.name}: rows {offset + 1}..{offset + len(ids)} hold an empty id or vector")
        if pa.types.is_fixed_size_list(column.type):
            width = column.type.list_size
        else:
            lengths = np.diff(np.asarray(column.offsets))
            width = int(lengths[0]) if len(lengths) else 0
            if (lengths != width).any():
                row = int(np.argmax(lengths != width))
                raise InvalidInput(
                    f"{path.name}: row {offset + row + 1} has {lengths[row]} dimensions, expected {width}"
                )
        values = np.asarray(column.flatten().to_numpy(zero_copy_only=False), dtype=np.float32)
        md5 = batch.column("text_md5").to_pylist() if "text_md5" in columns else None
        yield VectorBatch(ids, values.reshape(len(ids), width), md5)
        offset += len(ids)


def pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError("Parquet vector files need pyarrow: pip install pyarrow") from None
    return pq


def write_vectors(path: Path, batches: Iterable[VectorBatch], model: str, *, dtype: str = "float16") -> int:
    """Write batches to FILE.npz (vectors as `dtype`) or FILE.parquet (float32), recording `model`; the row count."""
    if path.suffix not in (".npz", ".parquet"):
        raise InvalidInput(f"{path.name}: export writes .npz or .parquet")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        return _write_parquet(path, batches, model)
    ids: list[str] = []
    parts: list[np.ndarray] = []
    md5: list[bytes] = []
    for batch in batches:
        ids.extend(batch.ids)
        parts.append(batch.vectors.astype(dtype))
        md5.extend(batch.text_md5 or [UNKNOWN_TEXT] * len(batch.ids))
    if ids:
        with path.open("wb") as out:
            np.savez_compressed(
                out,
                ids=np.asarray(ids),
                vectors=np.vstack(parts),
                model=np.asarray(model),
                text_md5=np.frombuffer(b"".join(md5), dtype=np.uint8).reshape(len(ids), 16),
            )
    return len(ids)


def _write_parquet(path: Path, batches: Iterable[VectorBatch], model: str) -> int:
    pq = pyarrow_parquet()
    import pyarrow as pa

    count, writer = 0, None
    try:
        for batch in batches:
            matrix = np.ascontiguousarray(batch.vectors, dtype=np.float32)
            table = pa.table(
                {
                    "id": pa.array(batch.ids, pa.string()),
                    "vector": pa.FixedSizeListArray.from_arrays(
                        pa.array(matrix.ravel(), pa.float32()), matrix.shape[1]
                    ),
                    "text_md5": pa.array(batch.text_md5 or [UNKNOWN_TEXT] * len(batch.ids), pa.binary(16)),
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema.with_metadata({"model": model}))
            writer.write_table(table)
            count += len(batch.ids)
    finally:
        if writer is not None:
            writer.close()
    return count
