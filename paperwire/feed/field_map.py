"""A map of the field: papers laid out in two dimensions from their vectors, clustered, each cluster named by its
distinctive words. Pure functions over arrays and texts; period_map.py gathers a period's papers and caches.

Layout: PCA to at most 50 dimensions, then t-SNE (openTSNE, FFT-accelerated, cosine neighbours): of the
libraries measured (bench/field_map.py, README) it kept neighbourhoods best and installs lightest, no
numba/LLVM; it is the slowest, which the cached job absorbs. To the eye, on 5,000 real papers, t-SNE fills the
frame with even, separate regions; UMAP made two masses trailing filaments, PaCMAP two dense blobs where dots pile
on one another (hard to point at). Clusters: k-means on the 2-D layout, so that a cluster is a region a reader sees. Words: class-based TF-IDF (BERTopic's c-TF-IDF) over titles and abstracts.
"""

from __future__ import annotations

import math
import re
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from paperwire.threads import thread_count

PCA_DIMENSIONS = 50
SMALL = 24  # fewer papers than this: the first two principal components (t-SNE needs a neighbourhood)
TSNE_ITERATIONS = 500  # after openTSNE's 250 early-exaggeration iterations
MIN_CLUSTER = 5  # fewer than twice this many papers make one cluster
MAX_CLUSTERS = 30
LABEL_WORDS = 3
NOISE = -1  # a point in no cluster: cluster_words names no region for it
# Words that say what a paper is (an abstract's boilerplate), not what it is about: added to scikit-learn's list.
PAPER_WORDS = frozenset(
    [
        "paper",
        "propose",
        "proposed",
        "proposes",
        "approach",
        "approaches",
        "method",
        "methods",
        "results",
        "result",
        "show",
        "shows",
        "shown",
        "demonstrate",
        "demonstrates",
        "based",
        "using",
        "use",
        "used",
        "new",
        "novel",
        "existing",
        "work",
        "works",
        "study",
        "present",
        "presents",
        "introduce",
        "introduces",
        "performance",
        "task",
        "tasks",
        "experiments",
        "experimental",
        "extensive",
        "significantly",
        "achieve",
        "achieves",
        "state",
        "art",
        "code",
        "available",
        "github",
        "https",
        "com",
        "www",
        "leveraging",
        "leverage",
        "framework",
    ]
)
_TOKEN = r"(?u)\b[^\W\d_][^\W_]{2,}\b"  # words of three or more characters that start with a letter
_TAGS = re.compile(r"<[^>]*>|\$[^$]*\$")  # markup and inline maths are not words of the topic


@dataclass(frozen=True)
class Cluster:
    """A group of nearby papers: its number, its distinctive words, where to write them, how many papers."""

    number: int
    words: tuple[str, ...]
    x: float
    y: float
    size: int

    @property
    def label(self) -> str:
        return ", ".join(self.words)


