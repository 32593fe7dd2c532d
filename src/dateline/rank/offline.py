"""Offline evaluation of rankers on MIND-format logs: ``news.tsv`` plus ``behaviors.tsv``.

The files are MIND's (Microsoft News Dataset) or the site's own, written by ``dateline
events export``. Each behaviors line is one shown list: its time, the user's earlier
reads (history) and the list's items, clicked (``-1``) or not (``-0``). A ranker scores
the items of each line; :mod:`dateline.rank.metrics` turns the scores into MIND's AUC,
MRR and nDCG and into the beyond-accuracy figures.

**No look-ahead.** Lines are replayed in time order, and a ranker sees an event only
once its time is *strictly* before the line it scores: every line of one timestamp is
scored first, and only then are its clicks learned (``Ranker.learn``). MIND's
``news.tsv`` has no dates, so an article's time is its first appearance in the log.

Rankers here: ``random`` (seeded, the floor), ``popularity`` (clicks, time-decayed with a
half-life, as of the line's time), ``content`` (MiniLM vectors of the titles against
the reader's reads and earlier clicks), ``collaborative`` (co-reading, ALS article
vectors refitted on a schedule, :mod:`dateline.rank.collab`) and ``blend`` (the site's
own Recommendation score, :mod:`dateline.rank.offline_blend`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import Protocol

import numpy as np

from dateline.errors import MalformedInput
from dateline.rank.collab import CoReadingModel, fit_coreading
from dateline.rank.metrics import Accuracy, BeyondAccuracy, accuracy
from dateline.readers.history import MIND_TIME_FORMAT

# Lists a ranker "shows" for the beyond-accuracy figures: its top items of a line.
SHOWN = 8
# Popularity's half-life: a click a day old weighs half a click now.
POPULARITY_HALF_LIFE_HOURS = 24.0
# The collaborative ranker refits its article vectors when its fit is this old (log time):
# a day, as a site would refit nightly; reads in between are folded in, not refitted.
COLLABORATIVE_RETRAIN_HOURS = 24.0
# Bad lines reported by line number, up to this many (all are counted).
MAX_REPORTED = 10


@dataclass(frozen=True)
class News:
    news_id: str
    category: str
    title: str


@dataclass(frozen=True)
class Impression:
    line: int
    user: str
    at: datetime
    history: tuple[str, ...]
    items: tuple[str, ...]
    labels: tuple[int, ...]


@dataclass
class Log:
    """What was read, and which lines were not (line number and why)."""

    impressions: list[Impression] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    bad_count: int = 0

    def reject(self, lineno: int, why: str) -> None:
        self.bad_count += 1
        if len(self.bad) < MAX_REPORTED:
            self.bad.append(f"line {lineno}: {why}")


def read_news(path: Path) -> dict[str, News]:
    """News id → category and title (MIND's first four columns; the rest are ignored)."""
    news: dict[str, News] = {}
    with path.open(encoding="utf-8", errors="replace") as handle:
        for lineno, line in enumerate(handle, start=1):
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) < 4 or not fields[0]:
                raise MalformedInput(f"{path}: line {lineno}: not a news.tsv row")
            news[fields[0]] = News(fields[0], fields[1] or "", fields[3])
    return news


def read_behaviors(path: Path) -> Log:
    """Every well-formed line as an :class:`Impression`; the others are reported."""
    log = Log()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                log.impressions.append(_impression(line, lineno))
            except ValueError as exc:
                log.reject(lineno, str(exc))
    log.impressions.sort(key=lambda i: (i.at, i.line))
    return log


def _impression(line: str, lineno: int) -> Impression:
    fields = line.rstrip("\r\n").split("\t")
    if len(fields) != 5:
        raise ValueError(f"expected 5 tab-separated columns, got {len(fields)}")
    _id, user, when, history, shown = fields
    at = datetime.strptime(when, MIND_TIME_FORMAT)
    items, labels = [], []
    for token in shown.split():
        news_id, _, label = token.rpartition("-")
        if not news_id or label not in ("0", "1"):
            raise ValueError(f"impression {token!r} is not <news id>-0 or -1")
        items.append(news_id)
        labels.append(int(label))
    if not items:
        raise ValueError("no impressions")
    return Impression(lineno, user, at, tuple(history.split()), tuple(items), tuple(labels))


class Ranker(Protocol):
    """Scores a line's items from what happened before it; learns a line after."""

    name: str

    def score(self, impression: Impression) -> Sequence[float]: ...

    def learn(self, impression: Impression) -> None: ...


class RandomRanker:
    """Uniform scores from a seeded generator: what any ranker must beat."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)

    def score(self, impression: Impression) -> Sequence[float]:
        return [self._rng.random() for _ in impression.items]

    def learn(self, impression: Impression) -> None:
        return None


class PopularityRanker:
    """Each item's clicks before the line, each weighing 2^(−age / half-life)."""

    name = "popularity"

    def __init__(self, half_life_hours: float = POPULARITY_HALF_LIFE_HOURS) -> None:
        self._rate = math.log(2) / (half_life_hours * 3600)
        self._clicks: dict[str, tuple[float, datetime]] = {}

    def _now(self, news_id: str, at: datetime) -> float:
        held = self._clicks.get(news_id)
        if held is None:
            return 0.0
        value, since = held
        return value * math.exp(-self._rate * (at - since).total_seconds())

    def score(self, impression: Impression) -> Sequence[float]:
        return [self._now(n, impression.at) for n in impression.items]

    def learn(self, impression: Impression) -> None:
        for news_id, label in zip(impression.items, impression.labels, strict=True):
            if label:
                self._clicks[news_id] = (self._now(news_id, impression.at) + 1.0, impression.at)


