"""A reader's taste over paper vectors: fitted from the papers they keep and the ones they wave away.

Four rankings, measured against each other by `paperwire eval-recs` (paperwire.recommend.evaluation):
  centroid  cosine to the mean of the reader's papers (Rocchio; minus half the mean of their dismissals)
  nearest   the mean of the two highest cosines to any one of the reader's papers, so a reader with two
            interests gets both instead of the empty middle between them
  logistic  logistic regression, the reader's papers against background papers and their dismissals
  svm       a linear SVM on the same examples, as arxiv-sanity does on tf-idf
The background is a sample of the candidates themselves (most new papers are not for any one reader),
so the fit needs no data beyond what is being ranked. Every vector is L2-normalised, so a dot product
is a cosine. Fitting takes milliseconds for a few thousand examples; scoring is one matrix product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

Method = Literal["centroid", "nearest", "logistic", "svm"]
METHODS: tuple[Method, ...] = ("centroid", "nearest", "logistic", "svm")
DEFAULT_METHOD: Method = "svm"  # the site fuses it with the upvotes: settings.for_you_method, chosen by eval-recs
MIN_FOR_MODEL = 3  # fewer of the reader's own papers than this: a trained model is noise, use the centroid
BACKGROUND = 2000  # background papers a trained model sees
NEGATIVE_WEIGHT = 0.5  # the centroid's pull of dismissals: half as hard as the reader's papers
NEAREST_K = 2  # the nearest method averages this many best cosines
LOGISTIC_C = 1.0
SVM_C = 0.1


@dataclass(frozen=True)
class Taste:
    """A fitted taste: `score` ranks candidate vectors, `positives` (one row per reader paper) give the reasons."""

    method: Method
    positives: np.ndarray
    weights: np.ndarray  # (d,) direction (centroid, logistic, svm); unused by nearest
    bias: float = 0.0
    dismissed: np.ndarray | None = None

    def score(self, candidates: np.ndarray) -> np.ndarray:
        """One score per candidate row, higher is better (comparable within one call)."""
        if not len(candidates):
            return np.zeros(0, dtype=np.float32)
        if self.method != "nearest":
            return candidates @ self.weights + self.bias
        sims = candidates @ self.positives.T
        k = min(NEAREST_K, sims.shape[1])
        best = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:] if k < sims.shape[1] else sims
        scores = best.mean(axis=1)
        if self.dismissed is not None and len(self.dismissed):
            scores = scores - NEGATIVE_WEIGHT * np.maximum((candidates @ self.dismissed.T).max(axis=1), 0.0)
        return scores

    def closest(self, candidate: np.ndarray, count: int = 2, floor: float = 0.3) -> list[tuple[int, float]]:
        """The reader's papers nearest to one candidate, as (row in `positives`, cosine), at least `floor`."""
        sims = self.positives @ candidate
        order = np.argsort(-sims)[:count]
        return [(int(i), float(sims[i])) for i in order if sims[i] >= floor]


def fit_taste(
    positives: np.ndarray,
    background: np.ndarray,
    dismissed: np.ndarray | None = None,
    *,
    method: Method = DEFAULT_METHOD,
    seed: int = 0,
) -> Taste:
    """Fit `method` to a reader's papers (rows of `positives`, at least one), background papers and dismissals.

    A trained method (logistic, svm) with fewer than MIN_FOR_MODEL positives falls back to the centroid.
    """
    if not len(positives):
        raise ValueError("a taste needs at least one of the reader's papers")
    positives = np.asarray(positives, dtype=np.float32)
    dismissed = None if dismissed is None or not len(dismissed) else np.asarray(dismissed, dtype=np.float32)
    if method in ("logistic", "svm") and len(positives) < MIN_FOR_MODEL:
        method = "centroid"
    if method == "nearest":
        return Taste("nearest", positives, np.zeros(positives.shape[1], np.float32), dismissed=dismissed)
    if method == "centroid":
        target = positives.mean(axis=0)
        if dismissed is not None:
            target = target - NEGATIVE_WEIGHT * dismissed.mean(axis=0)
        return Taste("centroid", positives, (target / (np.linalg.norm(target) or 1.0)).astype(np.float32))
    rng = np.random.default_rng(seed)
    if len(background) > BACKGROUND:
        background = background[rng.choice(len(background), BACKGROUND, replace=False)]
    negatives = background if dismissed is None else np.vstack([background, dismissed])
    x = np.vstack([positives, negatives])
    y = np.r_[np.ones(len(positives)), np.zeros(len(negatives))]
    if method == "logistic":
        from sklearn.linear_model import LogisticRegression

        model: LogisticRegression | LinearSVC = LogisticRegression(
            C=LOGISTIC_C, class_weight="balanced", solver="liblinear", max_iter=300
        )
    else:
        from sklearn.svm import LinearSVC

        model = LinearSVC(C=SVM_C, class_weight="balanced", max_iter=5000)
    model.fit(x, y)
    return Taste(method, positives, model.coef_[0].astype(np.float32), float(model.intercept_[0]))
