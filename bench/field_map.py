"""The map of the field: time to draw a map of N real papers on 2 cores, phase by phase, and the layout libraries
compared by time and by how well they keep neighbourhoods (trustworthiness).

    .venv/bin/python bench/field_map.py --papers 5000 75000         # what paperwire draws (PCA-50, openTSNE, k-means, c-TF-IDF)
    .venv/bin/python bench/field_map.py --compare 5000               # + umap-learn and PaCMAP when installed, HDBSCAN
    .venv/bin/python bench/field_map.py --compare 75000 --libraries umap-learn PaCMAP
    .venv/bin/python bench/field_map.py --inline 100 300 500         # small periods, drawn during a page request

Vectors: bench/out/served-75k/fast-vectors.npz, the 74,727 papers of ../shared/data/arxiv-daily-2025-2026 embedded
by all-MiniLM-L6-v2@128,int8 (384 dimensions, what bench/served_scale.py makes and caches there); texts: title and
abstract from that folder's papers.jsonl.xz. N papers are drawn with a fixed seed. Threads: PAPERWIRE_THREADS=2
(OpenMP, BLAS, openTSNE's n_jobs) and NUMBA_NUM_THREADS=2 for the libraries built on numba, so the figures hold
for the 2-core machine whatever this one has. umap-learn and PaCMAP are not dependencies:
`pip install umap-learn pacmap` to compare them; each is run twice, since numba compiles on the first call of a
process. Trustworthiness (scikit-learn, 10 neighbours, cosine in the original space) on 2,000 of the papers.
"""

from __future__ import annotations

import os

os.environ.setdefault("PAPERWIRE_THREADS", "2")
os.environ.setdefault("NUMBA_NUM_THREADS", os.environ["PAPERWIRE_THREADS"])

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from paperwire.threads import quiet_thread_pools

quiet_thread_pools()

import argparse
import json
import lzma
import time
import warnings
from collections.abc import Callable

import numpy as np

from paperwire.feed import field_map

VECTORS = REPO / "bench" / "out" / "served-75k" / "fast-vectors.npz"
CORPUS = REPO.parent / "shared" / "data" / "arxiv-daily-2025-2026" / "papers.jsonl.xz"
SAMPLE = 2000
LIBRARIES = ["openTSNE", "umap-learn", "PaCMAP"]


