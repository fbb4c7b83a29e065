"""The embedded vector index: sign bits searched by Hamming distance, the best candidates rescored
with int8 vectors held in memory, the very best with float32 vectors read from a memory-mapped file.

On disk (settings.home/index/vectors-<model>/) a generation folder holds append-only files, one row
per vector; meta.json, replaced atomically and written last, says how many rows are committed.
A changed paper gets a new row and its old row a tombstone; a rebuild or a compaction writes a new
generation. Writers serialise on write.lock; loaders hold read.lock shared, so that a writer (holding
it exclusively) never deletes an old generation while it is being read. Unix only (fcntl.flock).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import faiss
import numpy as np
from sqlalchemy.engine import Connection

from paperwire.config import Settings
from paperwire.errors import ConfigError, InvalidInput
from paperwire.search.backends import Scored
from paperwire.search.query import Filters
from paperwire.store import Store
from paperwire.store.index_rows import (
    NO_DATE,
    IndexRows,
    count_index_rows,
    day_number,
    ids_moved_away,
    index_ids,
    iter_index_rows,
    latest_change,
)

SLACK = timedelta(minutes=5)  # re-read changes this much older than the watermark: late commits
FLOAT_RESCORE = 64  # candidates rescored with float32 after int8: at least this many, or 4 x limit
FAR_BITS = 0.35  # nearest sign bits differing in more than this share (cosine < ~0.45): widen the search
GATHER_FRACTION = 0.3  # a filter passing fewer rows than this searches a copy of their bits
COMPACT_FRACTION = 0.25  # tombstoned rows above this share trigger a compaction
DEAD, HIDDEN = 1, 2  # bits of the per-row flags; a row with any flag set is never returned
_ROW_FILES = {  # name: (dtype, values per row; 0 = dim, -1 = code bytes)
    "codes": (np.uint8, -1), "int8": (np.int8, 0), "scale": (np.float32, 1), "float": (np.float32, 0),
    "published": (np.int32, 1), "flags": (np.uint8, 1), "stamps": (np.int64, 1),
}  # fmt: skip


def _slug(model: str) -> str:
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-.")[:80] or "model"
    return f"{readable}-{hashlib.sha1(model.encode()).hexdigest()[:8]}"


def _encode(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unit vectors, their sign bits, and int8 values with one scale per row (value = int8 x scale)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)
    peak = np.abs(unit).max(axis=1) if unit.shape[1] else np.zeros(len(unit), np.float32)
    scale = np.where(peak > 0, peak / 127, 1).astype(np.float32)
    return unit, np.packbits(unit > 0, axis=1), np.rint(unit / scale[:, None]).astype(np.int8), scale


@dataclass(frozen=True, eq=False)
class _State:
    """One immutable snapshot of the index in memory; searches read it while a sync builds the next."""

    meta: dict[str, Any]  # the meta.json it was loaded from
    binary: faiss.IndexBinaryFlat  # holds the sign bits
    codes: np.ndarray  # (n, dim/8) uint8, a view of binary's storage
    int8: np.ndarray  # (n, dim)
    scale: np.ndarray  # (n,) float32
    floats: np.ndarray  # (n, dim) float32, memory-mapped
    published: np.ndarray  # (n,) int32 days, NO_DATE when unknown
    flags: np.ndarray  # (n,) uint8 DEAD | HIDDEN
    stamps: np.ndarray  # (n,) int64
    ids: np.ndarray  # (n,) bytes
    categories: dict[str, np.ndarray]  # category: sorted rows (dead rows included)
    keys: np.ndarray  # sorted ids of live rows
    key_rows: np.ndarray  # their rows

    @property
    def n(self) -> int:
        return len(self.ids)

    def rows_of(self, ids: Iterable[str]) -> np.ndarray:
        """Rows of the live papers among `ids` (-1 for an unknown id), in the order given."""
        wanted = [i.encode() for i in ids]
        found = np.full(len(wanted), -1, dtype=np.int64)
        width = self.keys.dtype.itemsize
        fits = np.array([len(w) <= width for w in wanted], dtype=bool)
        if not len(self.keys) or not fits.any():
            return found
        keys = np.array([w for w, ok in zip(wanted, fits, strict=True) if ok], dtype=self.keys.dtype)
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        found[fits] = np.where(self.keys[pos] == keys, self.key_rows[pos], -1)
        return found

    def nbytes(self) -> int:
        arrays = (self.codes, self.int8, self.scale, self.published, self.flags, self.stamps, self.ids,
                  self.keys, self.key_rows, *self.categories.values())  # fmt: skip
        return sum(a.nbytes for a in arrays)


class BinaryVectorIndex:
    """Nearest papers by cosine similarity for one embedding model, kept in files beside the database."""

    def __init__(self, store: Store, settings: Settings, model: str, dim: int | None = None) -> None:
        self.store = store
        self.model = model
        self.dim = self._given_dim = dim
        self.candidates = settings.vector_candidates
        self.folder = Path(settings.home) / "index" / f"vectors-{_slug(model)}"
        self._lock = threading.Lock()
        self._state: _State | None = None
        meta = self._read_meta()
        if meta is not None:
            self._catch_up(meta)  # unreadable files: the next sync rebuilds

    # ----------------------------------------------------------------- public API

    def __len__(self) -> int:
        state = self._state
        return 0 if state is None else len(state.keys)

    def sync(self) -> int:
        """Catch up with vectors and paper metadata changed since the last sync; returns rows written."""
        with self._writing():
            meta = self._read_meta()
            if meta is None or meta.get("watermark") is None or not self._catch_up(meta):
                return self._rebuild_locked()
            state = self._state
            last = datetime.fromisoformat(meta["watermark"])
            writer = _Writer(self.folder, meta)
            try:
                with self.store.read() as conn:
                    latest = latest_change(conn)
                    changed = sum(self._add_batch(writer, state, b) for b in iter_index_rows(conn, self.model, last - SLACK))
                    if state is not None:
                        changed += self._drop_missing(conn, writer, state, last - SLACK)
                watermark = max(latest, last) if latest is not None else last
                if not changed and watermark == last:
                    return 0
                self._state = self._load(writer.commit(watermark))
            finally:
                writer.close()
            if self._state is not None and self._state.n - len(self._state.keys) > COMPACT_FRACTION * self._state.n:
                self._compact()
            return changed

    def rebuild(self) -> int:
        """Rebuild from the database into a new generation; returns the number of vectors."""
        with self._writing():
            return self._rebuild_locked()

    def build(self, batches: Iterable[IndexRows], watermark: datetime | None = None) -> int:
        """Replace the whole index with these rows (benchmarks, tools); a later sync still reads the database."""
        with self._writing():
            self._write_generation(batches, watermark)
            return len(self)

    def add(self, batch: IndexRows) -> int:
        """Add or replace these rows and persist them (benchmarks, tools); returns rows written."""
        with self._writing():
            meta = self._read_meta()
            if meta is None:
                self._write_generation([batch], None)
                return len(batch)
            state = self._state if self._state is not None and self._state.meta == meta else self._load(meta)
            writer = _Writer(self.folder, meta)
            changed = self._add_batch(writer, state, batch)
            watermark = datetime.fromisoformat(meta["watermark"]) if meta.get("watermark") else None
            self._state = self._load(writer.commit(watermark))
            return changed

    def vector_of(self, paper_id: str) -> np.ndarray | None:
        """The stored (float32, unit length) vector of a paper, or None."""
        state = self._state
        if state is None:
            return None
        row = int(state.rows_of([paper_id])[0])
        return None if row < 0 else np.array(state.floats[row])

    def search(self, vector: np.ndarray, limit: int, filters: Filters, allowed: set[str] | None = None) -> Scored:
        """The `limit` nearest visible papers inside the filters (and `allowed`), best first, by cosine."""
        state = self._state
        if state is None or limit <= 0 or not len(state.keys):
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape[0] != state.int8.shape[1]:
            raise InvalidInput(f"query vector has {query.shape[0]} dimensions, the index {state.int8.shape[1]}")
        norm = float(np.linalg.norm(query))
        if norm == 0:
            return []
        query = query / norm
        mask = self._mask(state, filters, allowed)
        candidates = self._hamming_stage(state, query, mask, limit)
        return self._rescore(state, query, candidates, limit)

    def memory_bytes(self) -> int:
        """Bytes of the arrays held in memory (the float32 vectors stay in a memory-mapped file)."""
        return 0 if self._state is None else self._state.nbytes()

    def disk_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file()) if self.folder.exists() else 0

    # ----------------------------------------------------------------- search stages

    def _mask(self, state: _State, filters: Filters, allowed: set[str] | None) -> np.ndarray | None:
        """Rows that may be returned, or None for every visible row."""
        if filters.authors and allowed is None:
            raise ValueError("author filters must be resolved into `allowed` by the caller")
        if not (filters.categories or filters.since or filters.until) and allowed is None:
            return None
        mask = state.flags == 0
        if filters.categories:
            inside = np.zeros(state.n, dtype=bool)
            for category in filters.categories:
                inside[state.categories.get(category, np.empty(0, np.int32))] = True
            mask &= inside
        if filters.since:
            mask &= state.published >= day_number(filters.since)
        if filters.until:
            mask &= (state.published <= day_number(filters.until)) & (state.published != NO_DATE)
        if allowed is not None:
            rows = state.rows_of(allowed)
            inside = np.zeros(state.n, dtype=bool)
            inside[rows[rows >= 0]] = True
            mask &= inside
        return mask

    def _hamming_stage(self, state: _State, query: np.ndarray, mask: np.ndarray | None, limit: int) -> np.ndarray:
        """Rows of the allowed vectors whose sign bits are nearest the query's: `vector_candidates` of them,
        four times as many when even the nearest are far (sign bits rank near-orthogonal vectors poorly)."""
        code = np.packbits(query > 0)[None, :]
        k = max(self.candidates, limit)
        if mask is None:
            excluded = int(np.count_nonzero(state.flags))
            if state.n - excluded <= k:
                return np.flatnonzero(state.flags == 0)
            if excluded <= 4 * k:  # over-fetch past the few hidden or dead rows

                def search(wanted: int) -> tuple[np.ndarray, np.ndarray]:
                    distances, found = state.binary.search(code, min(state.n, wanted + excluded))
                    keep = (found[0] >= 0) & (state.flags[np.maximum(found[0], 0)] == 0)
                    return distances[0][keep][:wanted], found[0][keep][:wanted]

                return _widened(search, k, limit, state.binary.d)
            mask = state.flags == 0
        passing = int(np.count_nonzero(mask))
        if passing <= k:
            return np.flatnonzero(mask)
        if passing <= GATHER_FRACTION * state.n:
            rows = np.flatnonzero(mask)
            subset = faiss.IndexBinaryFlat(state.binary.d)
            subset.add(state.codes[rows])

            def search(wanted: int) -> tuple[np.ndarray, np.ndarray]:
                distances, found = subset.search(code, min(wanted, passing))
                return distances[0], rows[found[0]]

            return _widened(search, k, limit, state.binary.d)
        bitmap = np.packbits(mask, bitorder="little")
        params = faiss.SearchParameters(sel=faiss.IDSelectorBitmap(state.n, faiss.swig_ptr(bitmap)))

        def search(wanted: int) -> tuple[np.ndarray, np.ndarray]:
            distances, found = state.binary.search(code, min(wanted, passing), params=params)
            return distances[0], found[0]

        return _widened(search, k, limit, state.binary.d)

    def _rescore(self, state: _State, query: np.ndarray, rows: np.ndarray, limit: int) -> Scored:
        """Order candidates by int8 scores, then the best of them by exact float32 cosine."""
        if not len(rows):
            return []
        rows = np.sort(rows)
        approx = (state.int8[rows].astype(np.float32) @ query) * state.scale[rows]
        keep = max(FLOAT_RESCORE, 4 * limit)
        if keep < len(rows):
            rows = np.sort(rows[np.argpartition(-approx, keep - 1)[:keep]])
        exact = np.asarray(state.floats[rows]) @ query
        order = np.lexsort((rows, -exact))[:limit]
        return [(state.ids[rows[i]].decode(), float(exact[i])) for i in order]

    # ----------------------------------------------------------------- writing

    def _add_batch(self, writer: _Writer, state: _State | None, batch: IndexRows) -> int:
        """Append the rows of `batch` that are new or changed, tombstoning the rows they replace."""
        if not len(batch):
            return 0
        self._check_dim(batch.vectors.shape[1])
        if state is None or not len(state.keys):
            writer.append(batch)
            return len(batch)
        old = state.rows_of(batch.ids)
        same = (old >= 0) & (state.stamps[np.maximum(old, 0)] == batch.stamps)
        changed = np.flatnonzero(~same)
        if not len(changed):
            return 0
        writer.tombstone(old[changed][old[changed] >= 0])
        writer.append(_take(batch, changed))
        return len(changed)

    def _drop_missing(self, conn: Connection, writer: _Writer, state: _State, since: datetime) -> int:
        """Tombstone the rows whose vector went to another model, or whose paper was deleted (a count tells)."""
        moved = state.rows_of(ids_moved_away(conn, self.model, since))
        dropped = writer.tombstone(moved[moved >= 0])
        if count_index_rows(conn, self.model) != len(state.keys) - len(writer.dead) + writer.rows_added:
            listed = np.array([i.encode() for i in index_ids(conn, self.model)], dtype=bytes)
            dropped += writer.tombstone(state.key_rows[~np.isin(state.keys, listed)])
        return dropped

    def _catch_up(self, meta: dict[str, Any]) -> bool:
        """Load what another process wrote; False when the files cannot be read (a rebuild follows)."""
        if self._state is None or self._state.meta != meta:
            try:
                with self._reading():  # meta read again: a writer may have switched generations meanwhile
                    self._state = self._load(self._read_meta() or meta)
            except (OSError, ValueError, ConfigError):
                return False
        return True

    def _check_dim(self, dim: int) -> None:
        if self.dim is None:
            self.dim = dim
        elif dim != self.dim:
            raise ConfigError(f"vectors of {self.model} have {dim} dimensions, the index {self.dim}: "
                              "rebuild the index after changing models")  # fmt: skip

    def _rebuild_locked(self) -> int:
        with self.store.read() as conn:
            watermark = latest_change(conn)
            self._write_generation(iter_index_rows(conn, self.model), watermark)
        return len(self)

    def _write_generation(self, batches: Iterable[IndexRows], watermark: datetime | None) -> None:
        """Write a new generation from `batches`, switch to it, and remove the older ones."""
        previous = self._read_meta()
        self.dim = self._given_dim
        generation = (previous or {}).get("generation", 0) + 1
        writer = _Writer(self.folder, None, generation)
        for batch in batches:
            if len(batch):
                self._check_dim(batch.vectors.shape[1])
                writer.append(batch)
        meta = writer.commit(watermark)
        with self._reading(exclusive=True):
            for old in self.folder.glob("gen-*"):
                if old.name != _Writer.folder_name(generation):
                    shutil.rmtree(old, ignore_errors=True)
        self._state = self._load(meta)

    def _compact(self) -> None:
        """Rewrite the live rows into a new generation, dropping tombstoned ones."""
        state = self._state
        assert state is not None
        self._write_generation(_live_batches(state), datetime.fromisoformat(state.meta["watermark"])
                               if state.meta.get("watermark") else None)  # fmt: skip

    # ----------------------------------------------------------------- reading

    def _read_meta(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.folder / "meta.json").read_text())
        except FileNotFoundError:
            return None

    def _load(self, meta: dict[str, Any]) -> _State | None:
        """The state meta.json describes, reading only the rows added since the current state when possible."""
        if meta.get("dim") is None:
            return None
        self.dim = dim = meta["dim"]
        folder = self.folder / _Writer.folder_name(meta["generation"])
        base = self._state
        if base is None or base.meta["build"] != meta["build"] or base.n > meta["rows"]:
            base = _empty_state(meta, dim)
        start, rows = base.n, meta["rows"]
        part = {name: _read_rows(folder / name, dtype, _width(per, dim), start, rows, matrix=per != 1)
                for name, (dtype, per) in _ROW_FILES.items() if name != "float"}  # fmt: skip
        with open(folder / "ids", "rb") as file:
            file.seek(base.meta["ids_bytes"])
            new_ids = file.read(meta["ids_bytes"] - base.meta["ids_bytes"]).split(b"\n")[:-1]
        pairs = _read_rows(folder / "categories", np.int32, 2, base.meta["pairs"], meta["pairs"], matrix=True)
        dead = _read_rows(folder / "dead", np.int32, 1, base.meta["dead"], meta["dead"], matrix=False)
        binary = faiss.IndexBinaryFlat(base.binary.d)
        binary.add(np.concatenate([base.codes, part["codes"]]))
        code_size = base.codes.shape[1]
        codes = (faiss.rev_swig_ptr(binary.xb.data(), rows * code_size).reshape(rows, code_size)
                 if rows else base.codes)  # fmt: skip
        flags = np.concatenate([base.flags, part["flags"]])
        flags[dead] |= DEAD
        ids = np.concatenate([base.ids, np.array(new_ids, dtype=bytes)]) if new_ids else base.ids
        categories = dict(base.categories)
        names = meta["categories"]
        order = np.argsort(pairs[:, 1], kind="stable")
        codes_sorted = pairs[order, 1]
        for code in np.unique(codes_sorted):
            added = pairs[order[np.searchsorted(codes_sorted, code):np.searchsorted(codes_sorted, code, "right")], 0]
            name = names[code]
            categories[name] = np.concatenate([categories[name], added]) if name in categories else added
        fresh = np.arange(start, rows, dtype=np.int32)
        keys, key_rows = _merge_keys(base.keys, base.key_rows, ids[start:], fresh)
        alive = (flags[key_rows] & DEAD) == 0
        floats = (np.memmap(folder / "float", dtype=np.float32, mode="r", shape=(rows, dim))
                  if rows else np.zeros((0, dim), np.float32))  # fmt: skip
        return _State(
            meta=meta, binary=binary, codes=codes,
            int8=np.concatenate([base.int8, part["int8"]]), scale=np.concatenate([base.scale, part["scale"]]),
            floats=floats, published=np.concatenate([base.published, part["published"]]), flags=flags,
            stamps=np.concatenate([base.stamps, part["stamps"]]), ids=ids, categories=categories,
            keys=keys[alive], key_rows=key_rows[alive],
        )  # fmt: skip

    # ----------------------------------------------------------------- locks

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time, across threads and processes."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock, _flock(self.folder / "write.lock", fcntl.LOCK_EX):
            yield

    @contextmanager
    def _reading(self, exclusive: bool = False) -> Iterator[None]:
        """Loaders hold this shared; a writer takes it exclusively only to delete an old generation."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with _flock(self.folder / "read.lock", fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH):
            yield


