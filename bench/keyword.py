"""Keyword search benchmark: SQLite FTS5 against tantivy for the embedded index, and tantivy at 1M papers.

Run from the repository root (about 3-5 minutes on 2 cores; prints figures, asserts nothing; the last
line is the same figures as one JSON object):

    .venv/bin/python bench/keyword.py
    .venv/bin/python bench/keyword.py --compare-docs 50000 --big-docs 0     # quick look

What is measured (single thread, one query at a time, after one warm-up pass over all queries):
- Queries: --queries free-text queries of 2-4 words, each drawn from one real title's content words
  (4+ letters, not a stop word), ORed, top 100 by BM25 (title weight 2). Latency is per query, p50/p95.
- Real: the 74,728 papers of ../shared/data/arxiv-daily-2025-2026/papers.jsonl.xz, both engines.
- Synthetic (--compare-docs, default 200k, both engines; --big-docs, default 1M, tantivy only): each
  paper's title and abstract are words sampled independently from the word frequencies of the real
  titles and abstracts (so term statistics are realistic, word order is not); abstract and title
  lengths follow the real ones; authors and categories are those of a random real paper; published is
  a random day of 2020-2026. At 1M, tantivy is also timed with a category filter that ~10% of the
  papers pass (the real category whose share is closest to 10%), applied inside the query.
- FTS5: `fts5(title, abstract, authors, tokenize="porter unicode61 remove_diacritics 2")` in a file
  database, `WHERE docs MATCH '"w1" OR "w2"' ORDER BY bm25(docs, 2.0, 1.0, 1.0) LIMIT 100`.
- tantivy: Paperwire's own TantivyKeywordIndex (`load()` then `search(parse_query(q), 100)`), so the
  time includes query parsing, query building and reading back the ids.
- Build time: indexing only (generating the synthetic text is timed apart and left out).
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import lzma
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.config import load_settings
from paperwire.search.keyword_tantivy import TantivyKeywordIndex
from paperwire.search.query import Filters, parse_query

DATA = REPO.parent / "shared" / "data" / "arxiv-daily-2025-2026" / "papers.jsonl.xz"
LIMIT = 100
_STOP = set(
    [
        "with",
        "from",
        "that",
        "this",
        "their",
        "using",
        "based",
        "towards",
        "toward",
        "into",
        "over",
        "under",
        "via",
        "without",
        "through",
        "about",
        "than",
        "when",
        "what",
        "which",
        "while",
        "where",
        "more",
        "most",
        "less",
        "very",
        "also",
        "only",
        "such",
        "these",
        "those",
        "have",
        "been",
        "being",
        "each",
    ]
)
_TOKEN = re.compile(r"[a-z][a-z0-9\-]+")


def load_real(path: Path) -> list[dict[str, Any]]:
    with lzma.open(path, "rt") as stream:
        rows = [json.loads(line) for line in stream]
    for row in rows:
        row["published"] = date.fromisoformat(row["published"]) if row.get("published") else None
    return rows


def make_queries(real: list[dict[str, Any]], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    queries: list[str] = []
    while len(queries) < count:
        words = [
            w
            for w in dict.fromkeys(_TOKEN.findall(rng.choice(real)["title"].lower()))
            if len(w) >= 4 and w not in _STOP
        ]
        size = rng.randint(2, 4)
        if len(words) >= size:
            queries.append(" ".join(rng.sample(words, size)))
    return queries


class TextModel:
    """Unigram word frequencies and lengths of real titles and abstracts, for sampling synthetic ones."""

    def __init__(self, real: list[dict[str, Any]]) -> None:
        self.real = real
        self.title = self._fit([row["title"] for row in real])
        self.abstract = self._fit([row["abstract"] for row in real])

    @staticmethod
    def _fit(texts: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        counts: Counter[str] = Counter()
        lengths = []
        for text in texts:
            words = text.split()
            counts.update(words)
            lengths.append(len(words))
        vocab, freq = zip(*counts.items(), strict=True)
        cumulative = np.cumsum(np.asarray(freq, dtype=np.float64))
        return list(vocab), cumulative / cumulative[-1], np.asarray(lengths)

    def _texts(self, rng: np.random.Generator, part: tuple[list[str], np.ndarray, np.ndarray], n: int) -> list[str]:
        vocab, cumulative, lengths = part
        sizes = rng.choice(lengths, size=n)
        picks = np.searchsorted(cumulative, rng.random(int(sizes.sum()))).tolist()
        texts, at = [], 0
        for size in sizes.tolist():
            texts.append(" ".join([vocab[i] for i in picks[at : at + size]]))
            at += size
        return texts

    def papers(self, n: int, seed: int, clock: list[float], chunk: int = 20_000) -> Iterator[dict[str, Any]]:
        """n synthetic papers; time spent making them is added to clock[0]."""
        rng = np.random.default_rng(seed)
        start_day = date(2020, 1, 1).toordinal()
        for offset in range(0, n, chunk):
            began = time.perf_counter()
            size = min(chunk, n - offset)
            titles = self._texts(rng, self.title, size)
            abstracts = self._texts(rng, self.abstract, size)
            donors = rng.integers(0, len(self.real), size=size).tolist()
            days = rng.integers(0, 7 * 365, size=size).tolist()
            batch = [
                {
                    "id": f"syn.{offset + i:07d}",
                    "title": titles[i],
                    "abstract": abstracts[i],
                    "authors": self.real[donors[i]]["authors"],
                    "categories": self.real[donors[i]]["categories"],
                    "published": date.fromordinal(start_day + days[i]),
                    "hidden": False,
                }
                for i in range(size)
            ]
            clock[0] += time.perf_counter() - began
            yield from batch


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 3),
    }


def timed(run: Any, items: list[Any]) -> dict[str, float]:
    for item in items:  # warm-up: caches, lazily loaded segments
        run(item)
    samples = []
    for item in items:
        began = time.perf_counter()
        run(item)
        samples.append(time.perf_counter() - began)
    return percentiles(samples)


def bench_fts5(rows: Iterable[dict[str, Any]], queries: list[str], folder: Path) -> dict[str, Any]:
    db = sqlite3.connect(folder / "fts5.db")
    db.execute(
        'CREATE VIRTUAL TABLE docs USING fts5(title, abstract, authors, tokenize="porter unicode61 remove_diacritics 2")'
    )
    ids: list[str] = []

    def values() -> Iterator[tuple[int, str, str, str]]:
        for row in rows:
            ids.append(row["id"])
            yield len(ids) - 1, row["title"], row["abstract"], "; ".join(row["authors"])

    began = time.perf_counter()
    with db:
        db.executemany("INSERT INTO docs(rowid, title, abstract, authors) VALUES (?, ?, ?, ?)", values())
    db.execute("INSERT INTO docs(docs) VALUES('optimize')")
    build = time.perf_counter() - began
    sql = f"SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 2.0, 1.0, 1.0) LIMIT {LIMIT}"

    def run(query: str) -> list[str]:
        match = " OR ".join(f'"{word}"' for word in query.split())
        return [ids[rowid] for (rowid,) in db.execute(sql, (match,))]

    figures = {"docs": len(ids), "build_s": round(build, 1), **timed(run, queries)}
    db.close()
    return figures


def bench_tantivy(
    rows: Iterable[dict[str, Any]], queries: list[str], folder: Path, category: str | None = None
) -> dict[str, Any]:
    index = TantivyKeywordIndex(None, load_settings(home=folder))  # type: ignore[arg-type] - no database: load() only
    began = time.perf_counter()
    count = index.load(rows)
    build = time.perf_counter() - began
    parsed = [parse_query(q) for q in queries]
    figures: dict[str, Any] = {"docs": count, "build_s": round(build, 1)}
    figures.update(timed(lambda q: index.search(parse_query(q), LIMIT), queries))
    if category:
        filtered = [q.with_filters(Filters(categories=(category,))) for q in parsed]
        with_filter = timed(lambda q: index.search(q, LIMIT), filtered)
        figures.update({f"{key}_cat": value for key, value in with_filter.items()}, category=category)
        figures["cat_results_full"] = sum(len(index.search(q, LIMIT)) == LIMIT for q in filtered) / len(filtered)
    return figures


def ten_percent_category(real: list[dict[str, Any]]) -> tuple[str, float]:
    shares = Counter(cat for row in real for cat in set(row["categories"]))
    cat, n = min(shares.items(), key=lambda item: abs(item[1] / len(real) - 0.10))
    return cat, n / len(real)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--compare-docs", type=int, default=200_000)
    parser.add_argument("--big-docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    real = load_real(args.data)
    queries = make_queries(real, args.queries, args.seed)
    model = TextModel(real)
    category, share = ten_percent_category(real)
    result: dict[str, Any] = {"queries": len(queries), "limit": LIMIT, "query_words": "2-4, ORed"}
    print(f"{len(real)} real papers, {len(queries)} queries (e.g. {queries[:3]}), top {LIMIT}")

    with tempfile.TemporaryDirectory(prefix="pw-bench-kw-") as tmp:
        work = Path(tmp)
        for name in ("real", "synthetic"):
            if name == "real":
                rows, made = real, 0.0
            else:
                if not args.compare_docs:
                    continue
                clock = [0.0]
                rows = list(model.papers(args.compare_docs, args.seed, clock))
                made = clock[0]
            (work / f"fts5-{name}").mkdir()
            fts5 = bench_fts5(rows, queries, work / f"fts5-{name}")
            tantivy = bench_tantivy(rows, queries, work / f"tantivy-{name}")
            result[f"{name}_{len(rows)}"] = {"fts5": fts5, "tantivy": tantivy}
            print(f"\n{name}, {len(rows):,} papers" + (f" (text made in {made:.0f} s)" if made else ""))
            for engine, figures in (("SQLite FTS5", fts5), ("tantivy", tantivy)):
                print(
                    f"  {engine:12s} build {figures['build_s']:6.1f} s   p50 {figures['p50_ms']:7.2f} ms   "
                    f"p95 {figures['p95_ms']:7.2f} ms"
                )
            del rows

        if args.big_docs:
            clock = [0.0]
            big = bench_tantivy(
                model.papers(args.big_docs, args.seed + 1, clock), queries, work / "tantivy-big", category
            )
            big["build_s"] = round(big["build_s"] - clock[0], 1)
            big["category_share"] = round(share, 3)
            result[f"tantivy_synthetic_{big['docs']}"] = big
            print(f"\ntantivy, {big['docs']:,} synthetic papers (text made in {clock[0]:.0f} s, not counted)")
            print(f"  build {big['build_s']:.1f} s   p50 {big['p50_ms']:.2f} ms   p95 {big['p95_ms']:.2f} ms")
            print(
                f"  with cat:{category} (passed by {share:.0%} of papers): p50 {big['p50_ms_cat']:.2f} ms   "
                f"p95 {big['p95_ms_cat']:.2f} ms; {big['cat_results_full']:.0%} of queries filled all {LIMIT}"
            )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
