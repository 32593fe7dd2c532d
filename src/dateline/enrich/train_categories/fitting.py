"""Fitting and scoring: cached embeddings, the weighted logistic regression, the metrics.

:class:`CachedEmbedder` embeds each distinct text once (optionally kept on disk);
:func:`fit` trains the softmax-linear model the classifier ships; :func:`scores` and
:func:`predict_labels` measure it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dateline.enrich.categories import Embedder, LinearWeights
from dateline.enrich.train_categories.examples import Example
from dateline.enrich.train_categories.recipe import CLASS_WEIGHT_POWER, C
from dateline.taxonomy import CATEGORIES


class CachedEmbedder:
    """Memoises an embedder per text (each distinct text is embedded once per run).

    With ``cache_file`` the memo is also kept on disk (an ``.npz`` of SHA-1 keys and
    float32 vectors, no pickles), so benchmark re-runs skip the slow embedding.
    """

    def __init__(self, embedder: Embedder, cache_file: Path | None = None) -> None:
        self.embedder = embedder
        self.cache_file = cache_file
        self.memo: dict[str, np.ndarray] = {}
        if cache_file is not None and cache_file.exists():
            with np.load(cache_file, allow_pickle=False) as npz:
                for key, vector in zip(npz["keys"], npz["vectors"], strict=True):
                    self.memo[str(key)] = vector

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.memo))
        if missing:
            by_key = dict(zip(keys, texts, strict=True))
            vectors = np.asarray(self.embedder([by_key[k] for k in missing]), dtype=np.float32)
            self.memo.update(zip(missing, vectors, strict=True))
            self.save()
        if not keys:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self.memo[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        if self.cache_file is None:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.memo)
        with self.cache_file.open("wb") as handle:
            np.savez(
                handle,
                keys=np.array(keys, dtype=np.str_),
                vectors=np.stack([self.memo[k] for k in keys]),
            )


def class_weights(labels: Sequence[str], power: float = CLASS_WEIGHT_POWER) -> dict[str, float]:
    counts = Counter(labels)
    n, k = len(labels), len(counts)
    return {label: (n / (k * count)) ** power for label, count in counts.items()}


def fit(
    examples: Sequence[Example],
    embed: Embedder,
    *,
    c: float = C,
    power: float = CLASS_WEIGHT_POWER,
    metadata: dict[str, Any] | None = None,
) -> LinearWeights:
    """Embed ``examples`` and fit the weighted logistic regression (deterministic)."""
    from sklearn.linear_model import LogisticRegression

    vectors = np.asarray(embed([e.text for e in examples]), dtype=np.float32)
    labels = [e.label for e in examples]
    weights = class_weights(labels, power)
    sample_weight = np.array([weights[e.label] * e.weight for e in examples], dtype=np.float64)
    model = LogisticRegression(C=c, max_iter=5000, tol=1e-6)
    model.fit(vectors.astype(np.float64), labels, sample_weight=sample_weight)
    known = [str(x) for x in model.classes_]
    # Rows in taxonomy order; a class absent from the data gets a very negative bias.
    coef = np.zeros((len(CATEGORIES), vectors.shape[1]), dtype=np.float32)
    intercept = np.full(len(CATEGORIES), -30.0, dtype=np.float32)
    for row, label in enumerate(known):
        at = CATEGORIES.index(label)
        coef[at] = model.coef_[row]
        intercept[at] = model.intercept_[row]
    return LinearWeights(CATEGORIES, coef, intercept, dict(metadata or {}))


def scores(
    gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]
) -> dict[str, Any]:
    """Accuracy, macro-F1 over ``labels`` and per-class precision/recall/F1/support."""
    per_class: dict[str, dict[str, float]] = {}
    f1s = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
        f1s.append(f1)
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    return {
        "n": len(gold),
        "accuracy": round(correct / len(gold), 4) if gold else 0.0,
        "macro_f1": round(float(np.mean(f1s)), 4) if f1s else 0.0,
        "per_class": per_class,
    }


def predict_labels(weights: LinearWeights, vectors: np.ndarray) -> list[str]:
    probabilities = weights.probabilities(vectors)
    return [weights.classes[int(i)] for i in probabilities.argmax(axis=1)]
