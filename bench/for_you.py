"""For you speed: ranking 10,000 candidate papers for one reader, and the first ranking after a vote (a new fit).

    .venv/bin/python bench/for_you.py --home /tmp/fy-home      # a copy of bench/out/served-75k (75k vectors)

The home must hold the 74,728 papers of ../shared/data/arxiv-daily-2025-2026 with all-MiniLM-L6-v2 vectors
(bench/served_scale.py makes one in bench/out/served-75k; copy it, this bench adds a reader). The period is
the shortest run of days ending 2026-05-31 whose New on arXiv papers number at least --candidates. The
reader is the author with the most papers before it; their library is their 20 latest such papers.

Per method (paperwire.search.taste), through paperwire.recommend.for_you, vectors in memory:
  rank      rank_candidates with the reader's taste already fitted (what every page view after the first costs)
  update    the first rank_candidates after an upvote changed the reader's papers (fit + rank)
  page      the whole For you page of 30 (candidates query, ranking, the page's rows, reasons), taste fitted
Medians of --repeat runs. Baseline in the same run: exact search (numpy) of the reader's centroid over the
same candidate vectors, the cheapest ranking there is.
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.accounts.users import add_user, find_user
from paperwire.config import load_settings
from paperwire.errors import NotFound
from paperwire.feed.lists import Period, followed
from paperwire.feed.votes import toggle_vote
from paperwire.recommend.for_you import Tastes, for_you, rank_candidates, reader_signals
from paperwire.search.engine import SearchEngine
from paperwire.search.taste import METHODS
from paperwire.store import Store
from paperwire.store import feed as queries
from paperwire.store import library as library_repo
from paperwire.store import papers as papers_repo

END = date(2026, 5, 31)
READER = "for-you-bench@example.org"


def _ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    settings = load_settings(home=args.home)
    store = Store.open(settings)
    engine = SearchEngine(settings, store)
    engine.sync()
    with store.read() as conn:
        days = 1
        while True:
            period = Period.last_days(END, days)
            candidates = [r["paper_id"] for r in queries.arxiv_rows(conn, period.start, period.end, followed(settings))]
            if len(candidates) >= args.candidates or days > 120:
                break
            days += 1
        rows = [r for r in papers_repo.authorship(conn) if r["published"] < period.start]
    counts = Counter(name for r in rows for name in r["authors"])
    author = counts.most_common(1)[0][0]
    library = [r["id"] for r in sorted(rows, key=lambda r: r["published"]) if author in r["authors"]][-20:]
    try:
        user = find_user(store, READER)
    except NotFound:
        user = add_user(store, READER)
    with store.write() as conn:
        library_repo.add_to_library(conn, user["id"], library, "ids", datetime.now(UTC))
    signals = reader_signals(store, user["id"])
    vectors = engine.vectors.vectors_of(candidates)
    matrix = np.vstack([vectors[pid] for pid in candidates if pid in vectors])
    centroid = np.vstack(list(engine.vectors.vectors_of(library).values())).mean(axis=0)
    exact = []
    for _ in range(args.repeat):
        clock = time.perf_counter()
        np.argsort(-(matrix @ centroid))[:30]
        exact.append(time.perf_counter() - clock)
    print(
        f"{len(candidates)} candidates ({period.start} to {period.end}, {len(matrix)} with vectors); reader "
        f"{author!r}, library {len(library)} papers; exact centroid scan p50 {_ms(exact)} ms",
        flush=True,
    )
    results = {}
    voted = [pid for pid in candidates[:: max(1, len(candidates) // 40)]][: args.repeat]
    for method in METHODS:
        tastes = Tastes()
        rank_candidates(engine, signals, candidates, method=method, tastes=tastes)  # fitted once
        warm = []
        for _ in range(args.repeat):
            clock = time.perf_counter()
            rank_candidates(engine, signals, candidates, method=method, tastes=tastes)
            warm.append(time.perf_counter() - clock)
        update = []
        for pid in voted[:10]:
            toggle_vote(store, settings, user["id"], pid)
            fresh = reader_signals(store, user["id"])
            clock = time.perf_counter()
            rank_candidates(engine, fresh, candidates, method=method, tastes=tastes)
            update.append(time.perf_counter() - clock)
            toggle_vote(store, settings, user["id"], pid)
        page = []
        for _ in range(max(5, args.repeat // 3)):
            clock = time.perf_counter()
            for_you(store, settings, engine, user["id"], period, limit=30, method=method)
            page.append(time.perf_counter() - clock)
        results[method] = {"rank_ms": _ms(warm), "update_ms": _ms(update), "page_ms": _ms(page)}
        print(
            f"{method:<9} rank p50 {_ms(warm):>7} ms   after a vote {_ms(update):>7} ms   page of 30 {_ms(page):>7} ms",
            flush=True,
        )
    fused = []
    for _ in range(max(5, args.repeat // 3)):
        clock = time.perf_counter()
        for_you(store, settings, engine, user["id"], period, limit=30, method="svm+popularity")
        fused.append(time.perf_counter() - clock)
    results["svm+popularity"] = {"page_ms": _ms(fused)}
    print(f"svm+popularity page of 30 {_ms(fused):>7} ms (the upvotes of every candidate read for the fusion)")
    print(
        json.dumps(
            {
                "bench": "for_you",
                "candidates": len(candidates),
                "with_vectors": len(matrix),
                "days": days,
                "library": len(library),
                "exact_centroid_ms": _ms(exact),
                "methods": results,
            }
        )
    )


if __name__ == "__main__":
    main()