def load(path: Path) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    with np.load(path) as archive:
        ids, vectors = archive["ids"].astype(str), archive["vectors"].astype(np.float32)
    texts = {}
    with lzma.open(CORPUS, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            texts[row["id"]] = f"{row['title']}. {row['abstract']}"
    return ids, vectors, texts


def pick(ids: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(len(ids), min(n, len(ids)), replace=False))


def timed(work: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def trust(vectors: np.ndarray, coords: np.ndarray) -> float:
    from sklearn.manifold import trustworthiness

    rows = np.random.default_rng(1).choice(len(vectors), min(SAMPLE, len(vectors)), replace=False)
    return float(trustworthiness(vectors[rows], coords[rows], n_neighbors=10, metric="cosine"))


def product(n: int, ids: np.ndarray, vectors: np.ndarray, texts: dict[str, str]) -> None:
    """What the field_map job does, phase by phase."""
    rows = pick(ids, n)
    chosen, words = vectors[rows], [texts.get(pid, "") for pid in ids[rows]]
    coords, layout_s = timed(lambda: field_map.layout(chosen))
    numbers, cluster_s = timed(lambda: field_map.clusters(coords))  # type: ignore[arg-type]
    named, words_s = timed(lambda: field_map.cluster_words(words, numbers))  # type: ignore[arg-type]
    total = layout_s + cluster_s + words_s
    score = trust(chosen, coords)  # type: ignore[arg-type]
    print(
        f"paperwire n={len(rows):,}: layout (PCA-50 + openTSNE) {layout_s:.1f} s, k-means {cluster_s:.1f} s, "
        f"c-TF-IDF {words_s:.1f} s, total {total:.1f} s; {len(named)} clusters; trustworthiness {score:.3f}",  # type: ignore[arg-type]
        flush=True,
    )
    for number, label in list(named.items())[:8]:  # type: ignore[union-attr]
        print(f"    cluster {number} ({int(np.sum(numbers == number))} papers): {', '.join(label)}", flush=True)


def compare(n: int, ids: np.ndarray, vectors: np.ndarray, libraries: list[str]) -> None:
    """umap-learn, PaCMAP and openTSNE on the same PCA-50 input; HDBSCAN against k-means on the openTSNE layout."""
    from sklearn.decomposition import PCA

    rows = pick(ids, n)
    chosen = vectors[rows]
    reduced, pca_s = timed(lambda: PCA(50, random_state=0).fit_transform(chosen))
    print(f"compare n={len(rows):,}: PCA-50 {pca_s:.1f} s (included in each time below)", flush=True)
    threads = int(os.environ["PAPERWIRE_THREADS"])

    def opentsne() -> np.ndarray:
        return field_map.layout(chosen)

    def umap_layout() -> np.ndarray:
        import umap

        model = umap.UMAP(n_neighbors=15, min_dist=0.1, metric="cosine", n_jobs=threads)
        return np.asarray(model.fit_transform(reduced))

    def pacmap_layout() -> np.ndarray:
        import pacmap

        return np.asarray(pacmap.PaCMAP(n_components=2).fit_transform(reduced))

    layouts: dict[str, np.ndarray] = {}
    runs = (("openTSNE", opentsne, 1), ("umap-learn", umap_layout, 2), ("PaCMAP", pacmap_layout, 2))
    for name, run, repeat in [each for each in runs if each[0] in libraries]:
        for attempt in range(repeat):
            try:
                coords, seconds = timed(run)
            except ImportError:
                print(f"    {name}: not installed", flush=True)
                break
            extra = 0.0 if name == "openTSNE" else pca_s
            note = " (numba compiling)" if repeat > 1 and attempt == 0 else ""
            score = trust(chosen, coords)  # type: ignore[arg-type]
            print(f"    {name}{note}: {seconds + extra:.1f} s, trustworthiness {score:.3f}", flush=True)
            layouts[name] = coords  # type: ignore[assignment]
    if "openTSNE" not in layouts:
        return
    coords = layouts["openTSNE"]
    from sklearn.cluster import HDBSCAN

    size = max(field_map.MIN_CLUSTER, round(len(rows) * 0.01))
    for method in ("eom", "leaf"):
        found, seconds = timed(
            lambda method=method: HDBSCAN(
                min_cluster_size=size, cluster_selection_method=method, copy=True
            ).fit_predict(coords)
        )
        found = np.asarray(found)
        clustered = found[found >= 0]
        biggest = np.bincount(clustered).max() / len(found) if len(clustered) else 0.0
        print(
            f"    HDBSCAN ({method}, min size {size}): {seconds:.1f} s, {len(set(clustered.tolist()))} clusters, "
            f"{np.mean(found < 0):.0%} unclustered, largest {biggest:.0%}",
            flush=True,
        )
    found, seconds = timed(lambda: field_map.clusters(coords))
    biggest = np.bincount(np.asarray(found)).max() / len(coords)
    print(f"    k-means (k={field_map.cluster_count(len(coords))}): {seconds:.1f} s, largest {biggest:.0%}", flush=True)


def inline(sizes: list[int], ids: np.ndarray, vectors: np.ndarray, texts: dict[str, str]) -> None:
    """Small periods, drawn whole (field_map.draw) as a page request would; best of three."""
    for n in sizes:
        rows = pick(ids, n, seed=n)
        words = [texts.get(pid, "") for pid in ids[rows]]

        def draw(rows: np.ndarray = rows, words: list[str] = words) -> object:
            return field_map.draw(list(ids[rows]), vectors[rows], words)

        best = min(timed(draw)[1] for _ in range(3))
        print(f"inline n={n}: {best:.2f} s (best of 3)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=Path, default=VECTORS)
    parser.add_argument("--papers", type=int, nargs="*", default=[])
    parser.add_argument("--compare", type=int, nargs="*", default=[])
    parser.add_argument("--inline", type=int, nargs="*", default=[])
    parser.add_argument("--libraries", nargs="*", default=LIBRARIES, choices=LIBRARIES, help="what --compare runs")
    args = parser.parse_args()
    if not args.vectors.is_file():
        sys.exit(f"{args.vectors} is missing: run bench/served_scale.py once (it embeds the corpus and keeps it)")
    warnings.simplefilter("ignore", FutureWarning)
    ids, vectors, texts = load(args.vectors)
    print(f"{len(ids):,} vectors of {vectors.shape[1]} dimensions; threads {os.environ['PAPERWIRE_THREADS']}")
    inline(args.inline, ids, vectors, texts)
    for n in args.compare:
        compare(n, ids, vectors, args.libraries)
    for n in args.papers:
        product(n, ids, vectors, texts)


if __name__ == "__main__":
    main()
