"""Vector search in PostgreSQL with pgvector: an HNSW cosine index, filters in SQL, exact fallback when selective."""

from __future__ import annotations

import hashlib

import numpy as np
import sqlalchemy as sa

from paperwire.config import Settings
from paperwire.search.query import Filters
from paperwire.store import Store
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
                self.dim = conn.execute(
                    sa.text("SELECT dim FROM embeddings WHERE model = :m LIMIT 1"), {"m": self.model}
                ).scalar()
            if self.dim is None:
                return False
        with self.store.read() as conn:  # usually there already: no write, so a read-only database still searches
            exists = conn.execute(sa.text("SELECT to_regclass(:name) IS NOT NULL"), {"name": self._index}).scalar()
        if exists:
            self._ready = True
            return True
        with self.store.write() as conn:
            conn.execute(
                sa.text(
                    f"CREATE INDEX IF NOT EXISTS {self._index} ON embeddings USING hnsw "
                    f"((embedding::vector({self.dim})) vector_cosine_ops) WHERE dim = {self.dim}"
                )
            )
        self._ready = True
        return True

    def sync(self) -> int:
        self._ensure_index()
        return 0

    def rebuild(self) -> int:
        if self._ensure_index():
            self._ready = False
            with self.store.write() as conn:
                conn.execute(sa.text(f"DROP INDEX IF EXISTS {self._index}"))
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

    def search(
        self, vector: np.ndarray, limit: int, filters: Filters, allowed: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """Nearest papers by cosine similarity; when the approximate scan finds too few inside the
        filters, the same query runs exactly (a sequential scan over the filtered rows)."""
        if not self._ensure_index() or (allowed is not None and not allowed):
            return []
        where = [f"e.dim = {self.dim}", "e.model = :model", "NOT p.hidden"]
        params: dict[str, object] = {"model": self.model, "q": _literal(vector), "k": int(limit)}
        if filters.since:
            where.append("p.published >= :since")
            params["since"] = filters.since
        if filters.until:
            where.append("p.published <= :until")
            params["until"] = filters.until
        if filters.categories:
            where.append(
                "EXISTS (SELECT 1 FROM paper_categories c WHERE c.paper_id = p.id AND c.category = ANY(:cats))"
            )
            params["cats"] = list(filters.categories)
        if allowed is not None:
            where.append("e.paper_id = ANY(:allowed)")
            params["allowed"] = list(allowed)
        distance = f"(e.embedding::vector({self.dim})) <=> CAST(:q AS vector({self.dim}))"
        select = (
            f"SELECT e.paper_id, 1 - ({distance}) AS score FROM embeddings e JOIN papers p ON p.id = e.paper_id "
            f"WHERE {' AND '.join(where)} ORDER BY "
        )
        # The exact query orders by the score, which the HNSW index cannot provide, so no plan of it uses the
        # index. (Planner settings cannot force that: psycopg prepares a statement run five times, and PostgreSQL
        # then reuses a cached generic plan, built with the index, whatever enable_indexscan says.)
        approximate, exact = sa.text(select + f"{distance} LIMIT :k"), sa.text(select + "score DESC LIMIT :k")
        with self.store.read() as conn:
            conn.execute(sa.text(f"SET LOCAL hnsw.ef_search = {max(EF_SEARCH, int(limit))}"))
            rows = conn.execute(approximate, params).all()
            if len(rows) < limit and (filters or allowed is not None):
                rows = conn.execute(exact, params).all()
        return [(row.paper_id, float(row.score)) for row in rows]


def _literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, dtype=np.float32).ravel()) + "]"
