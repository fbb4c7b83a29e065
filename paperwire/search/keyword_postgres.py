"""Keyword search on PostgreSQL: its full-text search over papers.search_tsv (migration 0003), GIN-indexed.

The database keeps the tsvector current (a generated column), so sync and rebuild have nothing to do.
Ranking is ts_rank_cd (cover density) with title weighted twice abstract; it is not BM25 (no IDF).
Papers holding every query word come first (conjunctive first, disjunctive fill): ranking every paper
that holds any word of a broad query means decompressing tens of thousands of tsvectors.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from paperwire.config import Settings
from paperwire.search.backends import Scored
from paperwire.search.query import Query
from paperwire.store import Store
from paperwire.store.keyword_rows import count_visible, fulltext_search, ids_with_author_names


class PostgresKeywordIndex:
    """KeywordBackend on PostgreSQL full-text search; filters are clauses of the same SQL query."""

    def __init__(self, store: Store, settings: Settings) -> None:
        if store.dialect != "postgresql":
            raise ValueError("PostgresKeywordIndex needs a PostgreSQL store")
        self.store = store

    def sync(self) -> int:
        """Nothing to catch up: the generated column changes with each row. Returns 0."""
        return 0

    def rebuild(self) -> int:
        """Nothing to rebuild; returns the number of searchable (visible) papers."""
        with self.store.read() as conn:
            return count_visible(conn)

    def full_match_score(self, query: Query) -> float | None:
        """ts_rank_cd is not BM25 and has no such reference: None (hybrid then scales by the best keyword score)."""
        return None

    def search(self, query: Query, limit: int) -> Scored:
        """Phrases required (phraseto_tsquery); papers with every term first, then any term; excluded words and
        filters in the WHERE clause."""
        if limit <= 0 or not query.has_text:
            return []
        filters = query.filters
        with self.store.read() as conn:
            # A sequential scan evaluates @@ on every paper, decompressing each one's tsvector (TOAST), matching or
            # not; the planner does not count that and picks it for broad OR queries. The GIN bitmap reads only the
            # matches: the same rows, median 704 -> 435 ms over 40 queries on 287 k papers (bench/scale.py's data).
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))

            def run(**how: Any) -> Scored:
                return fulltext_search(
                    conn,
                    terms=query.terms,
                    phrases=query.phrases,
                    excluded=query.excluded,
                    categories=filters.categories,
                    author_names=filters.authors,
                    since=filters.since,
                    until=filters.until,
                    limit=limit,
                    **how,
                )

            if query.phrases or len(query.terms) < 2:
                return run()
            # Papers holding every word first: few, so cheap to rank (each match's tsvector is decompressed to
            # score it). When they are fewer than `limit`, the best of the others join them, and the answer is
            # exactly the any-word ranking; otherwise it is the top of the all-words papers by the same score.
            found = run(all_terms=True)
            if len(found) < limit:
                found = sorted(found + run(skip_ids=[pid for pid, _ in found]), key=lambda hit: (-hit[1], hit[0]))
            return found[:limit]

    def ids_with_authors(self, names: tuple[str, ...]) -> set[str]:
        """Ids of visible papers with, for each name, one author whose name holds all of its words."""
        with self.store.read() as conn:
            return ids_with_author_names(conn, names)

    def __len__(self) -> int:
        with self.store.read() as conn:
            return count_visible(conn)
