"""A reader's interests, from what they read: several centroids and a few affinities.

One average of everything a reader read points between their interests: a reader of
football and of Hong Kong politics gets neither. So the profile keeps up to
``MAX_INTERESTS`` centroids of read-article vectors, built by leader clustering (each
read joins the nearest centroid within ``CLUSTER_COSINE``, or starts a new one), heaviest
reads first. Alongside: category, entity and source affinities, the stories read (with
the date of the newest article read in each) and the ids read.

Each read weighs ``kind weight · 0.5 ^ (age / HALF_LIFE_DAYS)``: a reaction 3, a view 1;
the article being read now counts as a view at this instant, so the second page of a
brand-new reader is already personal. Only the newest ``MAX_HISTORY`` reads are used.
Reads a reader's controls exclude (before a reset, during a pause) never count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from dateline.enrich.corpus_index import CorpusIndex
from dateline.readers.controls import NO_CONTROLS, Controls

HALF_LIFE_DAYS = 14.0
MAX_HISTORY = 100
MAX_INTERESTS = 4
CLUSTER_COSINE = 0.4


@dataclass(frozen=True)
class Read:
    article_id: int
    at: datetime
    weight: float = 1.0


@dataclass
class Profile:
    read_ids: set[int] = field(default_factory=set)
    rows: list[int] = field(default_factory=list)  # history rows in the index, heaviest first
    weights: list[float] = field(default_factory=list)
    centroids: np.ndarray | None = None
    centroid_weights: np.ndarray | None = None
    categories: dict[str, float] = field(default_factory=dict)  # shares, summing to 1
    entities: dict[int, float] = field(default_factory=dict)  # idf-weighted, max 1
    sources: dict[int, float] = field(default_factory=dict)  # shares
    stories: dict[int, float] = field(default_factory=dict)  # story → newest read's date

    @property
    def empty(self) -> bool:
        return not self.rows


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def build_profile(
    index: CorpusIndex,
    reads: Sequence[Read],
    now: datetime,
    *,
    current: int | None = None,
    controls: Controls = NO_CONTROLS,
) -> Profile:
    """The profile of one reader (see the module docstring)."""
    profile = Profile(read_ids={r.article_id for r in reads})
    if current is not None:
        profile.read_ids.add(current)
    counted = [r for r in reads if not controls.ignores(r.at)]
    counted.sort(key=lambda r: r.at, reverse=True)
    counted = counted[:MAX_HISTORY]
    if current is not None and controls.paused_since is None:
        counted.insert(0, Read(current, now, 1.0))
    t = _epoch(now)
    weight_of: dict[int, float] = {}
    for r in counted:
        row = index.pos.get(r.article_id)
        if row is None:
            continue
        age_days = max(t - _epoch(r.at), 0.0) / 86400.0
        w = r.weight * 0.5 ** (age_days / HALF_LIFE_DAYS)
        weight_of[row] = max(weight_of.get(row, 0.0), w)
    if not weight_of:
        return profile
    ordered = sorted(weight_of.items(), key=lambda kv: -kv[1])
    profile.rows = [row for row, _ in ordered]
    profile.weights = [w for _, w in ordered]
    _affinities(index, profile)
    _centroids(index, profile)
    return profile


def _affinities(index: CorpusIndex, profile: Profile) -> None:
    total = sum(profile.weights)
    categories: dict[str, float] = {}
    sources: dict[int, float] = {}
    entities: dict[int, float] = {}
    for row, w in zip(profile.rows, profile.weights, strict=True):
        categories[index.category[row]] = categories.get(index.category[row], 0.0) + w / total
        source = int(index.source[row])
        sources[source] = sources.get(source, 0.0) + w / total
        for e in index.entities[row]:
            entities[e] = entities.get(e, 0.0) + w * index.idf(e)
        story = int(index.story[row])
        if story >= 0:
            profile.stories[story] = max(profile.stories.get(story, 0.0), float(index.at[row]))
    top = max(entities.values(), default=0.0)
    profile.categories = categories
    profile.sources = sources
    profile.entities = {e: v / top for e, v in entities.items()} if top > 0 else {}


def _centroids(index: CorpusIndex, profile: Profile) -> None:
    rows = [r for r in profile.rows if index.has_vector[r]]
    if not rows:
        return
    weights_of = dict(zip(profile.rows, profile.weights, strict=True))
    vectors = index.vectors[rows]
    sums = np.zeros((MAX_INTERESTS, vectors.shape[1]), dtype=np.float64)
    units = np.zeros_like(sums)
    weights = np.zeros(MAX_INTERESTS)
    k = 0
    for v, row in zip(vectors, rows, strict=True):
        w = weights_of[row]
        if k:
            sims = units[:k] @ v
            best = int(np.argmax(sims))
            if sims[best] >= CLUSTER_COSINE or k >= MAX_INTERESTS:
                sums[best] += w * v
                weights[best] += w
                units[best] = sums[best] / max(float(np.linalg.norm(sums[best])), 1e-9)
                continue
        sums[k], weights[k] = w * v, w
        units[k] = v / max(float(np.linalg.norm(v)), 1e-9)
        k += 1
    profile.centroids = units[:k].astype(np.float32)
    profile.centroid_weights = (weights[:k] / max(float(weights[:k].sum()), 1e-9)).astype(
        np.float32
    )
