"""Papers like a paper (nearest neighbours) and papers like a set (recommendations for "For you" and digests)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from paperwire.errors import InvalidInput, NotFound
from paperwire.papers.record import parse_arxiv_id
from paperwire.search.embedder import normalise, paper_text
from paperwire.search.engine import Hit, SearchEngine
from paperwire.search.query import Filters
from paperwire.store import papers as repo

NEGATIVE_WEIGHT = 0.5  # Rocchio's beta/gamma balance: dislikes push away half as hard as likes pull


def _vector(engine: SearchEngine, paper_id: str, *, embed_missing: bool = True) -> np.ndarray | None:
    """A paper's stored vector, or one embedded now if the paper is not indexed yet (None if not allowed to)."""
    vector = engine.vectors.vector_of(paper_id)
    if vector is not None:
        return vector
    with engine.store.read() as conn:
        row = repo.get_paper(conn, paper_id)
    if row is None:
        raise NotFound(f"no paper {paper_id}")
    if not embed_missing:
        return None
    return engine.embedder.embed([paper_text(row["title"], row["abstract"])])[0]


def similar(
    engine: SearchEngine, raw_id: str, *, limit: int = 10, filters: Filters | None = None, embed_missing: bool = True
) -> list[Hit]:
    """The papers nearest to one paper by vector, without the paper itself, optionally within filters.

    A paper without a stored vector is embedded on the fly, unless `embed_missing` is False (a page that
    must stay fast then shows none until `paperwire index` has run).
    """
    paper_id, _ = parse_arxiv_id(raw_id)
    _check_limit(limit)
    engine.sync(force=False)
    vector = _vector(engine, paper_id, embed_missing=embed_missing)
    if vector is None:
        return []
    found = engine.nearest(vector, limit, filters or Filters(), exclude={paper_id})
    return engine.hydrate(found, {"semantic": {pid: i for i, (pid, _) in enumerate(found, start=1)}})


def recommend(
    engine: SearchEngine,
    positive: Sequence[str],
    negative: Sequence[str] = (),
    *,
    limit: int = 10,
    filters: Filters | None = None,
) -> list[Hit]:
    """Papers like the `positive` set and unlike the `negative` one (a Rocchio centroid), excluding both sets.

    One vector search whatever the set sizes, so it costs the same as a query at 1 M papers.
    """
    _check_limit(limit)
    if not positive:
        raise InvalidInput("recommendations need at least one paper to start from")
    engine.sync(force=False)
    liked = np.vstack([_vector(engine, pid) for pid in positive])  # type: ignore[misc]
    target = liked.mean(axis=0)
    if negative:
        disliked = np.vstack([_vector(engine, pid) for pid in negative])  # type: ignore[misc]
        target = target - NEGATIVE_WEIGHT * disliked.mean(axis=0)
    target = normalise(target[None, :])[0]
    found = engine.nearest(target, limit, filters or Filters(), exclude={*positive, *negative})
    return engine.hydrate(found, {"semantic": {pid: i for i, (pid, _) in enumerate(found, start=1)}})


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= 100:
        raise InvalidInput(f"limit must be between 1 and 100, got {limit}")
