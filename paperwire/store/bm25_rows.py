"""PostgreSQL keyword ranking: BM25 over papers.search_tsv, from the term statistics of migration 0010.

One field of title + abstract as the embedded index ranks (Lucene's BM25: k1 1.2, b 0.75, its idf), author
names at AUTHOR_WEIGHT of a word; lengths in characters (octet_length reads a stored text's header, not the
text). Two statements a search after the query's statistics:
1. candidates through the GIN index, one lexeme at a time from the rarest, while the papers they name stay
   within a budget; when the rarest alone holds more, the papers holding the two rarest (at most the budget):
   each candidate scored as if every word it holds occurred once;
2. the best of those scored exactly (term frequencies read from their tsvectors), all the query's lexemes.
Common words then only rank papers that a rarer word found, so a broad query reads a bounded set of papers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from paperwire.store.keyword_rows import filter_clauses, tsqueries

K1, B = 1.2, 0.75
AUTHOR_WEIGHT = 0.2  # an author-name occurrence counts a fifth of a title or abstract one, as in the embedded index
_LENGTH = "(coalesce(octet_length(p.title), 0) + coalesce(octet_length(p.abstract), 0))"
# p.search_tsv cut down to the query's lexemes (deleting those that are not them), 3x faster to read than all of it
_ONLY = "ts_delete(p.search_tsv, tsvector_to_array(ts_delete(p.search_tsv, CAST(:lexemes AS text[]))))"


@dataclass(frozen=True)
class Term:
    lexeme: str
    papers: int  # papers holding it (document frequency)
    idf: float


@dataclass(frozen=True)
class Statistics:
    """A query's lexemes (those some paper holds), the number of papers and their mean length in characters."""

    terms: tuple[Term, ...]
    papers: int
    mean_length: float

    @property
    def full_match(self) -> float:
        """BM25 of a paper of mean length holding each lexeme once: the sum of their idf."""
        return sum(t.idf for t in self.terms)


def changes_pending(conn: Connection) -> bool:
    """Whether papers changed since the last fold (a read, so a read-only database can tell)."""
    return bool(conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM keyword_changes)")).scalar())


def fold_changes(conn: Connection) -> int:
    """Move the papers changed since the last fold into the statistics (migration 0010); how many changes.

    0 while another process folds (it holds the lock and takes the same rows)."""
    return int(conn.execute(sa.text("SELECT paperwire_keyword_fold()")).scalar_one())


def idf(papers: int, holding: int) -> float:
    """Lucene's BM25 idf, as tantivy computes it."""
    return math.log(1 + (papers - holding + 0.5) / (holding + 0.5))


def statistics(conn: Connection, text: str) -> Statistics:
    """The lexemes of `text` as the english configuration makes them, with their document frequencies as of the
    last fold (a lexeme no folded paper holds counts as held by one, so a paper added since is still found)."""
    rows = conn.execute(
        sa.text(
            "SELECT q.lexeme, greatest(t.papers, 1) AS holding, greatest(s.papers, 1) AS total, s.characters "
            "FROM unnest(tsvector_to_array(to_tsvector('english'::regconfig, paperwire_fold(:text)))) AS q(lexeme) "
            "CROSS JOIN keyword_stats s LEFT JOIN keyword_terms t ON t.lexeme = q.lexeme"
        ),
        {"text": text},
    ).all()
    if not rows:
        return Statistics((), 0, 0.0)
    total = int(rows[0].total)
    terms = tuple(Term(r.lexeme, int(r.holding), idf(total, int(r.holding))) for r in rows)
    return Statistics(terms, total, max(1.0, rows[0].characters / total))


def bounding_terms(stats: Statistics, budget: int) -> list[tuple[Term, ...]]:
    """Groups of lexemes whose papers are the candidates: each of the rarest lexemes alone while their papers add
    up to at most `budget`; when even the rarest holds more, the papers holding both of the two rarest."""
    ordered = sorted(stats.terms, key=lambda t: (t.papers, t.lexeme))
    if ordered[0].papers > budget:
        return [tuple(ordered[:2])]
    chosen: list[tuple[Term, ...]] = []
    postings = 0
    for term in ordered:
        if postings + term.papers > budget:
            break
        chosen.append((term,))
        postings += term.papers
    return chosen


