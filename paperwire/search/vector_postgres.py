"""Vector search in PostgreSQL with pgvector: an HNSW cosine index, filters in SQL, exact fallback when selective."""

from __future__ import annotations

import hashlib

import numpy as np

from paperwire.config import Settings
from paperwire.search.query import Filters
from paperwire.store import Store, vector_rows
from paperwire.store import embeddings as vectors_repo

EF_SEARCH = 200  # HNSW candidates per query; pgvector 0.6 filters after the index scan


class PostgresVectorIndex:
    """VectorBackend on pgvector: the database keeps the index current, so sync and rebuild only ensure it exists."""

    def __init__(self, store: Store, settings: Settings, model: str, dim: int | None = None) -> None:
        self.store = store
        self.model = model
        self.dim = int(dim) if dim else None
        self._ready = False

    @property
    def _index(self) -> str:
        return "ix_embeddings_hnsw_" + hashlib.md5(f"{self.model}:{self.dim}".encode()).hexdigest()[:12]

    def _ensure_index(self) -> bool:
        """Create the HNSW index for the model's dimension once vectors exist; False while there are none."""
        if self._ready:
            return True
        if self.dim is None:
            with self.store.read() as conn:
                self.dim = vector_rows.model_dim(conn, self.model)
            if self.dim is None:
                return False
        with self.store.read() as conn:  # usually there already: no write, so a read-only database still searches
            exists = vector_rows.index_exists(conn, self._index)
        if not exists:
            with self.store.write() as conn:
                vector_rows.create_hnsw_index(conn, self._index, self.dim)
        self._ready = True
        return True

    def sync(self) -> int:
        self._ensure_index()
        return 0

    def rebuild(self) -> int:
        if self._ensure_index():
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

    def search(
        self, vector: np.ndarray, limit: int, filters: Filters, allowed: set[str] | None = None
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
            )
