"""The vector index's files: append-only generation folders of fixed-width rows, meta.json, and their locks.

On disk (settings.home/index/vectors-<model>/) a generation folder holds append-only files, one row
per vector; meta.json, replaced atomically and written last, says how many rows are committed.
A rebuild or a compaction writes a new generation. Writers serialise on write.lock; loaders hold
read.lock shared, so that a writer (holding it exclusively) never deletes an old generation while it
is being read. Unix only (fcntl.flock).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from paperwire.errors import ConfigError

ROW_FILES = {  # name: (dtype, values per row; 0 = dim, -1 = code bytes)
    "codes": (np.uint8, -1),
    "int8": (np.int8, 0),
    "scale": (np.float32, 1),
    "float": (np.float32, 0),
    "published": (np.int32, 1),
    "flags": (np.uint8, 1),
    "stamps": (np.int64, 1),
}


def vectors_folder(home: str | Path, model: str) -> Path:
    """The folder holding one embedding model's index, named readably and uniquely after the model."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-.")[:80] or "model"
    return Path(home) / "index" / f"vectors-{readable}-{hashlib.sha1(model.encode()).hexdigest()[:8]}"


def generation_name(generation: int) -> str:
    """The folder name of a generation."""
    return f"gen-{generation:06d}"


def read_meta(root: Path) -> dict[str, Any] | None:
    """The committed meta.json, or None when the index was never written."""
    try:
        return json.loads((root / "meta.json").read_text())
    except FileNotFoundError:
        return None


def empty_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """`meta` with no rows committed: the point a full load reads from."""
    return {**meta, "rows": 0, "ids_bytes": 0, "pairs": 0, "dead": 0}


