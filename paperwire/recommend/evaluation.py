"""`paperwire eval-recs`: how well each For you ranking finds a reader's next papers, on the papers in the store.

Readers are simulated by authors. An author with at least `min_papers` papers in the store is a reader;
their library is their papers published before the cut-off (at least `min_library` of them); the
candidates are every visible paper published in the `window_days` from the cut-off on; the relevant
ones are the reader's own later papers and later papers that share two or more authors with one of
the library's papers (their group's work; `relevance="own"` counts only the former). Each method ranks all candidates for the reader:
  popularity  upvotes (imported and local), newest first among equals: the same list for everyone
  keyword     BM25 (the keyword index) of the library's titles, within the window
  centroid, nearest, logistic, svm   paperwire.search.taste over the paper vectors
Reported: nDCG@10 and Recall@50 averaged over readers. Vectors missing for the library or the
candidates are embedded first with the site's model and stored (what `paperwire index` would do).
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from paperwire.errors import InvalidInput
from paperwire.recommend.for_you import with_popularity
from paperwire.search.engine import SearchEngine
from paperwire.search.indexer import embed_papers
from paperwire.search.query import Filters
from paperwire.search.ranking_measures import ndcg_at, recall_at
from paperwire.search.taste import METHODS, fit_taste
from paperwire.store import Store
from paperwire.store import accounts as accounts_repo
from paperwire.store import papers as papers_repo

BASELINES = ("popularity", "keyword")
RELEVANCE = ("own", "group")  # relevant: the reader's own later papers; or also their co-authors' (two shared)
FUSED = tuple(f"{method}+popularity" for method in METHODS)  # with_popularity over each vector ranking
_WORD = re.compile(r"[^\W_]{2,}")


@dataclass
class RecsEval:
    """Scores per method, averaged over the readers, and what was measured."""

    cutoff: date
    window_days: int
    relevance: str
    readers: int
    candidates: int
    library_mean: float
    relevant_mean: float
    embedded: int
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "cutoff": self.cutoff.isoformat()}


@dataclass(frozen=True)
class _Reader:
    name: str
    library: list[str]
    relevant: set[str]


def evaluate_recs(
    store: Store,
    engine: SearchEngine,
    *,
    cutoff: date,
    window_days: int = 28,
    readers: int = 200,
    min_papers: int = 8,
    min_library: int = 3,
    max_library: int = 50,
    seed: int = 7,
    relevance: str = "group",
    methods: tuple[str, ...] = (*BASELINES, *METHODS, *FUSED),
    on_progress: Callable[[str, int, int], None] | None = None,
) -> RecsEval:
    """Simulate readers from the store's authors and score each method (see the module docstring)."""
    known = (*BASELINES, *METHODS, *FUSED)
    unknown = [m for m in methods if m not in known]
    if unknown:
        raise InvalidInput(f"unknown method {unknown[0]!r}; expected some of {', '.join(known)}")
    if relevance not in RELEVANCE:
        raise InvalidInput(f"relevance: expected one of {', '.join(RELEVANCE)}, got {relevance!r}", field="relevance")
    if window_days < 1 or readers < 1:
        raise InvalidInput("the window and the number of readers must be at least 1")
    end = cutoff + timedelta(days=window_days - 1)
    with store.read() as conn:
        rows = papers_repo.authorship(conn)
    candidates = [r["id"] for r in rows if cutoff <= r["published"] <= end]
    if not candidates:
        raise InvalidInput(f"no papers published from {cutoff} to {end}: choose another cut-off")
    chosen = _readers(rows, cutoff, end, min_papers, min_library, max_library, group=relevance == "group")
    if not chosen:
        raise InvalidInput(f"no author has {min_papers} papers with {min_library} before {cutoff} and one after")
    chosen = random.Random(seed).sample(chosen, min(readers, len(chosen)))
    needed = list(dict.fromkeys([*candidates, *(pid for r in chosen for pid in r.library)]))
    embedded = embed_papers(
        store, engine.embedder, needed, on_progress=lambda d, t: on_progress and on_progress("embedding", d, t)
    )
    engine.sync()
    vectors = engine.vectors.vectors_of(needed)
    scored = [pid for pid in candidates if pid in vectors]
    matrix = np.vstack([vectors[pid] for pid in scored]).astype(np.float32)
    with store.read() as conn:
        upvotes = accounts_repo.paper_upvotes(conn, candidates)
    published = {r["id"]: r["published"] for r in rows}
    popular = sorted(candidates, key=lambda pid: (-upvotes[pid], -published[pid].toordinal(), pid))
    titles = {r["id"]: r["title"] for r in rows}
    result = RecsEval(
        cutoff,
        window_days,
        relevance,
        len(chosen),
        len(candidates),
        statistics.fmean(len(r.library) for r in chosen),
        statistics.fmean(len(r.relevant) for r in chosen),
        embedded,
    )
    per: dict[str, list[tuple[float, float]]] = defaultdict(list)
    spent: dict[str, float] = defaultdict(float)
    for done, reader in enumerate(chosen, start=1):
        relevant = dict.fromkeys(reader.relevant, 1)
        mine = np.vstack([vectors[pid] for pid in reader.library if pid in vectors])
        for method in methods:
            clock = time.perf_counter()
            if method == "popularity":
                ranked = popular[:50]
            elif method == "keyword":
                ranked = _keyword(engine, [titles[pid] for pid in reader.library], cutoff, end)
            else:
                base, _, fused = method.partition("+")
                taste = fit_taste(mine, matrix, method=base, seed=seed)  # type: ignore[arg-type]
                scores = taste.score(matrix)
                order = [(scored[i], float(scores[i])) for i in np.argsort(-scores, kind="stable")]
                if fused:
                    order = with_popularity(order, upvotes)
                ranked = [pid for pid, _ in order[:50]]
            spent[method] += time.perf_counter() - clock
            per[method].append((ndcg_at(ranked, relevant, 10), recall_at(ranked, relevant, 50)))
        if on_progress:
            on_progress("readers", done, len(chosen))
    for method in methods:
        values = per[method]
        result.scores[method] = {
            "ndcg@10": round(statistics.fmean(v[0] for v in values), 4),
            "recall@50": round(statistics.fmean(v[1] for v in values), 4),
        }
        result.seconds[method] = round(spent[method] / len(chosen), 4)
    return result