class _Writer:
    """Appends rows to one generation's files; nothing is visible to readers until commit() writes meta.json."""

    def __init__(self, root: Path, meta: dict[str, Any] | None, generation: int | None = None) -> None:
        self.root = root
        if meta is None:  # a new, empty generation
            meta = {"format": 1, "generation": generation, "build": uuid.uuid4().hex, "dim": None, "rows": 0, "ids_bytes": 0, "pairs": 0,
                    "dead": 0, "categories": [], "watermark": None}  # fmt: skip
            shutil.rmtree(root / self.folder_name(generation or 0), ignore_errors=True)
        self.meta = dict(meta, categories=list(meta["categories"]))
        self.folder = root / self.folder_name(self.meta["generation"])
        self.folder.mkdir(parents=True, exist_ok=True)
        self.files: dict[str, BinaryIO] = {}
        self.rows_added = 0
        self.dead = np.empty(0, dtype=np.int32)  # rows tombstoned by this writer
        self._codes = {name: i for i, name in enumerate(self.meta["categories"])}

    @staticmethod
    def folder_name(generation: int) -> str:
        return f"gen-{generation:06d}"

    def _file(self, name: str, committed: int) -> BinaryIO:
        """The file opened for appending after its committed bytes (junk from a crashed writer is cut)."""
        if name not in self.files:
            path = self.folder / name
            file = open(path, "r+b" if path.exists() else "w+b")  # noqa: SIM115 - closed in commit()
            file.truncate(committed)
            file.seek(committed)
            self.files[name] = file
        return self.files[name]

    def append(self, batch: IndexRows) -> None:
        unit, codes, int8, scale = _encode(np.asarray(batch.vectors, dtype=np.float32))
        dim = unit.shape[1]
        self.meta["dim"] = self.meta["dim"] or dim
        rows = self.meta["rows"]
        flags = np.where(batch.hidden, HIDDEN, 0).astype(np.uint8)
        parts = {"codes": codes, "int8": int8, "scale": scale, "float": unit, "published": batch.published,
                 "flags": flags, "stamps": batch.stamps}  # fmt: skip
        for name, (dtype, per) in _ROW_FILES.items():
            width = _width(per, dim) * np.dtype(dtype).itemsize
            self._file(name, rows * width).write(np.ascontiguousarray(parts[name], dtype=dtype).tobytes())
        text = b"".join(i.encode() + b"\n" for i in batch.ids)
        self._file("ids", self.meta["ids_bytes"]).write(text)
        pairs = [(rows + i, self._code(c)) for i, names in enumerate(batch.categories) for c in dict.fromkeys(names)]
        self._file("categories", self.meta["pairs"] * 8).write(np.array(pairs, dtype=np.int32).reshape(-1, 2).tobytes())
        self.meta.update(rows=rows + len(batch), ids_bytes=self.meta["ids_bytes"] + len(text),
                         pairs=self.meta["pairs"] + len(pairs))  # fmt: skip
        self.rows_added += len(batch)

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

    def commit(self, watermark: datetime | None) -> dict[str, Any]:
        """Make the written rows durable, then visible by replacing meta.json; returns the new meta."""
        for name in ("ids", "categories", "dead", *_ROW_FILES):
            self._file(name, _committed_bytes(self.meta, name))  # every file exists, even when empty
        for file in self.files.values():
            file.flush()
            os.fsync(file.fileno())
        self.close()
        self.meta["watermark"] = watermark.isoformat() if watermark else None
        temporary = self.root / "meta.json.tmp"
        with open(temporary, "w") as file:
            json.dump(self.meta, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.root / "meta.json")
        directory = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return self.meta

    def close(self) -> None:
        for file in self.files.values():
            file.close()
        self.files = {}


