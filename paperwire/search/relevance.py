"""How close a search result is to its query: each hit's match strength, and the floor below which a query
has no close matches at all (then the few nearest papers are shown as such, and feeds and digests get none).

Two kinds of evidence, each on a scale that means the same for every query:
- cosine: the semantic similarity of the paper's vector to the query's (all-MiniLM-L6-v2);
- coverage: the paper's BM25 score over the query's full-match score (KeywordBackend.full_match_score), about
  the share of the query's weight of words the paper holds (1 = every word once).
Thresholds calibrated on scifact-train (809 real claims) against generated nonsense (random letters, random
common English words) by bench/relevance.py: see the README's search section for the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from paperwire.search.backends import Scored

CLOSE_COSINE = 0.35
CLOSE_COVERAGE = 0.65  # with at least KEYWORD_MEANING cosine, where the semantic side ran
KEYWORD_MEANING = 0.25  # random common words matched literally ("tiger kitchen") stay below it
CLOSE_COVERAGE_ALONE = 0.4  # keyword mode: the literal match is what was asked for
FULL_COVERAGE = 1.0  # every word of the query, whatever the cosine (title fragments: "Adapter Robust Precise")
STRONG_COSINE = 0.5
STRONG_COVERAGE = 0.9
NEAREST_SHOWN = 3  # papers shown, labelled as the nearest, when nothing is close
STRONG, PARTIAL, WEAK = "strong", "partial", "weak"


@dataclass(frozen=True)
class Evidence:
    """What the two sides said about a query's candidates; a side that did not run says nothing."""

    cosine: dict[str, float]
    coverage: dict[str, float]
    keyword_unjudged: frozenset[str] = frozenset()  # keyword matches of an engine without full-match scores

    @classmethod
    def of(cls, keyword: Scored | None, keyword_full: float | None, cosines: Scored | None) -> Evidence:
        coverage: dict[str, float] = {}
        unjudged: frozenset[str] = frozenset()
        if keyword is not None:
            if keyword_full:
                coverage = {pid: score / keyword_full for pid, score in keyword}
            else:
                unjudged = frozenset(pid for pid, _ in keyword)
        return cls(dict(cosines or ()), coverage, unjudged)

    def strength(self, paper_id: str) -> str:
        coverage = self.coverage.get(paper_id, 0.0)
        if not self.cosine:  # keyword mode
            if coverage >= STRONG_COVERAGE:
                return STRONG
            return PARTIAL if coverage >= CLOSE_COVERAGE_ALONE or paper_id in self.keyword_unjudged else WEAK
        cosine = self.cosine.get(paper_id, 0.0)
        if cosine >= STRONG_COSINE or (coverage >= STRONG_COVERAGE and cosine >= KEYWORD_MEANING):
            return STRONG
        if (
            cosine >= CLOSE_COSINE
            or (coverage >= CLOSE_COVERAGE and cosine >= KEYWORD_MEANING)
            or coverage >= FULL_COVERAGE
        ):
            return PARTIAL
        return PARTIAL if paper_id in self.keyword_unjudged else WEAK

    def any_close(self, ranked: Scored) -> bool:
        return any(self.strength(pid) != WEAK for pid, _ in ranked)
