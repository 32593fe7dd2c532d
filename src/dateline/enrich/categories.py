"""Article categories: a fixed taxonomy and the classifier that assigns it.

A page's own category ("Markets", "Contact" on a content farm) is only a *claim*; this
module decides what an article is about, from its text, into one of :data:`TAXONOMY`'s
eleven categories.

**The model** (trained by :mod:`dateline.enrich.train_categories`, ``dateline train
categories``) is a multinomial logistic regression over the article's all-MiniLM-L6-v2
sentence embedding — 11 × 384 weights and 11 biases in a small ``.npz`` file shipped as
package data (``dateline/data/models/categories.npz``, loaded with ``allow_pickle=False``:
plain float and string arrays, no pickled objects). It embeds the same text as the story
stage (:func:`dateline.enrich.embed.article_text_for_embedding`: title + lead), so an
article's stored vector can be classified with :meth:`CategoryModel.predict_vector` at
the cost of one small matrix product.

**English only.** MiniLM is an English model and the training data is English; an article
whose language is known (or detected) and is not English gets ``category=None`` with the
reason, never a guess.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

# The taxonomy lives below every stage (the store reads it too); re-exported here.
from dateline.taxonomy import CATEGORIES as CATEGORIES
from dateline.taxonomy import TAXONOMY as TAXONOMY

MODEL_PACKAGE = "dateline"
MODEL_RESOURCE = "data/models/categories.npz"
FORMAT_VERSION = 1

# (title, text) -> one string; and list of strings -> (n, d) float32 unit vectors.
Embedder = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class CategoryPrediction:
    """The classifier's answer for one article.

    ``category`` is None when the model declines (non-English or empty text); ``reason``
    then says why. ``scores`` holds every category's probability (they sum to 1; empty
    when declined). Unpacks as the pair ``category, probability``.
    """

    category: str | None
    probability: float
    scores: dict[str, float] = field(default_factory=dict)
    reason: str | None = None

    def __iter__(self) -> Iterator[Any]:
        yield self.category
        yield self.probability

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "probability": self.probability,
            "scores": dict(self.scores),
            "reason": self.reason,
        }


def model_text(title: str, text: str) -> str:
    """What the model reads: the title, then the lead of ``text`` (shared with stories)."""
    from dateline.enrich.embed import article_text_for_embedding

    return article_text_for_embedding(title or "", text or "")


def decline_reason(language: str | None, text: str) -> str | None:
    """None when ``text`` can be classified, else why not (non-English, empty)."""
    from dateline.enrich.embed import article_embedding_status

    reason = article_embedding_status(language, text)
    if reason is not None and reason.startswith("language"):
        return reason.replace(
            "the embedding model reads English only", "the category model reads English only"
        )
    return reason


def default_embedder(texts: Sequence[str]) -> np.ndarray:
    """MiniLM vectors through the shared, lazily loaded model of :mod:`dateline.enrich.embed`:
    always the bundled MiniLM, whatever DATELINE_EMBED_MODEL says (trained on its vectors)."""
    from dateline.enrich.embed import bundled_model, embed_texts

    return embed_texts(texts, model=bundled_model())


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return np.asarray(exp / exp.sum(axis=-1, keepdims=True), dtype=np.float64)


@dataclass(frozen=True)
class LinearWeights:
    """A softmax-linear model: ``p = softmax(x @ coef.T + intercept)``, plus its provenance."""

    classes: tuple[str, ...]
    coef: np.ndarray  # (n_classes, dimensions) float32
    intercept: np.ndarray  # (n_classes,) float32
    metadata: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        x = np.asarray(vectors, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        logits = x.astype(np.float64) @ self.coef.T.astype(np.float64) + self.intercept
        return softmax(logits)

    def save(self, path: Path) -> None:
        """Write the ``.npz`` (no pickles: float arrays, a string array and a JSON string)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = dict(self.metadata)
        meta["format_version"] = FORMAT_VERSION
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                classes=np.array(self.classes, dtype=np.str_),
                coef=np.asarray(self.coef, dtype=np.float32),
                intercept=np.asarray(self.intercept, dtype=np.float32),
                metadata=np.array(json.dumps(meta, sort_keys=True), dtype=np.str_),
            )

    @classmethod
    def from_bytes(cls, data: bytes) -> LinearWeights:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            classes = tuple(str(c) for c in npz["classes"])
            coef = np.asarray(npz["coef"], dtype=np.float32)
            intercept = np.asarray(npz["intercept"], dtype=np.float32)
            metadata = json.loads(str(npz["metadata"]))
        if coef.shape != (len(classes), coef.shape[1]) or intercept.shape != (len(classes),):
            raise ValueError("category model file is inconsistent (shapes do not match)")
        return cls(classes=classes, coef=coef, intercept=intercept, metadata=metadata)


