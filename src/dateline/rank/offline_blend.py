"""The ``blend`` offline ranker: the site's own Recommendation score, replayed on a log.

It scores a MIND line's items with :func:`dateline.rank.recommend.score_components`, the
function the site's lists use, over a :class:`~dateline.enrich.corpus_index.CorpusIndex`
built from ``news.tsv``: MiniLM title vectors, the news file's categories, and each
article's time taken as its first appearance in the log (MIND has no dates). There are
no stories, entities or sources in a MIND log, so those signals are silent here.

As of each line, and only from what came before it (``learn`` is called after the lines
of a timestamp are scored, see :mod:`dateline.rank.offline`):

* the profile is the line's history plus the reader's earlier clicks, the history read
  at the line's time and each click at its own;
* popularity is the clicks before the line, decayed as :class:`PopularityRanker` does,
  squashed to [0, 1] like the site's prior (``rank.engagement.popularity_prior``);
* co-reading is a :class:`CollaborativeRanker`, refitted on its schedule.

``mmr_lambda`` (None: off) reorders each line's top ``SHOWN`` by MMR, as the site does,
for the diversity/accuracy curve: the chosen items get the top scores in MMR order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import numpy as np

from dateline.enrich.corpus_index import CorpusIndex
from dateline.enrich.mmr import mmr_step
from dateline.rank.offline import (
    SHOWN,
    CollaborativeRanker,
    Impression,
    News,
    PopularityRanker,
)
from dateline.rank.profile import Read, build_profile
from dateline.rank.recommend import score_components, total_score
from dateline.readers.controls import NO_CONTROLS


def news_index(
    news: Mapping[str, News],
    vectors: Mapping[str, np.ndarray],
    first_seen: Mapping[str, datetime],
) -> tuple[CorpusIndex, dict[str, int]]:
    """A CorpusIndex over the news file (row i is article id i); news id → id."""
    names = sorted(set(news) | set(first_seen))
    number = {n: i for i, n in enumerate(names)}
    dim = next((len(v) for v in vectors.values()), 1)
    matrix = np.zeros((len(names), dim), dtype=np.float32)
    has = np.zeros(len(names), dtype=bool)
    for n, i in number.items():
        v = vectors.get(n)
        if v is not None and float(np.linalg.norm(v)) > 0:
            matrix[i] = v / np.linalg.norm(v)
            has[i] = True
    at = np.array(
        [_epoch(first_seen[n]) if n in first_seen else 0.0 for n in names], dtype=np.float64
    )
    index = CorpusIndex(
        ids=np.arange(len(names), dtype=np.int64),
        vectors=matrix,
        has_vector=has,
        story=np.full(len(names), -1, dtype=np.int64),
        source=np.zeros(len(names), dtype=np.int64),
        farm=np.zeros(len(names), dtype=bool),
        at=at,
        undated=np.zeros(len(names), dtype=bool),
        category=[news[n].category if n in news else "" for n in names],
        titles=[news[n].title if n in news else n for n in names],
        entities=[() for _ in names],
    )
    return index, number


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def first_appearances(impressions: Sequence[Impression]) -> dict[str, datetime]:
    """Each article's first appearance in the log (history or shown): its time in MIND."""
    seen: dict[str, datetime] = {}
    for imp in impressions:
        for n in (*imp.history, *imp.items):
            if n not in seen or imp.at < seen[n]:
                seen[n] = imp.at
    return seen


class BlendRanker:
    """Dateline's Recommendation score as an offline ranker (see the module docstring)."""

    name = "blend"

    def __init__(
        self,
        news: Mapping[str, News],
        vectors: Mapping[str, np.ndarray],
        impressions: Sequence[Impression],
        seed: int = 0,
        mmr_lambda: float | None = None,
    ) -> None:
        self.index, self._number = news_index(news, vectors, first_appearances(impressions))
        self._popular = PopularityRanker()
        self._collab = CollaborativeRanker(seed)
        self._clicks: dict[str, list[tuple[str, datetime]]] = {}
        self.mmr_lambda = mmr_lambda

    def score(self, impression: Impression) -> Sequence[float]:
        at = impression.at
        reads = [Read(self._number[n], at) for n in impression.history if n in self._number]
        reads += [
            Read(self._number[n], when)
            for n, when in self._clicks.get(impression.user, ())
            if n in self._number
        ]
        profile = build_profile(self.index, reads, at)
        rows = np.array([self._number.get(n, -1) for n in impression.items], dtype=np.int64)
        known = rows >= 0
        safe = np.where(known, rows, 0)
        popularity = self._popularity(impression)
        collab = self._collab_scores(impression)
        parts = score_components(
            self.index,
            safe,
            profile,
            at,
            popularity,
            NO_CONTROLS,
            lambda _p, _r: collab,
        )
        scores = np.where(known, total_score(parts), 0.0)
        if self.mmr_lambda is not None:
            scores = self._mmr(safe, scores)
        return scores.tolist()

    def _popularity(self, impression: Impression) -> np.ndarray:
        """The prior over the index rows: this line's items only (the rest are unused)."""
        values = self._popular.score(impression)
        top = max(values, default=0.0)
        out = np.zeros(len(self.index))
        if top > 0:
            for n, v in zip(impression.items, values, strict=True):
                if n in self._number:
                    out[self._number[n]] = math.log1p(v) / math.log1p(top)
        return out

    def _collab_scores(self, impression: Impression) -> np.ndarray:
        raw = np.asarray(self._collab.score(impression), dtype=float)
        top = float(raw.max()) if raw.size else 0.0
        return np.clip(raw / top, 0.0, 1.0) if top > 0 else np.zeros(len(raw))

    def _mmr(self, rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """The top SHOWN reordered by MMR get the highest scores, in that order."""
        assert self.mmr_lambda is not None
        lam = self.mmr_lambda
        vectors = self.index.vectors
        left = list(np.argsort(-scores, kind="stable")[: max(SHOWN * 4, SHOWN)])
        picked: list[int] = []
        item_vectors = vectors[rows]  # positions in this line, not index rows
        while left and len(picked) < SHOWN:
            picked.append(left.pop(mmr_step(item_vectors, left, picked, scores, lam)))
        out = scores - (scores.max() - scores.min() + 1.0)  # everything below the picked
        for rank, k in enumerate(picked):
            out[k] = float(len(picked) - rank)
        return out

    def learn(self, impression: Impression) -> None:
        self._popular.learn(impression)
        self._collab.learn(impression)
        for n, label in zip(impression.items, impression.labels, strict=True):
            if label:
                self._clicks.setdefault(impression.user, []).append((n, impression.at))
