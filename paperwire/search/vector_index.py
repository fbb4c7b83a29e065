"""The embedded vector index: sign bits searched by Hamming distance, the best candidates rescored
with int8 vectors held in memory, the very best with float32 vectors read from a memory-mapped file.

The rows live in append-only generation files (paperwire/store/index_files.py). A changed paper
gets a new row and its old row a tombstone; a rebuild or a compaction writes a new generation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import faiss
import numpy as np
from sqlalchemy.engine import Connection

from paperwire.config import Settings
from paperwire.errors import ConfigError, InvalidInput
from paperwire.search.backends import Scored
from paperwire.search.query import Filters
from paperwire.store import Store
from paperwire.store.index_files import (
    GenerationWriter,
    empty_meta,
    folder_bytes,
    map_floats,
    read_lock,
    read_meta,
    read_new_rows,
    remove_generations_except,
    vectors_folder,
    write_lock,
)
from paperwire.store.index_rows import (
    NO_DATE,
    IndexRows,
    count_index_rows,
    counts_since,
    day_number,
    ids_moved_away,
    index_ids,
    iter_index_rows,
    latest_change,
    seen_stamps,
    stamp_counts,
)

SLACK = timedelta(minutes=5)  # re-read changes this much older than the watermark: late commits
FLOAT_RESCORE = 64  # candidates rescored with float32 after int8: at least this many, or 4 x limit
FAR_BITS = 0.35  # nearest sign bits differing in more than this share (cosine < ~0.45): widen the search
GATHER_FRACTION = 0.3  # a filter passing fewer rows than this searches a copy of their bits
COMPACT_FRACTION = 0.25  # tombstoned rows above this share trigger a compaction
DEAD, HIDDEN = 1, 2  # bits of the per-row flags; a row with any flag set is never returned


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
        arrays = (
            self.codes,
            self.int8,
            self.scale,
            self.published,
            self.flags,
            self.stamps,
            self.ids,
            self.keys,
            self.key_rows,
            *self.categories.values(),
        )
        return sum(a.nbytes for a in arrays)


class BinaryVectorIndex:
    """Nearest papers by cosine similarity for one embedding model, kept in files beside the database."""

    def __init__(self, store: Store, settings: Settings, model: str, dim: int | None = None) -> None:
        self.store = store
        self.model = model
        self.dim = self._given_dim = dim
        self.candidates = settings.vector_candidates
        self.folder = vectors_folder(settings.home, model)
        self._lock = threading.Lock()
        self._state: _State | None = None
        meta = read_meta(self.folder)
        if meta is not None:
            self._catch_up(meta)  # unreadable files: the next sync rebuilds

    # ----------------------------------------------------------------- public API

    def __len__(self) -> int:
        state = self._state
        return 0 if state is None else len(state.keys)

    def sync(self) -> int:
        """Catch up with vectors and paper metadata changed since the last sync; returns rows written."""
        with self._writing():
            meta = read_meta(self.folder)
            if meta is None or meta.get("watermark") is None or not self._catch_up(meta):
                return self._rebuild_locked()
            state = self._state
            last = datetime.fromisoformat(meta["watermark"])
            writer = GenerationWriter(self.folder, meta)
            try:
                with self.store.read() as conn:
                    latest = latest_change(conn)
                    watermark = max(latest, last) if latest is not None else last
                    # Counted before the rows are read, so every row counted is read (or was, by an earlier sync).
                    counts = stamp_counts(conn, last - SLACK)
                    if watermark == last and counts == meta.get("window"):
                        return 0  # nothing written since the last sync: skip re-reading the slack window
                    # Stamps read in full before are not read again: after a bulk load, or while other nodes
                    # write, a sync reads what is new, not the whole slack window.
                    done = seen_stamps(counts, meta.get("window"))
                    changed = sum(
                        self._add_batch(writer, state, b)
                        for b in iter_index_rows(conn, self.model, last - SLACK, skip=done)
                    )
                    if state is not None:
                        changed += self._drop_missing(conn, writer, state, last - SLACK)
                self._state = self._load(writer.commit(watermark, counts_since(counts, watermark - SLACK)))
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
            meta = read_meta(self.folder)
            if meta is None:
                self._write_generation([batch], None)
                return len(batch)
            state = self._state if self._state is not None and self._state.meta == meta else self._load(meta)
            writer = GenerationWriter(self.folder, meta)
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

    def cosines(self, vector: np.ndarray, paper_ids: list[str]) -> list[tuple[str, float]]:
        """Cosine similarity of `vector` to each of those papers that has a live row."""
        return [(pid, float(v @ vector)) for pid, v in self.vectors_of(paper_ids).items()]

    def vectors_of(self, paper_ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those papers that have a live row."""
        state = self._state
        if state is None or not paper_ids:
            return {}
        rows = state.rows_of(paper_ids)
        return {pid: np.array(state.floats[row]) for pid, row in zip(paper_ids, rows, strict=True) if row >= 0}

    def matrix_of(self, paper_ids: list[str]) -> tuple[list[str], np.ndarray]:
        """Those of `paper_ids` with a live row, in the order given, and their vectors as one (n, dim) matrix."""
        state = self._state
        if state is None or not paper_ids:
            return [], np.zeros((0, 0 if state is None else state.floats.shape[1]), dtype=np.float32)
        rows = state.rows_of(paper_ids)
        keep = rows >= 0
        found = [pid for pid, ok in zip(paper_ids, keep.tolist(), strict=True) if ok]
        return found, np.asarray(state.floats[rows[keep]], dtype=np.float32)

    def search(
        self,
        vector: np.ndarray,
        limit: int,
        filters: Filters,
        allowed: set[str] | None = None,
        *,
        for_fusion: bool = False,
    ) -> Scored:
        """The `limit` nearest visible papers inside the filters (and `allowed`), best first, by cosine (a filter
        costs this index no extra recall, so `for_fusion` changes nothing)."""
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
        """Bytes of the index's files."""
        return folder_bytes(self.folder)

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

                def search_visible(wanted: int) -> tuple[np.ndarray, np.ndarray]:
                    distances, found = state.binary.search(code, min(state.n, wanted + excluded))
                    keep = (found[0] >= 0) & (state.flags[np.maximum(found[0], 0)] == 0)
                    return distances[0][keep][:wanted], found[0][keep][:wanted]

                return _widened(search_visible, k, limit, state.binary.d)
            mask = state.flags == 0
        passing = int(np.count_nonzero(mask))
        if passing <= k:
            return np.flatnonzero(mask)
        if passing <= GATHER_FRACTION * state.n:
            rows = np.flatnonzero(mask)
            subset = faiss.IndexBinaryFlat(state.binary.d)
            subset.add(state.codes[rows])

            def search_gathered(wanted: int) -> tuple[np.ndarray, np.ndarray]:
                distances, found = subset.search(code, min(wanted, passing))
                return distances[0], rows[found[0]]

            return _widened(search_gathered, k, limit, state.binary.d)
        bitmap = np.packbits(mask, bitorder="little")
        params = faiss.SearchParameters(sel=faiss.IDSelectorBitmap(state.n, faiss.swig_ptr(bitmap)))  # type: ignore[call-arg]  # faiss's stubs omit SWIG's keyword arguments

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

    def _add_batch(self, writer: GenerationWriter, state: _State | None, batch: IndexRows) -> int:
        """Append the rows of `batch` that are new or changed, tombstoning the rows they replace."""
        if not len(batch):
            return 0
        self._check_dim(batch.vectors.shape[1])
        if state is None or not len(state.keys):
            _append(writer, batch)
            return len(batch)
        old = state.rows_of(batch.ids)
        same = (old >= 0) & (state.stamps[np.maximum(old, 0)] == batch.stamps)
        changed = np.flatnonzero(~same)
        if not len(changed):
            return 0
        writer.tombstone(old[changed][old[changed] >= 0])
        _append(writer, _take(batch, changed))
        return len(changed)

    def _drop_missing(self, conn: Connection, writer: GenerationWriter, state: _State, since: datetime) -> int:
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
                with read_lock(self.folder):  # meta read again: a writer may have switched generations meanwhile
                    self._state = self._load(read_meta(self.folder) or meta)
            except (OSError, ValueError, ConfigError):
                return False
        return True

    def _check_dim(self, dim: int) -> None:
        if self.dim is None:
            self.dim = dim
        elif dim != self.dim:
            raise ConfigError(
                f"vectors of {self.model} have {dim} dimensions, the index {self.dim}: "
                "rebuild the index after changing models"
            )

    def _rebuild_locked(self) -> int:
        with self.store.read() as conn:
            watermark = latest_change(conn)
            window = stamp_counts(conn, watermark - SLACK) if watermark is not None else None
            self._write_generation(iter_index_rows(conn, self.model), watermark, window)
        return len(self)

    def _write_generation(
        self, batches: Iterable[IndexRows], watermark: datetime | None, window: dict[str, Any] | None = None
    ) -> None:
        """Write a new generation from `batches`, switch to it, and remove the older ones."""
        previous = read_meta(self.folder)
        self.dim = self._given_dim
        generation = (previous or {}).get("generation", 0) + 1
        writer = GenerationWriter(self.folder, None, generation)
        for batch in batches:
            if len(batch):
                self._check_dim(batch.vectors.shape[1])
                _append(writer, batch)
        meta = writer.commit(watermark, window)
        remove_generations_except(self.folder, generation)
        self._state = self._load(meta)

    def _compact(self) -> None:
        """Rewrite the live rows into a new generation, dropping tombstoned ones."""
        state = self._state
        assert state is not None
        self._write_generation(
            _live_batches(state),
            datetime.fromisoformat(state.meta["watermark"]) if state.meta.get("watermark") else None,
            state.meta.get("window"),
        )

    # ----------------------------------------------------------------- reading

    def _load(self, meta: dict[str, Any]) -> _State | None:
        """The state meta.json describes, reading only the rows added since the current state when possible."""
        if meta.get("dim") is None:
            return None
        self.dim = dim = meta["dim"]
        base = self._state
        if base is None or base.meta["build"] != meta["build"] or base.n > meta["rows"]:
            base = _empty_state(meta, dim)
        start, rows = base.n, meta["rows"]
        new = read_new_rows(self.folder, meta, base.meta)
        part, new_ids, pairs, dead = new.columns, new.ids, new.pairs, new.dead
        binary = faiss.IndexBinaryFlat(base.binary.d)
        binary.add(np.concatenate([base.codes, part["codes"]]))
        code_size = base.codes.shape[1]
        stored = binary.xb.data()  # type: ignore[attr-defined]  # not in faiss's stubs
        codes = faiss.rev_swig_ptr(stored, rows * code_size).reshape(rows, code_size) if rows else base.codes
        flags = np.concatenate([base.flags, part["flags"]])
        flags[dead] |= DEAD
        ids = np.concatenate([base.ids, np.array(new_ids, dtype=bytes)]) if new_ids else base.ids
        categories = dict(base.categories)
        names = meta["categories"]
        order = np.argsort(pairs[:, 1], kind="stable")
        codes_sorted = pairs[order, 1]
        for code in np.unique(codes_sorted):
            added = pairs[order[np.searchsorted(codes_sorted, code) : np.searchsorted(codes_sorted, code, "right")], 0]
            name = names[code]
            categories[name] = np.concatenate([categories[name], added]) if name in categories else added
        fresh = np.arange(start, rows, dtype=np.int32)
        keys, key_rows = _merge_keys(base.keys, base.key_rows, ids[start:], fresh)
        alive = (flags[key_rows] & DEAD) == 0
        floats = map_floats(self.folder, meta)
        return _State(
            meta=meta,
            binary=binary,
            codes=codes,
            int8=np.concatenate([base.int8, part["int8"]]),
            scale=np.concatenate([base.scale, part["scale"]]),
            floats=floats,
            published=np.concatenate([base.published, part["published"]]),
            flags=flags,
            stamps=np.concatenate([base.stamps, part["stamps"]]),
            ids=ids,
            categories=categories,
            keys=keys[alive],
            key_rows=key_rows[alive],
        )

    # ----------------------------------------------------------------- locks

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time, across threads and processes."""
        with self._lock, write_lock(self.folder):
            yield


def _append(writer: GenerationWriter, batch: IndexRows) -> None:
    """Encode a batch and append it as new rows."""
    unit, codes, int8, scale = _encode(np.asarray(batch.vectors, dtype=np.float32))
    flags = np.where(batch.hidden, HIDDEN, 0).astype(np.uint8)
    columns = {
        "codes": codes,
        "int8": int8,
        "scale": scale,
        "float": unit,
        "published": batch.published,
        "flags": flags,
        "stamps": batch.stamps,
    }
    writer.append(batch.ids, columns, batch.categories)


def _empty_state(meta: dict[str, Any], dim: int) -> _State:
    binary = faiss.IndexBinaryFlat(8 * ((dim + 7) // 8))
    return _State(
        meta=empty_meta(meta),
        binary=binary,
        codes=np.zeros((0, (dim + 7) // 8), np.uint8),
        int8=np.zeros((0, dim), np.int8),
        scale=np.zeros(0, np.float32),
        floats=np.zeros((0, dim), np.float32),
        published=np.zeros(0, np.int32),
        flags=np.zeros(0, np.uint8),
        stamps=np.zeros(0, np.int64),
        ids=np.zeros(0, dtype="S1"),
        categories={},
        keys=np.zeros(0, dtype="S1"),
        key_rows=np.zeros(0, np.int32),
    )


def _merge_keys(
    keys: np.ndarray, rows: np.ndarray, new_keys: np.ndarray, new_rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
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
        ids=[batch.ids[i] for i in rows],
        vectors=batch.vectors[rows],
        published=batch.published[rows],
        categories=[batch.categories[i] for i in rows],
        hidden=batch.hidden[rows],
        stamps=batch.stamps[rows],
    )


def _live_batches(state: _State, size: int = 100_000) -> Iterator[IndexRows]:
    """The live rows of a state, in row order, as batches (for a compaction)."""
    live = np.flatnonzero((state.flags & DEAD) == 0)
    names_of: list[list[str]] = [[] for _ in range(state.n)]
    for name, rows in state.categories.items():
        for row in rows[(state.flags[rows] & DEAD) == 0]:
            names_of[row].append(name)
    for start in range(0, len(live), size):
        rows = live[start : start + size]
        yield IndexRows(
            ids=[i.decode() for i in state.ids[rows]],
            vectors=np.asarray(state.floats[rows]),
            published=state.published[rows],
            categories=[names_of[r] for r in rows],
            hidden=(state.flags[rows] & HIDDEN) != 0,
            stamps=state.stamps[rows],
        )
