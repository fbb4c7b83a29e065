"""Vector search in PostgreSQL with pgvector: an HNSW cosine index, filters in SQL on each vector row's copies of
its paper's date, categories and visibility (migration 0011), so the index scan reads no other table.

pgvector 0.8 and later scan the index iteratively, so a filter that keeps 1 % of the papers still gets its
nearest ones from the index; older releases stop after ef_search rows, and a filter that leaves fewer than
asked falls back to an exact scan of the filtered rows (the version is read once, when the index is made).
From 0.7 the index holds float16 copies of the vectors (halfvec), half the size of float32 ones for the same
recall; the scores returned are computed from the float32 vectors.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict

import numpy as np

from paperwire.config import Settings
from paperwire.search.query import Filters
from paperwire.store import Store, vector_rows
from paperwire.store import embeddings as vectors_repo

EF_SEARCH = 200  # HNSW candidates per query; pgvector 0.6 filters after the index scan
# Filtered: the iterative scan returns the papers inside the filter roughly in order (relaxed); taking 100 of them
# and keeping the best after rescoring raises recall@10 inside a 12-13 % filter from 0.89-0.92 to 0.95-0.98 at
# 287 k papers (ef_search 200; 400 gave the same at more cost).
FILTERED_FETCH = 100
# Hybrid search fuses the semantic candidates with keyword ones: 50 inside a filter give the same first page as 100
# (overlap@21 0.998-1.0 at 287 k papers, cs.CL and date filters) for about a third less time (bench/scale.py).
FUSION_FETCH = 50
MAX_SCAN_TUPLES = 20_000  # pgvector >= 0.8: index rows an iterative scan may visit before the exact fallback
EXACT_BELOW = 3_000  # a filter keeping at most this many papers is searched exactly (~1 % at 287 k)
NO_VECTORS_SECONDS = 10.0  # how long "this model has no vectors yet" is believed before asking again
FILTER_SIZES_KEPT, FILTER_SIZES_SECONDS = 256, 60.0  # whether a filter keeps few papers, per filter, reused this long

log = logging.getLogger("paperwire.search")


class PostgresVectorIndex:
    """VectorBackend on pgvector: the database keeps the index current, so sync and rebuild only ensure it exists."""

    def __init__(self, store: Store, settings: Settings, model: str, dim: int | None = None) -> None:
        self.store = store
        self.model = model
        self.dim = int(dim) if dim else None
        self._ready = False
        self._no_vectors_at = float("-inf")
        with store.read() as conn:
            self.pgvector = vector_rows.pgvector_version(conn)
        self.iterative = vector_rows.has_iterative_scans(self.pgvector)
        self.half = vector_rows.has_half_vectors(self.pgvector)
        self.exact_below = EXACT_BELOW
        self._few: OrderedDict[tuple, tuple[float, bool]] = OrderedDict()
        self._lock = threading.Lock()
        if self.pgvector is not None and not self.iterative:
            log.warning(
                "pgvector %s has no iterative index scans (0.8 and later do): filtered semantic searches fall back "
                "to an exact scan of the filtered rows, slower on large databases; upgrade pgvector to speed them up",
                ".".join(map(str, self.pgvector)),
            )

    @property
    def _index(self) -> str:
        kind = ":halfvec" if self.half else ""
        return "ix_embeddings_hnsw_" + hashlib.md5(f"{self.model}:{self.dim}{kind}".encode()).hexdigest()[:12]

    @property
    def _float32_index(self) -> str:
        """The name of the index of float32 copies, which releases before the halfvec one made."""
        return "ix_embeddings_hnsw_" + hashlib.md5(f"{self.model}:{self.dim}".encode()).hexdigest()[:12]

    def _ensure_index(self, *, recheck: bool = False) -> bool:
        """Create the HNSW index for the model's dimension once vectors exist; False while there are none.

        While the model has no vectors the answer is kept NO_VECTORS_SECONDS (unless `recheck`): the look-up
        cannot use an index in PostgreSQL's generic plan, and scans every vector row (0.2 s at 287 k papers)."""
        if self._ready:
            return True
        if self.dim is None:
            if not recheck and time.monotonic() - self._no_vectors_at < NO_VECTORS_SECONDS:
                return False
            with self.store.read() as conn:
                self.dim = vector_rows.model_dim(conn, self.model)
            if self.dim is None:
                self._no_vectors_at = time.monotonic()
                return False
        with self.store.read() as conn:  # usually there already: no write, so a read-only database still searches
            exists = vector_rows.index_exists(conn, self._index)
        if not exists:
            with self.store.write() as conn:
                vector_rows.create_hnsw_index(conn, self._index, self.dim, half=self.half)
                if self.half:  # the float32 index it replaces, twice its size
                    vector_rows.drop_index(conn, self._float32_index)
        self._ready = True
        return True

    def sync(self) -> int:
        """Create the index once the model has vectors (asked again on every sync, at most every
        index_sync_interval s, while a search takes the answer of the last NO_VECTORS_SECONDS)."""
        self._ensure_index(recheck=True)
        return 0

    def rebuild(self) -> int:
        if self._ensure_index(recheck=True):
            self._ready = False
            with self.store.write() as conn:
                vector_rows.drop_index(conn, self._index)
            self._ensure_index()
        return len(self)

    def __len__(self) -> int:
        with self.store.read() as conn:
            return vectors_repo.count_vectors(conn, self.model)

    def vector_of(self, paper_id: str) -> np.ndarray | None:
        with self.store.read() as conn:
            return vectors_repo.vectors_of(conn, self.model, [paper_id]).get(paper_id)

    def vectors_of(self, paper_ids: list[str]) -> dict[str, np.ndarray]:
        with self.store.read() as conn:
            return vectors_repo.vectors_of(conn, self.model, paper_ids)

    def matrix_of(self, paper_ids: list[str]) -> tuple[list[str], np.ndarray]:
        found = self.vectors_of(paper_ids)
        ids = [pid for pid in paper_ids if pid in found]
        if not ids:
            return [], np.zeros((0, self.dim or 0), dtype=np.float32)
        return ids, np.vstack([found[pid] for pid in ids]).astype(np.float32, copy=False)

    def cosines(self, vector: np.ndarray, paper_ids: list[str]) -> list[tuple[str, float]]:
        """Cosine similarity of `vector` to each of those papers that has a vector, computed in the database
        (a few hundred floats come back instead of a few hundred vectors)."""
        if not paper_ids or not self._ensure_index():
            return []
        assert self.dim is not None  # set by _ensure_index
        with self.store.read() as conn:
            return vector_rows.cosines(conn, model=self.model, dim=self.dim, vector=vector, paper_ids=paper_ids)

    def _few_inside(self, filters: Filters, allowed: set[str] | None) -> bool:
        """Whether the filters keep at most exact_below papers, so the exact search is the faster one. Counted
        once a minute per filter (a category's size barely moves; either answer gives the same results)."""
        if self.exact_below <= 0:
            return False
        if allowed is not None and len(allowed) <= self.exact_below:
            return True
        if not (filters.categories or filters.since or filters.until):
            return False
        key, now = (filters.categories, filters.since, filters.until), time.monotonic()
        with self._lock:
            kept = self._few.get(key)
        if kept is not None and now - kept[0] < FILTER_SIZES_SECONDS:
            return kept[1]
        with self.store.read() as conn:
            few = vector_rows.at_most(conn, self.exact_below, filters.since, filters.until, filters.categories)
        with self._lock:
            self._few[key] = (now, few)
            self._few.move_to_end(key)
            while len(self._few) > FILTER_SIZES_KEPT:
                self._few.popitem(last=False)
        return few

    def search(
        self,
        vector: np.ndarray,
        limit: int,
        filters: Filters,
        allowed: set[str] | None = None,
        *,
        for_fusion: bool = False,
    ) -> list[tuple[str, float]]:
        """Nearest papers by cosine similarity; when the approximate scan finds too few inside the
        filters, the same query runs exactly (a sequential scan over the filtered rows)."""
        if not self._ensure_index() or (allowed is not None and not allowed):
            return []
        assert self.dim is not None  # set by _ensure_index
        with self.store.read() as conn:
            return vector_rows.nearest(
                conn,
                model=self.model,
                dim=self.dim,
                vector=vector,
                limit=limit,
                ef_search=max(EF_SEARCH, int(limit)),
                since=filters.since,
                until=filters.until,
                categories=filters.categories,
                allowed=allowed,
                exact_when_short=bool(filters) or allowed is not None,
                iterative=self.iterative,
                max_scan_tuples=MAX_SCAN_TUPLES,
                half=self.half,
                exact_first=self._few_inside(filters, allowed),
                fetch=(FUSION_FETCH if for_fusion else FILTERED_FETCH) if filters or allowed is not None else limit,
            )