def _readers(
    rows: list[dict[str, Any]],
    cutoff: date,
    end: date,
    min_papers: int,
    min_library: int,
    max_library: int,
    *,
    group: bool,
) -> list[_Reader]:
    by_author: dict[str, list[dict[str, Any]]] = defaultdict(list)
    later_by: dict[str, list[str]] = defaultdict(list)  # author -> their papers inside the window
    for row in rows:
        for name in dict.fromkeys(row["authors"]):
            by_author[name].append(row)
            if cutoff <= row["published"] <= end:
                later_by[name].append(row["id"])
    readers = []
    for name, papers in sorted(by_author.items()):
        if len(papers) < min_papers:
            continue
        before = sorted((p for p in papers if p["published"] < cutoff), key=lambda p: p["published"])[-max_library:]
        if len(before) < min_library:
            continue
        relevant = set(later_by.get(name, ()))
        for paper in before if group else ():  # later papers with two or more of this library paper's authors
            shared: dict[str, int] = defaultdict(int)
            for author in dict.fromkeys(paper["authors"]):
                for pid in later_by.get(author, ()):
                    shared[pid] += 1
            relevant |= {pid for pid, count in shared.items() if count >= 2}
        if relevant:
            readers.append(_Reader(name, [p["id"] for p in before], relevant))
    return readers


def _keyword(engine: SearchEngine, titles: list[str], since: date, until: date) -> list[str]:
    words = list(dict.fromkeys(w.casefold() for title in titles for w in _WORD.findall(title)))[:60]
    if not words:
        return []
    hits = engine.search(" ".join(words), mode="keyword", limit=50, filters=Filters(since=since, until=until))
    return [hit.id for hit in hits.hits]
