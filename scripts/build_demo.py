"""Build the demo corpus shipped in paperwire/demo/data from ../shared/data (run by maintainers, not users).

Papers: every paper of papers.jsonl.xz first listed in February 2026 (arXiv metadata, CC0).
Daily lists: the Hugging Face daily lists of 2026-02-02..27 (hf_bot), rewritten in the shape of
Hugging Face's /api/daily_papers items, with the scraper's AI-summary prefix removed from abstracts.
"""

from __future__ import annotations

import argparse
import json
import lzma
from pathlib import Path

from paperwire.sources.hf import parse_hf_daily

MONTH = "2026-02"


def build(shared: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    kept = 0
    with (
        lzma.open(shared / "arxiv-daily-2025-2026/papers.jsonl.xz", "rt", encoding="utf-8") as src,
        lzma.open(out / "papers.jsonl.xz", "wt", encoding="utf-8", preset=9) as dst,
    ):
        for line in src:
            if json.loads(line)["published"].startswith(MONTH):
                dst.write(line)
                kept += 1
    items = []
    for day_file in sorted((shared / "hf-daily-papers/hf_bot/dates").glob("*.json")):
        doc = json.loads(day_file.read_text(encoding="utf-8"))
        for parsed in parse_hf_daily(doc, day_file.name):
            paper, listing = parsed.paper, parsed.listing
            items.append(
                {
                    "publishedAt": f"{listing.list_date.isoformat()}T00:00:00.000Z",
                    "title": paper.title,
                    "paper": {
                        "id": paper.arxiv_id,
                        "title": paper.title,
                        "summary": paper.abstract,
                        "authors": [{"name": name} for name in paper.authors],
                        "upvotes": listing.upvotes,
                        "githubRepo": paper.code_url,
                    },
                }
            )
    with lzma.open(out / "hf-daily.json.xz", "wt", encoding="utf-8", preset=9) as dst:
        json.dump(items, dst, ensure_ascii=False)
    print(f"{kept} papers from {MONTH}, {len(items)} daily-list entries -> {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "paperwire/demo/data")
    args = parser.parse_args()
    build(args.shared, args.out)
