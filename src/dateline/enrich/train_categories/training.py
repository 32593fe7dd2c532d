"""One full training run (``dateline train categories``): split, fit, score, refit.

The recipe and its evaluation protocol are described in
:mod:`dateline.enrich.train_categories`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dateline.enrich.categories import Embedder, LinearWeights, default_embedder
from dateline.enrich.train_categories.examples import (
    huffpost_examples,
    load_news_category,
    prototype_examples,
    split_rows,
    training_set,
    wikinews_examples,
)
from dateline.enrich.train_categories.fitting import (
    CachedEmbedder,
    fit,
    predict_labels,
    scores,
)
from dateline.enrich.train_categories.labels import map_huffpost
from dateline.enrich.train_categories.recipe import Recipe
from dateline.taxonomy import CATEGORIES


def train(
    data: Path,
    *,
    wikinews_path: Path | None = None,
    recipe: Recipe | None = None,
    embed: Embedder | None = None,
    refit_on_all: bool = True,
    limit: int | None = None,
    log: Callable[[str], None] = lambda _msg: None,
) -> tuple[LinearWeights, dict[str, Any]]:
    """Split, train, score on the held-out rows, then (by default) refit on all rows.

    Returns the weights to ship and the metrics (held-out scores, counts, recipe).
    """
    recipe = recipe or Recipe()
    embed = (
        embed if isinstance(embed, CachedEmbedder) else CachedEmbedder(embed or default_embedder)
    )
    started = time.perf_counter()
    rows = load_news_category(data, limit=limit)
    _, dropped = huffpost_examples(rows)
    train_rows, held_rows = split_rows(rows, recipe.seed)
    wikinews = wikinews_examples(wikinews_path) if wikinews_path and recipe.use_wikinews else []
    log(f"{len(rows)} rows: {len(train_rows)} train, {len(held_rows)} held out, "
        f"{sum(dropped.values())} dropped; {len(wikinews)} Wikinews rows")  # fmt: skip
    metadata = {
        "embedding_model": "sentence-transformers/all-MiniLM-L6-v2",
        "input": "title + lead (dateline.enrich.embed.article_text_for_embedding)",
        "training_data": "News Category Dataset (Rishabh Misra, 2022), CC BY 4.0; "
        "Wikinews (CC BY 2.5) categorised articles; invented prototypes",
        "recipe": recipe.as_dict(),
    }
    model = fit(training_set(train_rows, recipe, wikinews), embed, c=recipe.c, power=recipe.power,
                metadata={**metadata, "trained_on": "train split"})  # fmt: skip
    held_examples, _ = huffpost_examples(held_rows)
    held_vectors = embed([e.text for e in held_examples])
    held_scores = scores(
        [e.label for e in held_examples], predict_labels(model, held_vectors), CATEGORIES
    )
    log(f"held out: accuracy {held_scores['accuracy']:.3f}, macro-F1 {held_scores['macro_f1']:.3f}")
    if refit_on_all:
        mapped = train_rows + held_rows
        model = fit(training_set(mapped, recipe, wikinews), embed, c=recipe.c, power=recipe.power,
                    metadata={**metadata, "trained_on": "all mapped rows"})  # fmt: skip
    label_counts = Counter(map_huffpost(r["category"]) for r in train_rows + held_rows)
    metrics = {
        "held_out": held_scores,
        "rows": len(rows),
        "rows_mapped": len(train_rows) + len(held_rows),
        "rows_train": len(train_rows),
        "rows_held_out": len(held_rows),
        "rows_dropped": dict(sorted(dropped.items())),
        "label_counts": {c: label_counts.get(c, 0) for c in CATEGORIES},
        "wikinews_rows": len(wikinews),
        "prototype_rows": len(prototype_examples()) if recipe.use_prototypes else 0,
        "recipe": recipe.as_dict(),
        "shipped_model_trained_on": "all mapped rows" if refit_on_all else "train split",
        "seconds": round(time.perf_counter() - started, 1),
    }
    return model, metrics
