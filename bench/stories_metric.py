"""BCubed precision, recall and F1 of a clustering against gold classes (importable).

Also what both story benchmarks report beside it (:func:`clustering_scores`) and their
offline reference (:func:`agglomerative`).

Bagga & Baldwin (1998), as in Amigó et al. (2009): for each item, precision is the share
of the items in its predicted cluster that share its gold class (itself included), recall
the share of the items in its gold class that share its predicted cluster; both are
averaged over items and F1 is the harmonic mean of the two averages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any


def bcubed(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> dict[str, float]:
    """``{"precision", "recall", "f1"}`` for parallel sequences of labels (one per item)."""
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold must label the same items")
    if not gold:
        raise ValueError("no items")
    size_pred = Counter(predicted)
    size_gold = Counter(gold)
    both = Counter(zip(predicted, gold, strict=True))
    precision = sum(both[(p, g)] / size_pred[p] for p, g in zip(predicted, gold, strict=True))
    recall = sum(both[(p, g)] / size_gold[g] for p, g in zip(predicted, gold, strict=True))
    precision /= len(gold)
    recall /= len(gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def clustering_scores(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> dict[str, float]:
    """BCubed, the adjusted Rand index (scikit-learn) and the number of predicted clusters."""
    from sklearn.metrics import adjusted_rand_score

    out = bcubed(predicted, gold)
    out["ari"] = float(adjusted_rand_score(list(gold), list(predicted)))
    out["clusters"] = float(len(set(predicted)))
    return out


def agglomerative(matrix: Any, distance: float) -> list[int]:
    """Average-linkage agglomerative clustering on cosine distance, cut at ``distance``."""
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    )
    return [int(x) for x in model.fit_predict(matrix)]
