"""Library import on the shared arXiv listings (74,728 papers): how long matching takes by arXiv id, DOI and
folded title (the title step reads every title once: it has no index), and how many title-only entries match.

    .venv/bin/python bench/library_import.py --entries 500      # ingests the papers first (about a minute)

The library is --entries real titles, each changed the way reference managers change them (case, braces,
punctuation, LaTeX accents), half of them also with their arXiv id, plus as many ids alone and --entries titles
that are not on the site. Nothing is fetched (the arXiv ids are all there).
"""

from __future__ import annotations

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import lzma
import random
import tempfile
import time
from pathlib import Path

from paperwire.accounts.users import add_user
from paperwire.application import Paperwire
from paperwire.config import load_settings
from paperwire.papers.library_formats import normalise_title
from paperwire.papers.library_import import import_file
from paperwire.papers.load import ingest_paths
from paperwire.store import library as repo

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-daily-2025-2026" / "papers.jsonl.xz"


def _bibtex(papers: list[dict], with_ids: bool, start: int) -> str:
    out = []
    for n, paper in enumerate(papers, start):
        title = paper["title"].upper() if n % 3 == 0 else "{" + paper["title"].replace(":", " --") + "}"
        eprint = f",\n  eprint = {{{paper['id']}}}" if with_ids else ""
        out.append(f"@article{{e{n},\n  title = {{{title}}}{eprint}\n}}\n")
    return "".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=500)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="paperwire-bench-library-"))
    settings = load_settings(home=home)
    with Paperwire(settings) as app:
        started = time.perf_counter()
        ingest_paths(app.store, [DATA])
        print(f"ingested in {time.perf_counter() - started:.1f} s")
        with lzma.open(DATA, "rt", encoding="utf-8") as fh:
            papers = [json.loads(line) for line in fh]
        rng = random.Random(13)
        picked = rng.sample(papers, args.entries * 2)
        by_title, by_id = picked[: args.entries], picked[args.entries :]
        started = time.perf_counter()
        keys = {normalise_title(p["title"]) for p in papers}
        folding = time.perf_counter() - started
        latex = sum(1 for p in papers if "$" in p["title"] or "\\" in p["title"])
        missing = [{"id": "x", "title": f"A Survey of Nothing Number {n} Nobody Wrote"} for n in range(args.entries)]
        text = (
            _bibtex(by_title, with_ids=False, start=0)
            + _bibtex(by_id, with_ids=True, start=args.entries)
            + _bibtex(missing, with_ids=False, start=2 * args.entries)
        )
        user = add_user(app.store, "bench@example.org")["id"]
        started = time.perf_counter()
        result = import_file(app, user, text.encode(), filename="bench.bib", fetch=False)
        took = time.perf_counter() - started
        started = time.perf_counter()
        with app.store.read() as conn:
            titles = sum(1 for _ in repo.iter_titles(conn))
        scan = time.perf_counter() - started
        print(f"{len(papers):,} papers ({len(keys):,} distinct folded titles); {titles:,} titles read in {scan:.2f} s")
        print(f"folding every title: {folding:.2f} s ({latex:,} titles hold LaTeX and go through pylatexenc)")
        print(f"{3 * args.entries} entries imported in {took:.2f} s: {result.summary()}")
        reasons: dict[str, int] = {}
        for miss in result.unmatched:
            reasons[miss.reason.split(" (")[0]] = reasons.get(miss.reason.split(" (")[0], 0) + 1
        for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1]):
            print(f"  {count:>5}  {reason}")


if __name__ == "__main__":
    main()
