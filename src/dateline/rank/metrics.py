"""Offline recommendation metrics: MIND's accuracy metrics and four beyond-accuracy ones.

**Accuracy**, per impression (one shown list, its clicked and not-clicked items, the
ranker's scores), computed exactly as MIND's official scorer (``evaluate.py`` of the
msnews/MIND repository) computes them, so figures compare with published ones:

* **AUC**: scikit-learn's ``roc_auc_score`` (tied scores count half);
* **MRR**: Σ over clicked items of 1 / rank, divided by the number of clicks;
* **nDCG@k** (k = 5, 10): gain 2^label − 1, discount log2(rank + 1), over the ideal order.

Ranks come from ``np.argsort(scores)[::-1]``, as in the official scorer: among tied
scores the order is numpy's, so a ranker that ties often is measured as the scorer
measures it. Each metric is then the unweighted mean over impressions. An impression
without both a click and a non-click has no AUC: it is skipped, and counted as skipped.

**Beyond accuracy**, over the lists a ranker actually shows (its top ``k``):

* **ILD@k**: mean pairwise distance (1 − cosine) of a list's article vectors;
* **coverage**: the share of the catalogue that appears in any list;
* **calibration KL**: KL(p ‖ q̃) of category shares, p in the reader's history and q in
  the list, with q̃ = (1 − α)q + αp (Steck, "Calibrated recommendations", RecSys 2018;
  α = 0.01) so a category missing from the list costs much but not infinitely;
* **median age**: of the recommended articles at the time they were shown.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

# Steck's smoothing of the list's category shares toward the history's.
CALIBRATION_ALPHA = 0.01


def _ranked_labels(labels: Sequence[int], scores: Sequence[float]) -> np.ndarray:
    order = np.argsort(np.asarray(scores, dtype=float))[::-1]
    return np.take(np.asarray(labels, dtype=float), order)


def dcg(labels: Sequence[int], scores: Sequence[float], k: int) -> float:
    ranked = _ranked_labels(labels, scores)[:k]
    gains = 2.0**ranked - 1.0
    discounts = np.log2(np.arange(len(ranked)) + 2.0)
    return float(np.sum(gains / discounts))


def ndcg(labels: Sequence[int], scores: Sequence[float], k: int) -> float:
    """nDCG@k of one impression (its labels in the scores' order over the ideal order)."""
    return dcg(labels, scores, k) / dcg(labels, labels, k)


def mrr(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Σ 1/rank over the clicked items, divided by the number of clicks (MIND's MRR)."""
    ranked = _ranked_labels(labels, scores)
    return float(np.sum(ranked / (np.arange(len(ranked)) + 1.0)) / np.sum(ranked))


def auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(labels), np.asarray(scores, dtype=float)))


@dataclass(frozen=True)
class Accuracy:
    """Means over the scored impressions, and how many were skipped (one class only)."""

    auc: float
    mrr: float
    ndcg5: float
    ndcg10: float
    impressions: int
    skipped: int


def accuracy(impressions: Iterable[tuple[Sequence[int], Sequence[float]]]) -> Accuracy:
    """MIND's four metrics over ``(labels, scores)`` per impression (labels 1 = clicked)."""
    rows: list[tuple[float, float, float, float]] = []
    skipped = 0
    for labels, scores in impressions:
        if len(labels) != len(scores):
            raise ValueError(f"{len(labels)} labels but {len(scores)} scores")
        clicks = sum(1 for label in labels if label)
        if clicks == 0 or clicks == len(labels):
            skipped += 1
            continue
        rows.append(
            (
                auc(labels, scores),
                mrr(labels, scores),
                ndcg(labels, scores, 5),
                ndcg(labels, scores, 10),
            )
        )
    if not rows:
        nan = math.nan
        return Accuracy(nan, nan, nan, nan, 0, skipped)
    auc_, mrr_, ndcg5, ndcg10 = (float(x) for x in np.mean(np.asarray(rows), axis=0))
    return Accuracy(auc_, mrr_, ndcg5, ndcg10, impressions=len(rows), skipped=skipped)


def intra_list_distance(vectors: Sequence[np.ndarray] | np.ndarray) -> float:
    """Mean of 1 − cosine over the list's pairs (NaN for a list of fewer than two)."""
    matrix = np.asarray(vectors, dtype=float)
    if len(matrix) < 2:
        return math.nan
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    cosine = unit @ unit.T
    upper = np.triu_indices(len(matrix), k=1)
    return float(np.mean(1.0 - cosine[upper]))


def coverage(lists: Iterable[Iterable[Hashable]], catalogue_size: int) -> float:
    """The share of the catalogue recommended at least once."""
    if catalogue_size <= 0:
        raise ValueError("the catalogue is empty")
    shown = {item for items in lists for item in items}
    return len(shown) / catalogue_size


def calibration_kl(
    history: Iterable[str], recommended: Iterable[str], alpha: float = CALIBRATION_ALPHA
) -> float:
    """KL(p ‖ q̃) in nats between the history's and the list's category shares."""
    p, q = _shares(history), _shares(recommended)
    if not p or not q:
        return math.nan
    total = 0.0
    for category, share in p.items():
        smoothed = (1 - alpha) * q.get(category, 0.0) + alpha * share
        total += share * math.log(share / smoothed)
    return total


def _shares(categories: Iterable[str]) -> dict[str, float]:
    counts = Counter(categories)
    n = sum(counts.values())
    return {c: k / n for c, k in counts.items()} if n else {}


def median_age(shown: Iterable[tuple[datetime, datetime]]) -> timedelta | None:
    """Median of (shown at − article time) over recommended items; None when none."""
    seconds = [(at - published).total_seconds() for at, published in shown]
    return timedelta(seconds=statistics.median(seconds)) if seconds else None


@dataclass
class BeyondAccuracy:
    """Running sums for the beyond-accuracy metrics of one ranker's lists."""

    ild: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    ages: list[tuple[datetime, datetime]] = field(default_factory=list)
    lists: list[list[Hashable]] = field(default_factory=list)

    def add(
        self,
        items: Sequence[Hashable],
        *,
        vectors: Mapping[Any, np.ndarray],
        categories: Mapping[Any, str],
        history: Sequence[Hashable],
        shown_at: datetime,
        published: Mapping[Any, datetime],
    ) -> None:
        """Record one shown list (its top k) for the reader whose ``history`` it served."""
        self.lists.append(list(items))
        with_vectors = [vectors[i] for i in items if i in vectors]
        ild = intra_list_distance(with_vectors)
        if not math.isnan(ild):
            self.ild.append(ild)
        kl = calibration_kl(
            (categories[i] for i in history if i in categories),
            (categories[i] for i in items if i in categories),
        )
        if not math.isnan(kl):
            self.kl.append(kl)
        self.ages.extend((shown_at, published[i]) for i in items if i in published)

    def summary(self, catalogue_size: int) -> dict[str, float | None]:
        age = median_age(self.ages)
        return {
            "ild": float(np.mean(self.ild)) if self.ild else None,
            "coverage": coverage(self.lists, catalogue_size) if catalogue_size else None,
            "calibration_kl": float(np.mean(self.kl)) if self.kl else None,
            "median_age_hours": age.total_seconds() / 3600 if age is not None else None,
        }


__all__ = [
    "CALIBRATION_ALPHA",
    "Accuracy",
    "BeyondAccuracy",
    "accuracy",
    "auc",
    "calibration_kl",
    "coverage",
    "dcg",
    "intra_list_distance",
    "median_age",
    "mrr",
    "ndcg",
]
