"""Recommendation: eight articles for one reader, each with the reason it is there.

**Score** of a candidate ``c`` for a profile (:mod:`dateline.rank.profile`)::

    W_CONTENT · max over interests k of cos(c, centroid_k) · (0.6 + 0.4 · weight_k / max weight)
  + W_CATEGORY · the reader's share of c's category
  + W_ENTITY · the reader's affinity to c's entities (rare ones weigh more)
  + W_SOURCE · the reader's share of c's source
  + W_COLLAB · co-reading (``rank.collab``: readers like this one read c), when a model exists
  + W_POPULAR · popularity now (``rank.engagement.popularity_prior``)
  + W_FRESH · 0.5 ^ (age / FRESH_HALF_LIFE_DAYS)
  + W_FOLLOW · [c is new in a story the reader read]
  − W_LESS · how like c is to what the reader marked "less like this"

**Rules.** Never an article the reader read, or a copy of one (the same headline, or
vectors ``COPY_COSINE`` alike); nothing from a muted source or category, nor the marked
articles and their stories; at most one article per story; a story the reader read may
return only with an article newer than the newest they read in it ("new in the story
…"); nothing dated after the site clock. The list is then chosen greedily by MMR
(``MMR_LAMBDA``: relevance against likeness to what is already chosen), with each
category held near its share of the reader's history (calibration: at most
``share · size + 1`` items of a category the reader reads, and one of any other).

**Cold start.** A reader with no usable history gets a diverse popular mix
(:func:`cold_list`): the Ranking's blend of engagement and coverage, one per story, taken
round-robin over categories, so it is never worse than Ranking for anyone.

Candidates are the ``CANDIDATE_WINDOW`` newest articles dated before now (18 days of a
site adding 274 a day, against freshness's 3-day half-life): news is perishable, and it
bounds the cost of one list (a matrix product of ``MAX_INTERESTS`` rows by that many
vectors).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime

import numpy as np

from dateline.enrich.corpus_index import CorpusIndex
from dateline.enrich.mmr import mmr_step
from dateline.rank.base import Ranked
from dateline.rank.profile import Profile
from dateline.rank.ranking import Scored
from dateline.readers.controls import NO_CONTROLS, Controls
from dateline.store.queries import UNCATEGORISED

W_CONTENT = 1.0
W_CATEGORY = 0.5
W_ENTITY = 0.3
W_SOURCE = 0.05
W_COLLAB = 0.4
W_POPULAR = 0.2
W_FRESH = 0.2
W_FOLLOW = 0.3
W_LESS = 1.0


@dataclass(frozen=True)
class Weights:
    """The score's weights (the module docstring's W_*). ``BLEND`` is what the site uses;
    :meth:`only` keeps one signal, for the single-signal rankers benchmarks compare."""

    content: float = W_CONTENT
    category: float = W_CATEGORY
    entity: float = W_ENTITY
    source: float = W_SOURCE
    collab: float = W_COLLAB
    popular: float = W_POPULAR
    fresh: float = W_FRESH
    follow: float = W_FOLLOW
    less: float = W_LESS
    noise: float = 0.0  # uniform noise: the random baseline of benchmarks, never the site

    @classmethod
    def only(cls, signal: str) -> Weights:
        others = [f.name for f in fields(cls) if f.name not in (signal, "less")]
        kept = replace(cls(), **dict.fromkeys(others, 0.0))
        return kept if getattr(kept, signal) else replace(kept, **{signal: 1.0})


BLEND = Weights()
FRESH_HALF_LIFE_DAYS = 3.0
COPY_COSINE = 0.97
LESS_LIKE_COSINE = 0.35  # likeness to a marked article below this costs nothing
MMR_LAMBDA = 0.8
CANDIDATE_WINDOW = 5_000
SHORTLIST = 60

# co-reading scores of candidate rows for a profile, in [0, 1] (NaN: unknown to the model)
CollabScores = Callable[[Profile, np.ndarray], np.ndarray]


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def take(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]``, as a view when ``rows`` is a run of consecutive rows (a list's
    candidate window): no copy of 20,000 vectors per list."""
    if len(rows) and int(rows[-1]) - int(rows[0]) + 1 == len(rows) and rows[0] <= rows[-1]:
        return values[int(rows[0]) : int(rows[-1]) + 1]
    return values[rows]