def packaged_model_bytes() -> bytes:
    """The shipped model file, read from package data (works from a wheel or a checkout)."""
    return resources.files(MODEL_PACKAGE).joinpath(MODEL_RESOURCE).read_bytes()


class CategoryModel:
    """Classify articles into :data:`TAXONOMY`.

    >>> model = CategoryModel.load()                      # doctest: +SKIP
    >>> category, probability = model.predict(title, body)  # doctest: +SKIP
    """

    def __init__(self, weights: LinearWeights, embedder: Embedder | None = None) -> None:
        self.weights = weights
        self._embedder = embedder

    @classmethod
    def load(
        cls, path: Path | str | None = None, embedder: Embedder | None = None
    ) -> CategoryModel:
        """The model at ``path``, or the one shipped with the package when None."""
        data = Path(path).read_bytes() if path is not None else packaged_model_bytes()
        return cls(LinearWeights.from_bytes(data), embedder)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.weights.classes

    @property
    def metadata(self) -> dict[str, Any]:
        return self.weights.metadata

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return (self._embedder or default_embedder)(texts)

    def predict(
        self, title: str, text: str = "", *, language: str | None = None
    ) -> CategoryPrediction:
        """Category and probability of one article (``language``: as extracted, if known)."""
        return self.predict_many([(title, text)], languages=[language])[0]

    def predict_many(
        self,
        items: Iterable[tuple[str, str]],
        *,
        languages: Sequence[str | None] | None = None,
        vectors: Sequence[np.ndarray | None] | None = None,
    ) -> list[CategoryPrediction]:
        """:meth:`predict` for many ``(title, text)`` pairs, embedded in batches.

        ``vectors``: MiniLM vectors of :func:`model_text` already at hand (stored ones), by
        item, None where there is none; those items are not embedded again.
        """
        pairs = list(items)
        langs: Sequence[str | None] = languages if languages is not None else [None] * len(pairs)
        known: Sequence[np.ndarray | None] = vectors if vectors is not None else [None] * len(pairs)
        if len(langs) != len(pairs) or len(known) != len(pairs):
            raise ValueError("languages and vectors must have one entry per item")
        results: list[CategoryPrediction | None] = [None] * len(pairs)
        todo: list[tuple[int, str]] = []
        for index, ((title, text), language) in enumerate(zip(pairs, langs, strict=True)):
            joined = model_text(title, text)
            reason = decline_reason(language, joined)
            if reason is not None:
                results[index] = CategoryPrediction(None, 0.0, {}, reason)
            else:
                todo.append((index, joined))
        if todo:
            missing = [joined for index, joined in todo if known[index] is None]
            made = iter(self.embed(missing)) if missing else iter(())
            matrix = np.stack([v if (v := known[i]) is not None else next(made) for i, _ in todo])
            for (index, _), prediction in zip(todo, self.predict_vectors(matrix), strict=True):
                results[index] = prediction
        return [r for r in results if r is not None]

    def predict_vector(self, vector: np.ndarray) -> CategoryPrediction:
        """Classify an article from its stored MiniLM vector (no embedding needed)."""
        return self.predict_vectors(np.asarray(vector)[None, :])[0]

    def predict_vectors(self, vectors: np.ndarray) -> list[CategoryPrediction]:
        probabilities = self.weights.probabilities(vectors)
        out = []
        for row in probabilities:
            best = int(np.argmax(row))
            scores = {c: float(p) for c, p in zip(self.classes, row, strict=True)}
            out.append(CategoryPrediction(self.classes[best], float(row[best]), scores))
        return out


_lock = threading.Lock()
_default: CategoryModel | None = None


def default_model() -> CategoryModel:
    """The shipped model, loaded once per process (thread-safe)."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = CategoryModel.load()
    return _default


def classify(title: str, text: str = "", *, language: str | None = None) -> CategoryPrediction:
    """Shortcut: :meth:`CategoryModel.predict` with the shipped model."""
    return default_model().predict(title, text, language=language)
