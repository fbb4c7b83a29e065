"""Rank fusion: combine a keyword ranking and a semantic ranking into one (RRF or a normalised sum)."""

from __future__ import annotations

from collections.abc import Sequence

Scored = list[tuple[str, float]]


def reciprocal_rank_fusion(rankings: Sequence[Scored], k: int = 60) -> Scored:
    """Sum of 1 / (k + rank) over the rankings a paper appears in (Cormack et al., 2009)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, (paper_id, _) in enumerate(ranking, start=1):
            scores[paper_id] = scores.get(paper_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def normalised_sum(rankings: Sequence[Scored], weights: Sequence[float]) -> Scored:
    """Weighted sum of min-max normalised scores; a paper absent from a ranking gets 0 from it."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        values = [score for _, score in ranking]
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        for paper_id, score in ranking:
            scores[paper_id] = scores.get(paper_id, 0.0) + weight * (score - low) / span
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def fuse(keyword: Scored, semantic: Scored, *, method: str = "rrf", rrf_k: int = 60, keyword_weight: float = 0.5) -> Scored:
    """The hybrid ranking of one query; `method` is "rrf" or "linear" (chosen on scifact-train, see README)."""
    if method == "linear":
        return normalised_sum([keyword, semantic], [keyword_weight, 1.0 - keyword_weight])
    return reciprocal_rank_fusion([keyword, semantic], k=rrf_k)