def recommend(
    index: CorpusIndex,
    profile: Profile,
    now: datetime,
    limit: int,
    *,
    popularity: np.ndarray,
    cold: Sequence[Ranked],
    controls: Controls = NO_CONTROLS,
    exclude: frozenset[int] = frozenset(),
    collab: CollabScores | None = None,
    weights: Weights = BLEND,
    mmr_lambda: float = MMR_LAMBDA,
) -> list[Ranked]:
    """One reader's list (see the module docstring); ``cold`` fills what is left.

    ``popularity``: the popularity prior of every row of the index, in [0, 1].
    """
    if profile.empty or controls.paused_since is not None:
        return _filtered_cold(index, cold, profile, controls, exclude, limit)
    start, end = index.window(_epoch(now), CANDIDATE_WINDOW)
    window = np.arange(start, end)
    keep = _allowed(index, window, profile, controls, exclude)
    if not keep.any():
        return _filtered_cold(index, cold, profile, controls, exclude, limit)
    # scored over the whole window (array views), then the allowed rows kept
    parts = score_components(index, window, profile, now, popularity, controls, collab, weights)
    parts = {name: (w, v[keep]) for name, (w, v) in parts.items()}
    rows = window[keep]
    total = total_score(parts)
    shortlist, scores = _one_per_story(index, rows, total)
    shortlist = _drop_copies(index, shortlist, profile)
    picked = _select(index, shortlist, scores, profile, limit, mmr_lambda)
    out = [_explain(index, row, parts, rows, profile) for row in picked]
    if len(out) < limit:
        have = {r.article_id for r in out}
        for item in _filtered_cold(index, cold, profile, controls, exclude | have, limit):
            if len(out) >= limit:
                break
            out.append(item)
    return out


def total_score(parts: dict[str, tuple[float, np.ndarray]]) -> np.ndarray:
    """The weighted sum of the signals (the score of the module docstring)."""
    return np.sum([w * v for w, v in parts.values()], axis=0)


def _allowed(
    index: CorpusIndex,
    rows: np.ndarray,
    profile: Profile,
    controls: Controls,
    exclude: frozenset[int],
) -> np.ndarray:
    ids = index.ids[rows]
    gone = profile.read_ids | set(exclude) | set(controls.less_like)
    keep = ~np.isin(ids, np.fromiter(gone, np.int64, len(gone)))
    if controls.muted_sources:
        muted = np.fromiter(controls.muted_sources, np.int64, len(controls.muted_sources))
        keep &= ~np.isin(index.source[rows], muted)
    if controls.muted_categories:
        muted_codes = [
            i
            for i, name in enumerate(index.category_names)
            if name.casefold() in controls.muted_categories
        ]
        keep &= ~np.isin(index.category_code[rows], muted_codes)
    less_stories = {int(index.story[index.pos[a]]) for a in controls.less_like if a in index.pos}
    less_stories.discard(-1)
    if less_stories:
        keep &= ~np.isin(index.story[rows], np.fromiter(less_stories, np.int64))
    if profile.stories:
        # a story the reader read returns only with an article newer than their newest in it
        stories, at = index.story[rows], index.at[rows]
        for story, newest in profile.stories.items():
            keep &= ~((stories == story) & (at <= newest))
    return keep