def bm25_search(
    conn: Connection,
    stats: Statistics,
    *,
    phrases: Sequence[str] = (),
    excluded: Sequence[str] = (),
    categories: Sequence[str] = (),
    author_names: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
    limit: int,
    budget: int,
    depth: int,
) -> list[tuple[str, float]]:
    """Visible papers holding a query lexeme (and every phrase, no excluded word, inside the filters), by BM25.

    The `depth` best candidates of the first stage (at least `limit`) are scored exactly; best first."""
    if not stats.terms or limit <= 0:
        return []
    params: dict[str, Any] = {"k1": K1, "b": B, "mean": stats.mean_length}
    where = ["NOT p.hidden"]
    where += [f"p.search_tsv @@ {q}" for q in tsqueries(params, "p", phrases, "phraseto_tsquery")]
    excluded_qs = tsqueries(params, "e", excluded, "plainto_tsquery")
    if excluded_qs:
        where.append(f"NOT (p.search_tsv @@ ({' || '.join(excluded_qs)}))")
    where += filter_clauses(params, categories, author_names, since, until)
    branches = []
    for i, group in enumerate(bounding_terms(stats, budget)):
        params[f"l{i}"] = " & ".join(_tsquery_text(term.lexeme) for term in group)
        params[f"w{i}"] = sum(term.idf for term in group)
        branches.append(
            f"(SELECT p.id, CAST(:w{i} AS float8) AS idf, {_LENGTH} AS length FROM papers p "
            f"WHERE p.search_tsv @@ CAST(:l{i} AS tsquery) AND {' AND '.join(where)} LIMIT :budget)"
        )
    norm = "(1 - :b + :b * max(h.length) / :mean)"
    first = sa.text(
        f"SELECT h.id FROM ({' UNION ALL '.join(branches)}) AS h GROUP BY h.id "
        f"ORDER BY sum(h.idf) / (1 + :k1 * {norm}) DESC, h.id LIMIT :depth"
    )
    candidates = list(conn.execute(first, {**params, "depth": max(depth, limit), "budget": budget}).scalars())
    if not candidates:
        return []
    return exact_scores(conn, stats, candidates)[:limit]


def exact_scores(conn: Connection, stats: Statistics, ids: Sequence[str]) -> list[tuple[str, float]]:
    """BM25 of the papers `ids` for the query's lexemes, term frequencies from their tsvectors; best first."""
    tf = (
        "cardinality(array_positions(x.weights, 'A')) + cardinality(array_positions(x.weights, 'B'))"
        " + :author * cardinality(array_positions(x.weights, 'C'))"
    )
    rows = conn.execute(
        sa.text(
            f"SELECT p.id, sum(q.idf * u.tf * (:k1 + 1) / (u.tf + :k1 * (1 - :b + :b * {_LENGTH} / :mean))) AS score "
            f"FROM papers p CROSS JOIN LATERAL (SELECT x.lexeme, {tf} AS tf FROM unnest({_ONLY}) AS x) AS u "
            "JOIN unnest(CAST(:lexemes AS text[]), CAST(:idfs AS float8[])) AS q(lexeme, idf) ON q.lexeme = u.lexeme "
            "WHERE p.id = ANY(:ids) GROUP BY p.id"
        ),
        {
            "k1": K1,
            "b": B,
            "author": AUTHOR_WEIGHT,
            "mean": stats.mean_length,
            "lexemes": [t.lexeme for t in stats.terms],
            "idfs": [t.idf for t in stats.terms],
            "ids": list(ids),
        },
    ).all()
    return sorted(((row.id, float(row.score)) for row in rows), key=lambda hit: (-hit[1], hit[0]))


def _tsquery_text(lexeme: str) -> str:
    """A lexeme as a tsquery of that one lexeme, quoted so no character of it reads as an operator."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"