def folder_bytes(root: Path) -> int:
    """Bytes of every file under the index folder."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0


@dataclass(frozen=True)
class NewRows:
    """The rows committed between two metas of one generation (the float32 vectors excepted)."""

    columns: dict[str, np.ndarray]  # ROW_FILES name (but "float"): (rows, width) or (rows,)
    ids: list[bytes]
    pairs: np.ndarray  # (n, 2) int32 (row, category code)
    dead: np.ndarray  # (n,) int32 rows tombstoned


def read_new_rows(root: Path, meta: dict[str, Any], since: dict[str, Any]) -> NewRows:
    """What `meta` commits beyond `since` (an earlier meta of the same build, or empty_meta)."""
    folder = root / generation_name(meta["generation"])
    dim, start, rows = meta["dim"], since["rows"], meta["rows"]
    columns = {
        name: _read_rows(folder / name, dtype, _width(per, dim), start, rows, matrix=per != 1)
        for name, (dtype, per) in ROW_FILES.items()
        if name != "float"
    }
    with open(folder / "ids", "rb") as file:
        file.seek(since["ids_bytes"])
        ids = file.read(meta["ids_bytes"] - since["ids_bytes"]).split(b"\n")[:-1]
    pairs = _read_rows(folder / "categories", np.int32, 2, since["pairs"], meta["pairs"], matrix=True)
    dead = _read_rows(folder / "dead", np.int32, 1, since["dead"], meta["dead"], matrix=False)
    return NewRows(columns=columns, ids=ids, pairs=pairs, dead=dead)


def map_floats(root: Path, meta: dict[str, Any]) -> np.ndarray:
    """The committed float32 vectors, memory-mapped read-only."""
    rows, dim = meta["rows"], meta["dim"]
    if not rows:
        return np.zeros((0, dim), np.float32)
    path = root / generation_name(meta["generation"]) / "float"
    return np.memmap(path, dtype=np.float32, mode="r", shape=(rows, dim))


def remove_generations_except(root: Path, generation: int) -> None:
    """Delete every other generation folder, once no loader is reading one."""
    with read_lock(root, exclusive=True):
        for old in root.glob("gen-*"):
            if old.name != generation_name(generation):
                shutil.rmtree(old, ignore_errors=True)


@contextmanager
def write_lock(root: Path) -> Iterator[None]:
    """One writing process at a time."""
    root.mkdir(parents=True, exist_ok=True)
    with _flock(root / "write.lock", fcntl.LOCK_EX):
        yield


@contextmanager
def read_lock(root: Path, exclusive: bool = False) -> Iterator[None]:
    """Loaders hold this shared; a writer takes it exclusively only to delete an old generation."""
    root.mkdir(parents=True, exist_ok=True)
    with _flock(root / "read.lock", fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH):
        yield


class GenerationWriter:
    """Appends rows to one generation's files; nothing is visible to readers until commit() writes meta.json."""

    def __init__(self, root: Path, meta: dict[str, Any] | None, generation: int | None = None) -> None:
        self.root = root
        if meta is None:  # a new, empty generation
            meta = {
                "format": 1,
                "generation": generation,
                "build": uuid.uuid4().hex,
                "dim": None,
                "rows": 0,
                "ids_bytes": 0,
                "pairs": 0,
                "dead": 0,
                "categories": [],
                "watermark": None,
            }
            shutil.rmtree(root / generation_name(generation or 0), ignore_errors=True)
        self.meta = dict(meta, categories=list(meta["categories"]))
        self.folder = root / generation_name(self.meta["generation"])
        self.folder.mkdir(parents=True, exist_ok=True)
        self.files: dict[str, BinaryIO] = {}
        self.rows_added = 0
        self.dead = np.empty(0, dtype=np.int32)  # rows tombstoned by this writer
        self._codes = {name: i for i, name in enumerate(self.meta["categories"])}

    def _file(self, name: str, committed: int) -> BinaryIO:
        """The file opened for appending after its committed bytes (junk from a crashed writer is cut)."""
        if name not in self.files:
            path = self.folder / name
            file = open(path, "r+b" if path.exists() else "w+b")  # noqa: SIM115 - closed in commit()
            file.truncate(committed)
            file.seek(committed)
            self.files[name] = file
        return self.files[name]

    def append(
        self, ids: Sequence[str], columns: Mapping[str, np.ndarray], categories: Sequence[Sequence[str]]
    ) -> None:
        """Append one row per id: a value (or vector) per ROW_FILES column, and the row's categories."""
        dim = columns["float"].shape[1]
        self.meta["dim"] = self.meta["dim"] or dim
        rows = self.meta["rows"]
        for name, (dtype, per) in ROW_FILES.items():
            width = _width(per, dim) * np.dtype(dtype).itemsize
            self._file(name, rows * width).write(np.ascontiguousarray(columns[name], dtype=dtype).tobytes())
        text = b"".join(i.encode() + b"\n" for i in ids)
        self._file("ids", self.meta["ids_bytes"]).write(text)
        pairs = [(rows + i, self._code(c)) for i, names in enumerate(categories) for c in dict.fromkeys(names)]
        self._file("categories", self.meta["pairs"] * 8).write(np.array(pairs, dtype=np.int32).reshape(-1, 2).tobytes())
        self.meta.update(
            rows=rows + len(ids), ids_bytes=self.meta["ids_bytes"] + len(text), pairs=self.meta["pairs"] + len(pairs)
        )
        self.rows_added += len(ids)

    def _code(self, category: str) -> int:
        if category not in self._codes:
            self._codes[category] = len(self.meta["categories"])
            self.meta["categories"].append(category)
        return self._codes[category]

    def tombstone(self, rows: np.ndarray) -> int:
        """Mark rows dead (a changed paper's old row, a deleted paper's row); returns how many were new."""
        rows = np.setdiff1d(np.asarray(rows, dtype=np.int32), self.dead)
        if len(rows):
            self._file("dead", self.meta["dead"] * 4).write(rows.tobytes())
            self.meta["dead"] += len(rows)
            self.dead = np.union1d(self.dead, rows)
        return len(rows)

    def commit(self, watermark: datetime | None, window: dict[str, Any] | None = None) -> dict[str, Any]:
        """Make the written rows durable, then visible by replacing meta.json; returns the new meta.

        `window` is what the database's recent changes looked like (index_rows.stamp_counts).
        """
        for name in ("ids", "categories", "dead", *ROW_FILES):
            self._file(name, _committed_bytes(self.meta, name))  # every file exists, even when empty
        for file in self.files.values():
            file.flush()
            os.fsync(file.fileno())
        self.close()
        self.meta["watermark"] = watermark.isoformat() if watermark else None
        self.meta["window"] = window
        temporary = self.root / "meta.json.tmp"
        with open(temporary, "w") as meta_file:
            json.dump(self.meta, meta_file)
            meta_file.flush()
            os.fsync(meta_file.fileno())
        os.replace(temporary, self.root / "meta.json")
        directory = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return self.meta

    def close(self) -> None:
        """Close the open files without committing (what was appended stays invisible)."""
        for file in self.files.values():
            file.close()
        self.files = {}


def _committed_bytes(meta: dict[str, Any], name: str) -> int:
    if name in ROW_FILES:
        dtype, per = ROW_FILES[name]
        return meta["rows"] * _width(per, meta["dim"] or 0) * np.dtype(dtype).itemsize
    return {"ids": meta["ids_bytes"], "categories": meta["pairs"] * 8, "dead": meta["dead"] * 4}[name]


def _width(per: int, dim: int) -> int:
    return dim if per == 0 else (dim + 7) // 8 if per == -1 else per


def _read_rows(path: Path, dtype: Any, width: int, start: int, stop: int, *, matrix: bool) -> np.ndarray:
    """Rows [start, stop) of a file of fixed-width rows, as an array of shape (stop - start, width)."""
    size = np.dtype(dtype).itemsize * width
    with open(path, "rb") as file:
        file.seek(start * size)
        data = np.fromfile(file, dtype=dtype, count=(stop - start) * width)
    if len(data) != (stop - start) * width:
        raise ConfigError(f"vector index file {path} is truncated: rebuild the index")
    return data.reshape(-1, width) if matrix else data


@contextmanager
def _flock(path: Path, mode: int) -> Iterator[None]:
    with open(path, "a+b") as file:
        fcntl.flock(file, mode)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
