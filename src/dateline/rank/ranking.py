"""Ranking ("Top stories"): engagement blended with coverage velocity, one per story.

A big site's Ranking is what its readers read; a new or small one has few readers, and
"most read" is then three clicks of noise. What it does have is its sources: when many
*independent* sources carry one story in the last hours, the story matters. So::

    score(a) = engagement(a) + VELOCITY_WEIGHT · (independent sources of a's story − 1)
    score(a) ×= demotion(score of a's lead source)        (content farms sink)

  and at equal scores (a quiet site) the demoted source's article still comes last.

* ``engagement`` is :mod:`dateline.rank.engagement` (decayed, one count per reader).
* **Independent sources** of a story: the distinct lead sources of its articles dated in
  the ``VELOCITY_WINDOW_HOURS`` before now, content farms left out. A copy is a page of
  the article it copies, never an article of its own, so copies never multiply it; a
  farm's own articles do not count either. An article in no story counts its own source.
* ``VELOCITY_WEIGHT`` = 2: one more independent source weighs like two fresh readers.
  On a site with no readers at all, the ranking is by coverage, then by date.
* **One article per story**: the story's best-scored article (ties: the newest).
* A candidate must be dated in the ``CANDIDATE_DAYS`` before now and not in the future;
  when that leaves too few (an archive, a quiet site), any date before now will do.

Items with no engagement and one source are *fillers* (the newest): a section that
promises engagement may leave them out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from dateline.enrich.corpus_index import CorpusIndex
from dateline.enrich.sources import demotion
from dateline.rank.base import Ranked
from dateline.rank.engagement import Engagement
from dateline.store.queries import category_label

VELOCITY_WEIGHT = 2.0
VELOCITY_WINDOW_HOURS = 48.0
CANDIDATE_DAYS = 30.0


@dataclass(frozen=True)
class Scored:
    row: int
    score: float
    readers: int
    sources: int
    trust: float = 1.0  # enrich.sources.demotion of the lead source


def _epoch(now: datetime) -> float:
    return (now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp()


def story_sources(index: CorpusIndex, now: datetime) -> dict[int, int]:
    """Independent (non-farm) lead sources per story, among articles of the window."""
    t = _epoch(now)
    recent = (index.at <= t) & (index.at > t - VELOCITY_WINDOW_HOURS * 3600) & ~index.farm
    found: dict[int, set[int]] = {}
    for row in np.flatnonzero(recent & (index.story >= 0)).tolist():
        found.setdefault(int(index.story[row]), set()).add(int(index.source[row]))
    return {story: len(s) for story, s in found.items()}


def scored(
    index: CorpusIndex,
    engaged: dict[int, Engagement],
    now: datetime,
    category: str | None = None,
    days: float | None = CANDIDATE_DAYS,
) -> list[Scored]:
    """Every candidate's blended score, best first, one per story."""
    t = _epoch(now)
    sources = story_sources(index, now)
    since = t - days * 86400 if days is not None else -np.inf
    rows = np.flatnonzero((index.at <= t) & (index.at > since))
    # labels are spelled one way per case-insensitive name (queries.category_label)
    wanted = category_label(category)[0] if category is not None else None
    best: dict[object, Scored] = {}
    for row in rows.tolist():
        if wanted is not None and index.category[row] != wanted:
            continue
        aid = int(index.ids[row])
        e = engaged.get(aid)
        story = int(index.story[row])
        n_sources = sources.get(story, 1) if story >= 0 else (0 if index.farm[row] else 1)
        score = (e.score if e else 0.0) + VELOCITY_WEIGHT * max(n_sources - 1, 0)
        trust = demotion(index.source_score.get(int(index.source[row])))
        item = Scored(row, score * trust, e.readers if e else 0, n_sources, trust)
        key: object = story if story >= 0 else ("article", aid)
        had = best.get(key)
        if had is None or _order(index, item) < _order(index, had):
            best[key] = item
    return sorted(best.values(), key=lambda s: _order(index, s))


def _order(index: CorpusIndex, s: Scored) -> tuple[float, bool, float, float, int]:
    """Best first; at equal scores (nothing read, one source) dated before undated (as
    every list sorts), a demoted source last, then the newest."""
    row = s.row
    return (-s.score, bool(index.undated[row]), -s.trust, -index.at[row], -int(index.ids[row]))


def reason(item: Scored, category: str | None = None) -> str:
    where = f" in {category}" if category else ""
    if item.sources >= 2:
        return f"covered by {item.sources} sources"
    if item.readers:
        people = "reader" if item.readers == 1 else "readers"
        return f"read by {item.readers} {people} this week{where}"
    return "newest"


def ranked_items(index: CorpusIndex, found: list[Scored], limit: int) -> list[Ranked]:
    """The first ``limit`` scored items as list items, with their reasons."""
    out = []
    for item in found[:limit]:
        filler = item.readers == 0 and item.sources < 2
        out.append(Ranked(int(index.ids[item.row]), reason(item), filler=filler))
    return out


def scored_enough(
    index: CorpusIndex,
    engaged: dict[int, Engagement],
    now: datetime,
    limit: int,
    category: str | None = None,
) -> list[Scored]:
    """:func:`scored` over ``CANDIDATE_DAYS``, or over every date when that gives fewer
    than ``limit``."""
    found = scored(index, engaged, now, category)
    if len(found) < limit:
        found = scored(index, engaged, now, category, days=None)
    return found


def top(
    index: CorpusIndex,
    engaged: dict[int, Engagement],
    now: datetime,
    limit: int,
    category: str | None = None,
) -> list[Ranked]:
    """The Ranking list (see the module docstring)."""
    return ranked_items(index, scored_enough(index, engaged, now, limit, category), limit)


@dataclass(frozen=True)
class TopStory:
    """A Ranking item with its story and independent sources (the home's "Top stories")."""

    ranked: Ranked
    story_id: int | None
    sources: int


def top_stories(index: CorpusIndex, found: list[Scored], limit: int) -> list[TopStory]:
    """The first ``limit`` of ``found`` (from :func:`scored`) with each item's story id
    and source count."""
    out = []
    for item, ranked in zip(found, ranked_items(index, found, limit), strict=False):
        story = int(index.story[item.row])
        out.append(TopStory(ranked, story if story >= 0 else None, item.sources))
    return out
