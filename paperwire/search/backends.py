"""What a keyword index and a vector index must offer, whatever stores them (embedded files or PostgreSQL)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from paperwire.search.query import Filters, Query

Scored = list[tuple[str, float]]  # (paper id, score), best first


class KeywordBackend(Protocol):
    """BM25-style keyword search over title, abstract and authors."""

    def sync(self) -> int:
        """Catch up with papers added or changed in the database since the last sync; returns how many."""

    def rebuild(self) -> int:
        """Rebuild from the database; returns the number of documents."""

    def search(self, query: Query, limit: int) -> Scored:
        """Papers matching the query's terms and phrases, without its excluded words, inside its filters.

        Hidden papers never match. An empty free text with filters returns nothing (that is a listing, not a search).
        """

    def ids_with_authors(self, names: tuple[str, ...]) -> set[str]:
        """Ids of papers that have, for each name, an author whose name contains all of its words."""

    def full_match_score(self, query: Query) -> float | None:
        """The score of a paper of average length holding each of the query's words once (BM25: the sum of the
        words' idf), which calibrates this query's scores across queries; None where the engine cannot tell."""

    def __len__(self) -> int: ...


class VectorBackend(Protocol):
    """Nearest-neighbour search over paper vectors of one model, cosine similarity, filters inside the search."""

    model: str

    def sync(self) -> int:
        """Catch up with vectors and paper metadata changed in the database since the last sync."""

    def rebuild(self) -> int:
        """Rebuild from the database; returns the number of vectors."""

    def search(
        self,
        vector: np.ndarray,
        limit: int,
        filters: Filters,
        allowed: set[str] | None = None,
        *,
        for_fusion: bool = False,
    ) -> Scored:
        """The `limit` nearest papers inside the filters (and inside `allowed`, if given), best first.

        A selective filter still returns `limit` correct results when that many papers pass it. `for_fusion`: the
        caller fuses these with keyword candidates (hybrid search), so an index may trade a little recall inside
        filters for speed."""

    def vector_of(self, paper_id: str) -> np.ndarray | None:
        """The stored vector of a paper, or None."""

    def vectors_of(self, paper_ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of those papers that have one."""

    def matrix_of(self, paper_ids: list[str]) -> tuple[list[str], np.ndarray]:
        """Those of `paper_ids` that have a vector, in the order given, and their vectors as one matrix."""

    def cosines(self, vector: np.ndarray, paper_ids: list[str]) -> Scored:
        """Cosine similarity of `vector` to each of those papers that has a stored vector."""

    def __len__(self) -> int: ...