def score_components(
    index: CorpusIndex,
    rows: np.ndarray,
    profile: Profile,
    now: datetime,
    popularity: np.ndarray,
    controls: Controls,
    collab: CollabScores | None,
    weights: Weights = BLEND,
) -> dict[str, tuple[float, np.ndarray]]:
    """Each signal of the score over ``rows`` (arrays; no per-row Python on large lists)."""
    n = len(rows)
    parts: dict[str, tuple[float, np.ndarray]] = {}
    content = np.zeros(n)
    if profile.centroids is not None and profile.centroid_weights is not None:
        sims = take(index.vectors, rows) @ profile.centroids.T
        cw = profile.centroid_weights
        scale = 0.6 + 0.4 * cw / max(float(cw.max()), 1e-9)
        content = (sims * scale).max(axis=1) * take(index.has_vector, rows)
    parts["content"] = (weights.content, content)
    shares = index.per_category(profile.categories)
    parts["category"] = (weights.category, shares[take(index.category_code, rows)])
    if profile.entities:
        everywhere = np.zeros(len(index))
        for e, affinity in profile.entities.items():
            everywhere[index.entity_rows(e)] += affinity
        parts["entity"] = (weights.entity, np.minimum(take(everywhere, rows), 1.0))
    if profile.sources:
        sources = take(index.source, rows)
        share = np.zeros(n)
        for source, value in profile.sources.items():
            share[sources == source] = value
        parts["source"] = (weights.source, share)
    if collab is not None:
        co = np.nan_to_num(collab(profile, rows), nan=0.0)
        parts["collab"] = (weights.collab, co)
    parts["popular"] = (weights.popular, take(popularity, rows))
    age_days = np.maximum(_epoch(now) - take(index.at, rows), 0.0) / 86400.0
    parts["fresh"] = (weights.fresh, 0.5 ** (age_days / FRESH_HALF_LIFE_DAYS))
    if profile.stories:
        followed = np.fromiter(profile.stories, np.int64, len(profile.stories))
        parts["follow"] = (
            weights.follow,
            np.isin(take(index.story, rows), followed).astype(float),
        )
    if weights.noise:
        seed = int(_epoch(now)) ^ hash(tuple(sorted(profile.read_ids))) & 0xFFFFFFFF
        parts["noise"] = (weights.noise, np.random.default_rng(seed).random(n))
    less = [index.pos[a] for a in controls.less_like if a in index.pos]
    less = [r for r in less if index.has_vector[r]]
    if less:
        likeness = (take(index.vectors, rows) @ index.vectors[less].T).max(axis=1)
        parts["less"] = (-weights.less, np.maximum(likeness - LESS_LIKE_COSINE, 0.0))
    return parts


def _one_per_story(
    index: CorpusIndex, rows: np.ndarray, total: np.ndarray
) -> tuple[list[int], dict[int, float]]:
    """The SHORTLIST best rows, at most one per story, and their scores. Only the best
    few hundred are sorted (a window holds thousands)."""
    top = min(len(total), SHORTLIST * 8)
    best = np.argpartition(-total, top - 1)[:top] if top < len(total) else np.arange(len(total))
    order = best[np.argsort(-total[best], kind="stable")]
    seen: set[int] = set()
    out: list[int] = []
    scores: dict[int, float] = {}
    for i in order.tolist():
        row = int(rows[i])
        story = int(index.story[row])
        if story >= 0:
            if story in seen:
                continue
            seen.add(story)
        out.append(row)
        scores[row] = float(total[i])
        if len(out) >= SHORTLIST:
            break
    return out, scores


def _drop_copies(index: CorpusIndex, shortlist: list[int], profile: Profile) -> list[int]:
    """Leave out copies of what the reader read that dedup did not merge."""
    keys = index.title_keys
    read_titles = {keys[r] for r in profile.rows}
    read_vectors = [r for r in profile.rows if index.has_vector[r]]
    kept = [r for r in shortlist if keys[r] not in read_titles]
    if read_vectors and kept:
        sims = index.vectors[kept] @ index.vectors[read_vectors].T
        kept = [r for r, s in zip(kept, sims.max(axis=1), strict=True) if s < COPY_COSINE]
    return kept