def _committed_bytes(meta: dict[str, Any], name: str) -> int:
    if name in _ROW_FILES:
        dtype, per = _ROW_FILES[name]
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


def _empty_state(meta: dict[str, Any], dim: int) -> _State:
    empty_meta = {**meta, "rows": 0, "ids_bytes": 0, "pairs": 0, "dead": 0}
    binary = faiss.IndexBinaryFlat(8 * ((dim + 7) // 8))
    return _State(
        meta=empty_meta, binary=binary, codes=np.zeros((0, (dim + 7) // 8), np.uint8),
        int8=np.zeros((0, dim), np.int8), scale=np.zeros(0, np.float32), floats=np.zeros((0, dim), np.float32),
        published=np.zeros(0, np.int32), flags=np.zeros(0, np.uint8), stamps=np.zeros(0, np.int64),
        ids=np.zeros(0, dtype="S1"), categories={}, keys=np.zeros(0, dtype="S1"), key_rows=np.zeros(0, np.int32),
    )  # fmt: skip


def _merge_keys(keys: np.ndarray, rows: np.ndarray, new_keys: np.ndarray, new_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (keys, rows) with the new ones inserted in place (an O(n) copy, no full sort)."""
    if not len(new_keys):
        return keys, rows
    width = max(keys.dtype.itemsize, new_keys.dtype.itemsize)
    keys, new_keys = keys.astype(f"S{width}", copy=False), new_keys.astype(f"S{width}", copy=False)
    order = np.argsort(new_keys, kind="stable")
    new_keys, new_rows = new_keys[order], new_rows[order]
    at = np.searchsorted(keys, new_keys)
    return np.insert(keys, at, new_keys), np.insert(rows, at, new_rows)


def _widened(search: Callable[[int], tuple[np.ndarray, np.ndarray]], k: int, limit: int, bits: int) -> np.ndarray:
    """The rows of search(k), or of search(4k) when the limit-th nearest is already far away."""
    distances, rows = search(k)
    if len(rows) == k and distances[min(limit, k) - 1] > FAR_BITS * bits:
        distances, rows = search(4 * k)
    return rows


def _take(batch: IndexRows, rows: np.ndarray) -> IndexRows:
    return IndexRows(
        ids=[batch.ids[i] for i in rows], vectors=batch.vectors[rows], published=batch.published[rows],
        categories=[batch.categories[i] for i in rows], hidden=batch.hidden[rows], stamps=batch.stamps[rows],
    )  # fmt: skip


def _live_batches(state: _State, size: int = 100_000) -> Iterator[IndexRows]:
    """The live rows of a state, in row order, as batches (for a compaction)."""
    live = np.flatnonzero((state.flags & DEAD) == 0)
    names_of: list[list[str]] = [[] for _ in range(state.n)]
    for name, rows in state.categories.items():
        for row in rows[(state.flags[rows] & DEAD) == 0]:
            names_of[row].append(name)
    for start in range(0, len(live), size):
        rows = live[start:start + size]
        yield IndexRows(
            ids=[i.decode() for i in state.ids[rows]], vectors=np.asarray(state.floats[rows]),
            published=state.published[rows], categories=[names_of[r] for r in rows],
            hidden=(state.flags[rows] & HIDDEN) != 0, stamps=state.stamps[rows],
        )  # fmt: skip


@contextmanager
def _flock(path: Path, mode: int) -> Iterator[None]:
    with open(path, "a+b") as file:
        fcntl.flock(file, mode)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