@dataclass(frozen=True)
class FieldMap:
    """Papers at positions in the unit square, each in a cluster, and the clusters' labels (largest first).

    `key` identifies the papers it was drawn from (period_map.papers_key); `missing` lists papers that had no
    vector and are not on the map."""

    ids: tuple[str, ...]
    coords: np.ndarray  # (n, 2) float, each coordinate in [0, 1]
    clusters: np.ndarray  # (n,) int: a Cluster.number
    labels: tuple[Cluster, ...]
    key: str = ""
    method: str = ""
    missing: tuple[str, ...] = ()
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (coordinates rounded to 1e-4 of the square: finer than any screen shows)."""
        return {
            "key": self.key,
            "method": self.method,
            "seconds": round(self.seconds, 3),
            "ids": list(self.ids),
            "coords": np.round(self.coords, 4).tolist(),
            "clusters": self.clusters.astype(int).tolist(),
            "labels": [
                {"number": c.number, "words": list(c.words), "x": c.x, "y": c.y, "size": c.size} for c in self.labels
            ],
            "missing": list(self.missing),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FieldMap:
        """The map as_dict wrote; ValueError, KeyError or TypeError for anything else."""
        ids = tuple(str(pid) for pid in data["ids"])
        coords = np.asarray(data["coords"], dtype=np.float64).reshape(-1, 2)
        clusters = np.asarray(data["clusters"], dtype=np.int64).reshape(-1)
        if not len(ids) == len(coords) == len(clusters):
            raise ValueError(f"{len(ids)} ids, {len(coords)} points and {len(clusters)} cluster numbers")
        return cls(
            ids=ids,
            coords=coords,
            clusters=clusters,
            labels=tuple(
                Cluster(c["number"], tuple(c["words"]), float(c["x"]), float(c["y"]), int(c["size"]))
                for c in data["labels"]
            ),
            key=data.get("key", ""),
            method=data.get("method", ""),
            missing=tuple(data.get("missing", ())),
            seconds=float(data.get("seconds", 0.0)),
        )


def layout(vectors: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """2-D positions in the unit square for rows of `vectors`: t-SNE after PCA; PCA alone below SMALL rows."""
    vectors = np.asarray(vectors, dtype=np.float32)
    n = len(vectors)
    if n == 0:
        return np.zeros((0, 2))
    if n == 1:
        return np.full((1, 2), 0.5)
    reduced = _pca(vectors, PCA_DIMENSIONS if n >= SMALL else 2, seed)
    if n < SMALL:
        return _unit_square(reduced)
    from openTSNE import TSNE

    tsne = TSNE(
        perplexity=min(30.0, (n - 1) / 3.0),
        metric="cosine",
        n_iter=TSNE_ITERATIONS,
        n_jobs=thread_count(),
        random_state=seed,
        verbose=False,
    )
    return _unit_square(np.asarray(tsne.fit(reduced)))


def _pca(vectors: np.ndarray, dimensions: int, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    dimensions = min(dimensions, vectors.shape[1], len(vectors))
    if dimensions >= vectors.shape[1]:
        return vectors - vectors.mean(axis=0)
    return PCA(dimensions, random_state=seed, svd_solver="auto").fit_transform(vectors)


def _unit_square(points: np.ndarray) -> np.ndarray:
    """Scale both axes by the same factor into [0, 1], centred; a stray far point is pulled in to the edge."""
    points = np.asarray(points, dtype=np.float64)[:, :2]
    if points.shape[1] < 2:
        points = np.hstack([points, np.zeros((len(points), 2 - points.shape[1]))])
    low, high = np.percentile(points, 0.5, axis=0), np.percentile(points, 99.5, axis=0)
    span = float(np.max(high - low))
    if span <= 0:
        return np.full(points.shape, 0.5)
    scaled = (points - (low + high) / 2) / span + 0.5
    return np.clip(scaled, 0.0, 1.0)


def cluster_count(n: int) -> int:
    """How many regions a map of `n` papers is cut into: about sqrt(n / 5), from 2 to MAX_CLUSTERS."""
    return int(min(MAX_CLUSTERS, max(2, round(math.sqrt(n / 5)))))


def clusters(coords: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """A cluster number per point: k-means on the layout with cluster_count(n) clusters, numbered by size.

    HDBSCAN was tried first (bench/field_map.py): on real weeks it either left a third to a half of the papers
    unclustered (leaf selection) or put 40% in one cluster (excess of mass); k-means gives every paper a region."""
    n = len(coords)
    if n < 2 * MIN_CLUSTER:
        return np.zeros(n, dtype=np.int64)  # too few papers to split: one group
    from sklearn.cluster import KMeans

    found = KMeans(cluster_count(n), n_init=3, random_state=seed).fit_predict(coords)
    sizes = np.bincount(found)
    order = np.argsort(-sizes, kind="stable")
    renumber = np.empty_like(order)
    renumber[order] = np.arange(len(order))
    return np.asarray(renumber[found], dtype=np.int64)


def cluster_words(texts: Sequence[str], numbers: np.ndarray, *, top: int = LABEL_WORDS) -> dict[int, tuple[str, ...]]:
    """Each cluster's `top` most distinctive words by c-TF-IDF: a word's share of the cluster's words times
    log(1 + average words per cluster / the word's count over all clusters). A word must occur in at least two
    of the cluster's papers (one paper's pet word does not name a topic) unless the cluster has only one; of a
    word with and without a final s (agent, agents), only the higher-scoring one is kept."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    numbers = np.asarray(numbers)
    wanted = sorted({int(n) for n in numbers if n != NOISE})
    if not wanted or not len(texts):
        return {}
    cleaned = [_TAGS.sub(" ", text) for text in texts]
    vectorizer = CountVectorizer(
        lowercase=True, token_pattern=_TOKEN, stop_words=sorted(ENGLISH_STOP_WORDS | PAPER_WORDS), dtype=np.int32
    )
    try:
        counts = vectorizer.fit_transform(cleaned).tocsr()
    except ValueError:  # nothing but stop words
        return {number: () for number in wanted}
    vocabulary = vectorizer.get_feature_names_out()
    from scipy import sparse

    classes = sorted({int(n) for n in numbers})  # noise is a class too: its words are common, not distinctive
    row_of = {number: i for i, number in enumerate(classes)}
    member = sparse.csr_matrix(
        (np.ones(len(numbers)), ([row_of[int(n)] for n in numbers], np.arange(len(numbers)))),
        shape=(len(classes), len(numbers)),
    )
    per_class = np.asarray((member @ counts).todense(), dtype=np.float64)
    papers_with = np.asarray((member @ (counts > 0).astype(np.int32)).todense())
    totals = per_class.sum(axis=1, keepdims=True)
    frequency = np.maximum(per_class / np.maximum(totals, 1), 0)
    idf = np.log1p(totals.mean() / np.maximum(per_class.sum(axis=0), 1))
    score = frequency * idf
    words: dict[int, tuple[str, ...]] = {}
    for number in wanted:
        row = row_of[number]
        size = int(np.sum(numbers == number))
        eligible = papers_with[row] >= min(2, size)
        chosen: dict[str, str] = {}  # one of "agent" and "agents": keyed by the word without a final s
        for i in np.argsort(-score[row], kind="stable"):
            if score[row, i] <= 0:
                break
            if not eligible[i]:
                continue
            word = str(vocabulary[i])
            chosen.setdefault(word[:-1] if word.endswith("s") and len(word) > 3 else word, word)
            if len(chosen) == top:
                break
        words[number] = tuple(chosen.values())
    return words


