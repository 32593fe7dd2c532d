"""Training rows: reading the data sets, turning them into labelled :class:`Example` rows,
and splitting them (stratified, seeded) into training and held-out rows.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dateline.enrich.categories import model_text
from dateline.enrich.train_categories.labels import PROTOTYPES, map_huffpost, wikinews_label
from dateline.enrich.train_categories.recipe import (
    HELD_OUT_FRACTION,
    PROTOTYPE_WEIGHT,
    SPLIT_SEED,
    Recipe,
)
from dateline.taxonomy import CATEGORIES, TAXONOMY


@dataclass(frozen=True)
class Example:
    """One training or evaluation row: the text the model reads, its label, where it came from."""

    text: str
    label: str
    source: str
    weight: float = 1.0


def load_news_category(path: Path, *, limit: int | None = None) -> list[dict[str, str]]:
    """The raw rows (``headline``, ``short_description``, ``category``) of the JSONL(.gz)."""
    opener = gzip.open if path.suffix == ".gz" else open
    rows: list[dict[str, str]] = []
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
                if limit is not None and len(rows) >= limit:
                    break
    return rows


def huffpost_examples(rows: Sequence[dict[str, str]]) -> tuple[list[Example], Counter[str]]:
    """Mapped rows as ``headline. short_description``; and the count of dropped sections."""
    out: list[Example] = []
    dropped: Counter[str] = Counter()
    for row in rows:
        label = map_huffpost(row.get("category", ""))
        if label is None:
            dropped[row.get("category", "")] += 1
            continue
        out.append(
            Example(
                model_text(row.get("headline", ""), row.get("short_description", "")),
                label,
                "huffpost",
            )
        )
    return out, dropped


def headline_copies(rows: Sequence[dict[str, str]]) -> list[Example]:
    return [
        Example(" ".join(row.get("headline", "").split()), label, "huffpost-headline")
        for row in rows
        if (label := map_huffpost(row.get("category", ""))) is not None
        and row.get("headline", "").strip()
    ]


def wikinews_examples(path: Path) -> list[Example]:
    out: list[Example] = []
    if not path.exists():
        return out
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            article = json.loads(line)
            label = wikinews_label(article.get("categories") or [])
            if label is not None:
                out.append(
                    Example(model_text(article["title"], article["body"]), label, "wikinews")
                )
    return out


def prototype_examples(weight: float = PROTOTYPE_WEIGHT) -> list[Example]:
    out = [Example(TAXONOMY[c], c, "prototype", weight) for c in CATEGORIES]
    out.extend(Example(t, c, "prototype", weight) for c in CATEGORIES for t in PROTOTYPES[c])
    return out


def stratified_split(
    labels: Sequence[str], *, fraction: float = HELD_OUT_FRACTION, seed: int = SPLIT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, held_out)``: ``fraction`` of each class held out, seeded."""
    rng = np.random.default_rng(seed)
    train: list[int] = []
    held: list[int] = []
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    for label in sorted(by_label):
        members = np.array(by_label[label])
        rng.shuffle(members)
        n_held = round(len(members) * fraction) if len(members) > 1 else 0
        held.extend(int(i) for i in members[:n_held])
        train.extend(int(i) for i in members[n_held:])
    return np.array(sorted(train), dtype=int), np.array(sorted(held), dtype=int)


def training_set(
    rows: Sequence[dict[str, str]], recipe: Recipe, wikinews: Sequence[Example]
) -> list[Example]:
    """HuffPost rows (+ headline copies) + prototypes + Wikinews, per ``recipe``."""
    examples, _ = huffpost_examples(rows)
    for _ in range(recipe.headline_copies):
        examples.extend(headline_copies(rows))
    if recipe.use_prototypes:
        examples.extend(prototype_examples(recipe.prototype_weight))
    if recipe.use_wikinews:
        examples.extend(wikinews)
    return examples


def split_rows(
    rows: Sequence[dict[str, str]], seed: int = SPLIT_SEED
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The mapped rows, split stratified into ``(train, held_out)``."""
    mapped = [r for r in rows if map_huffpost(r.get("category", "")) is not None]
    labels = [map_huffpost(r["category"]) or "" for r in mapped]
    train, held = stratified_split(labels, seed=seed)
    return [mapped[i] for i in train], [mapped[i] for i in held]
