"""The offline rankers by name (``dateline eval recs --rankers``), and evaluating several.

Kept apart from :mod:`dateline.rank.offline` (the log, the simple rankers, the replay)
and :mod:`dateline.rank.offline_blend` (the site's score), which both build on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from dateline.rank.offline import (
    CollaborativeRanker,
    ContentRanker,
    Impression,
    News,
    PopularityRanker,
    RandomRanker,
    Ranker,
    Report,
    evaluate,
)
from dateline.rank.offline_blend import BlendRanker

RANKERS = ("random", "popularity", "content", "collaborative", "blend")
# Rankers that need the articles' vectors (the caller embeds the titles: see eval_cmd).
NEEDS_VECTORS = frozenset({"content", "blend"})


def make_ranker(
    name: str,
    seed: int = 0,
    vectors: Mapping[str, np.ndarray] | None = None,
    news: Mapping[str, News] | None = None,
    impressions: Sequence[Impression] = (),
) -> Ranker:
    """A fresh ranker by name (each evaluation replays the log from nothing).

    ``blend`` (Dateline's, :mod:`dateline.rank.offline_blend`) also needs the news file
    and the log (each article's time is its first appearance in it)."""
    if name == "random":
        return RandomRanker(seed)
    if name == "popularity":
        return PopularityRanker()
    if name == "content":
        if vectors is None:
            raise ValueError("the content ranker needs the articles' vectors")
        return ContentRanker(vectors)
    if name == "collaborative":
        return CollaborativeRanker(seed)
    if name == "blend":
        if vectors is None or news is None:
            raise ValueError("the blend ranker needs the news file and the articles' vectors")
        return BlendRanker(news, vectors, impressions, seed)
    raise ValueError(f"unknown ranker {name!r}; choose from {', '.join(RANKERS)}")


def evaluate_all(
    news: dict[str, News],
    impressions: Sequence[Impression],
    names: Iterable[str],
    seed: int,
    vectors: Mapping[str, np.ndarray] | None = None,
) -> dict[str, Report]:
    """Each named ranker replays the whole log from nothing (no training split)."""
    reports: dict[str, Report] = {}
    for name in names:
        ranker = make_ranker(name, seed, vectors, news, impressions)
        reports[name] = evaluate(news, impressions, ranker, vectors)
    return reports