def draw(
    ids: Sequence[str],
    vectors: np.ndarray,
    texts: Sequence[str],
    *,
    key: str = "",
    missing: Sequence[str] = (),
    seed: int = 0,
) -> FieldMap:
    """The map of papers `ids` with their vectors and texts (title and abstract), rows in the same order."""
    if not len(ids) == len(vectors) == len(texts):
        raise ValueError(f"{len(ids)} ids, {len(vectors)} vectors and {len(texts)} texts: one of each per paper")
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # scikit-learn's notices about future defaults
        coords = layout(vectors, seed=seed)
        numbers = clusters(coords)
        named = cluster_words(texts, numbers)
    labels = []
    for number, words in named.items():
        inside = coords[numbers == number]
        x, y = np.median(inside, axis=0)
        labels.append(Cluster(number, words, round(float(x), 4), round(float(y), 4), len(inside)))
    labels.sort(key=lambda c: -c.size)
    method = "pca" if len(ids) < SMALL else f"pca{PCA_DIMENSIONS}+opentsne+kmeans"
    return FieldMap(
        ids=tuple(ids),
        coords=coords,
        clusters=numbers,
        labels=tuple(labels),
        key=key,
        method=method,
        missing=tuple(missing),
        seconds=time.perf_counter() - started,
    )