def _select(
    index: CorpusIndex,
    shortlist: list[int],
    score: dict[int, float],
    profile: Profile,
    limit: int,
    mmr_lambda: float = MMR_LAMBDA,
) -> list[int]:
    """MMR over the shortlist with each category near its share of the history."""
    picked: list[int] = []
    per_category: dict[str, int] = {}
    left = list(shortlist)
    vectors = index.vectors
    while left and len(picked) < limit:

        def cap(row: int) -> int:
            share = profile.categories.get(index.category[row], 0.0)
            return int(share * limit) + 1

        open_ = [r for r in left if per_category.get(index.category[r], 0) < cap(r)] or left
        row = open_[mmr_step(vectors, open_, picked, score, mmr_lambda)]
        left.remove(row)
        picked.append(row)
        per_category[index.category[row]] = per_category.get(index.category[row], 0) + 1
    return picked


def _explain(
    index: CorpusIndex,
    row: int,
    parts: dict[str, tuple[float, np.ndarray]],
    rows: np.ndarray,
    profile: Profile,
) -> Ranked:
    """The strongest reason that is true of this item."""
    i = int(np.flatnonzero(rows == row)[0])
    aid = int(index.ids[row])
    story = int(index.story[row])
    if story >= 0 and story in profile.stories:
        label = index.story_label.get(story) or index.titles[row]
        return Ranked(aid, f"new in the story {_short(label)}")
    contrib = {name: w * v[i] for name, (w, v) in parts.items() if w > 0}
    best = max(("content", "collab", "category", "entity"), key=lambda k: contrib.get(k, 0.0))
    if best in ("content", "collab") and contrib.get(best, 0.0) > 0.15:
        read = _closest_read(index, row, profile)
        if read is not None:
            title = _short(index.titles[read])
            if best == "collab":
                return Ranked(aid, f"readers of {title} also read")
            return Ranked(aid, f"because you read {title}")
    category = index.category[row]
    if profile.categories.get(category, 0.0) > 0:
        return Ranked(aid, f"more in {category}, which you read")
    if contrib.get("entity", 0.0) > 0:
        return Ranked(aid, "about people and places you read about")
    return Ranked(aid, "popular now")


def _closest_read(index: CorpusIndex, row: int, profile: Profile) -> int | None:
    reads = [r for r in profile.rows if index.has_vector[r]]
    if not reads or not index.has_vector[row]:
        return None
    sims = index.vectors[reads] @ index.vectors[row]
    return reads[int(np.argmax(sims))]


def _short(title: str, limit: int = 70) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def cold_list(index: CorpusIndex, scored: Sequence[Scored], limit: int) -> list[Ranked]:
    """A diverse popular mix: the Ranking's order, one per story (already), round-robin
    over categories in the order of their best item ("Uncategorised" last)."""
    queues: dict[str, list[Scored]] = {}
    for item in scored:
        queues.setdefault(index.category[item.row], []).append(item)
    # an article we could not place says least about what a new reader wants: last
    if UNCATEGORISED in queues:
        queues[UNCATEGORISED] = queues.pop(UNCATEGORISED)
    out: list[Ranked] = []
    while len(out) < limit and any(queues.values()):
        for category in list(queues):
            if not queues[category]:
                continue
            item = queues[category].pop(0)
            out.append(Ranked(int(index.ids[item.row]), _cold_reason(item, category)))
            if len(out) >= limit:
                break
    return out


def _cold_reason(item: Scored, category: str) -> str:
    if item.sources >= 2:
        return f"top story in {category}: covered by {item.sources} sources"
    if item.readers:
        return f"popular in {category}"
    return f"newest in {category}"


def _filtered_cold(
    index: CorpusIndex,
    cold: Sequence[Ranked],
    profile: Profile,
    controls: Controls,
    exclude: frozenset[int],
    limit: int,
) -> list[Ranked]:
    out = []
    for item in cold:
        row = index.pos.get(item.article_id)
        if row is None or item.article_id in exclude or item.article_id in profile.read_ids:
            continue
        if int(index.source[row]) in controls.muted_sources:
            continue
        if index.category[row].casefold() in controls.muted_categories:
            continue
        if item.article_id in controls.less_like:
            continue
        out.append(replace(item, filler=True))  # not personal: the home's "For you" skips it
        if len(out) >= limit:
            break
    return out