class ContentRanker:
    """Cosine of each item's vector to the reader's profile: the mean of the vectors of
    what they read (the line's history) and clicked on earlier lines."""

    name = "content"

    def __init__(self, vectors: Mapping[str, np.ndarray]) -> None:
        self._vectors = vectors
        self._clicked: dict[str, list[str]] = {}

    def score(self, impression: Impression) -> Sequence[float]:
        read = [*impression.history, *self._clicked.get(impression.user, ())]
        known = [self._vectors[n] for n in read if n in self._vectors]
        if not known:
            return [0.0] * len(impression.items)
        profile = np.mean(known, axis=0)
        profile = profile / (np.linalg.norm(profile) or 1.0)
        zero = np.zeros_like(profile)
        return [float(self._vectors.get(n, zero) @ profile) for n in impression.items]

    def learn(self, impression: Impression) -> None:
        clicked = [n for n, label in zip(impression.items, impression.labels, strict=True) if label]
        if clicked:
            self._clicked.setdefault(impression.user, []).extend(clicked)


class CollaborativeRanker:
    """Co-reading: the reader folded into ALS article vectors fitted on what was learned.

    Everything learned (each learned line's history and clicks, one read each) is refitted
    when the fit is ``retrain_hours`` old in log time, before the line is scored, and
    while there is no model yet, whenever something new was learned. Between fits the
    reader is folded in from the line's history and their learned clicks, so reads newer
    than the fit count; articles newer than it do not: they score 0, as every article
    does when there is no model or none of the reader's reads is known. 0 rather than
    popularity: it is what ALS predicts for an article nobody read (the fit's target),
    and this row measures the co-reading signal alone; blending is the blended ranker's.
    """

    name = "collaborative"

    def __init__(self, seed: int = 0, retrain_hours: float = COLLABORATIVE_RETRAIN_HOURS) -> None:
        self._seed = seed
        self._every = timedelta(hours=retrain_hours)
        self._reads: dict[str, set[int]] = {}
        self._clicked: dict[str, list[str]] = {}
        self._number: dict[str, int] = {}  # news id → the int id the model knows it by
        self._model: CoReadingModel | None = None
        self._fitted_at: datetime | None = None
        self._new = False  # learned something since the last fit

    def _due(self, at: datetime) -> bool:
        if self._fitted_at is None or self._model is None:
            return self._new
        return at - self._fitted_at >= self._every

    def score(self, impression: Impression) -> Sequence[float]:
        if self._due(impression.at):
            reads = ((u, a, 1.0) for u, articles in self._reads.items() for a in articles)
            self._model = fit_coreading(reads, seed=self._seed)
            self._fitted_at, self._new = impression.at, False
        if self._model is None:
            return [0.0] * len(impression.items)
        read = [*impression.history, *self._clicked.get(impression.user, ())]
        history = [self._number[n] for n in read if n in self._number]
        candidates = [self._number.get(n, -1) for n in impression.items]
        scores = self._model.scores(history, candidates)
        return np.nan_to_num(scores, nan=0.0).tolist()

    def learn(self, impression: Impression) -> None:
        clicked = [n for n, label in zip(impression.items, impression.labels, strict=True) if label]
        if clicked:
            self._clicked.setdefault(impression.user, []).extend(clicked)
        read = self._reads.setdefault(impression.user, set())
        before = len(read)
        for news_id in (*impression.history, *clicked):
            read.add(self._number.setdefault(news_id, len(self._number)))
        self._new |= len(read) > before


@dataclass(frozen=True)
class Report:
    accuracy: Accuracy
    beyond: dict[str, float | None]


def evaluate(
    news: dict[str, News],
    impressions: Sequence[Impression],
    ranker: Ranker,
    vectors: Mapping[str, np.ndarray] | None = None,
) -> Report:
    """Replay the log through ``ranker``: scores as of each line's time, then metrics
    (ILD only when ``vectors`` are given)."""
    scored: list[tuple[Sequence[int], Sequence[float]]] = []
    beyond = BeyondAccuracy()
    first_seen: dict[str, datetime] = {}
    categories = {n: v.category for n, v in news.items()}
    for _at, group in groupby(impressions, key=lambda i: i.at):
        same_time = list(group)
        for imp in same_time:
            for news_id in (*imp.history, *imp.items):
                first_seen.setdefault(news_id, imp.at)
            scores = ranker.score(imp)
            scored.append((imp.labels, scores))
            top = sorted(range(len(scores)), key=lambda k: -scores[k])[:SHOWN]
            beyond.add(
                [imp.items[k] for k in top],
                vectors=vectors or {},
                categories=categories,
                history=imp.history,
                shown_at=imp.at,
                published=first_seen,
            )
        for imp in same_time:  # learned only after every line of this time is scored
            ranker.learn(imp)
    return Report(accuracy(scored), beyond.summary(catalogue_size=len(news)))


__all__ = [
    "COLLABORATIVE_RETRAIN_HOURS",
    "POPULARITY_HALF_LIFE_HOURS",
    "SHOWN",
    "CollaborativeRanker",
    "ContentRanker",
    "Impression",
    "Log",
    "News",
    "PopularityRanker",
    "RandomRanker",
    "Ranker",
    "Report",
    "evaluate",
    "read_behaviors",
    "read_news",
]
