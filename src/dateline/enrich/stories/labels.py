"""What a reader sees of a story: its label, key entities and timeline.

The label (the member closest to the mean) and the key entities are recomputed from the
members here (:func:`refresh_story`, after a rebuild, a merge or a split), and the
timeline lists the members by date. Kept apart from the held clusterer, which writes the
same fields from memory on an ordinary join and only calls in here when members moved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from dateline.enrich.embed import load_vectors
from dateline.enrich.stories.entities import EntityProvider, no_entities
from dateline.enrich.stories.rows import _DATE, _members_of, _write_story, article_date
from dateline.enrich.stories.scoring import top_entities
from dateline.store.models import Article, Story


@dataclass(frozen=True)
class TimelineEntry:
    article_id: int
    title: str
    date: datetime


def story_timeline(session: Session, story_id: int) -> list[TimelineEntry]:
    """The story's articles, oldest first (ties by id)."""
    rows = session.execute(
        select(Article.id, Article.title, Article.published_at, Article.first_seen_at)
        .where(Article.story_id == story_id)
        .order_by(_DATE, Article.id)
    )
    return [TimelineEntry(int(i), t, article_date(p, f)) for i, t, p, f in rows]


def _central(vectors: Sequence[np.ndarray], mean: np.ndarray) -> int:
    """Index of the member closest to the mean: its title labels the story."""
    return int(np.argmax(np.stack(vectors) @ mean))


def _key_entities(entity_sets: Iterable[Collection[str]]) -> list[dict[str, Any]] | None:
    """The most frequent entities (by articles, ties by key), as stored in ``key_entities``."""
    counts: Counter[str] = Counter()
    for ents in entity_sets:
        counts.update(set(ents))
    top = top_entities(counts)
    return [{"entity": e, "articles": n} for e, n in top] or None


def refresh_story(
    session: Session,
    story_id: int,
    entities: EntityProvider = no_entities,
    *,
    mean: np.ndarray | None = None,
) -> None:
    """Recompute a story's size, dates, label, key entities and (unless given) mean.

    Size and dates are aggregates in the database; the label (the member closest to the
    mean) and the key entities are taken over the newest ``MEMBER_WINDOW`` members, where
    a running thread is now. Only the mean, when not given, reads every member's vector.
    A story left without articles is deleted, with the redirects of stories merged into
    it; a merged story (itself a redirect) stays.
    """
    size, first, last = session.execute(
        select(func.count(), func.min(_DATE), func.max(_DATE)).where(Article.story_id == story_id)
    ).one()
    story = session.get(Story, story_id)
    if not size:
        if story is not None and story.merged_into is None:
            session.execute(
                delete(Story).where(or_(Story.id == story_id, Story.merged_into == story_id))
            )
            session.flush()
        return
    if story is None:  # pragma: no cover - an article pointing at a deleted story
        return
    if mean is None:
        ids = session.execute(select(Article.id).where(Article.story_id == story_id)).scalars()
        everything = list(load_vectors(session, [int(i) for i in ids]).values())
        mean = np.stack(everything).mean(axis=0) if everything else None
    members = _members_of(session, [story_id])
    vectors = load_vectors(session, [int(m.id) for m in members])
    have = [m for m in members if int(m.id) in vectors]
    if mean is None or not have:
        mean, label = None, members[0].title
    else:
        mean = np.asarray(mean, dtype="<f4")
        label = have[_central([vectors[int(m.id)] for m in have], mean)].title
    found = entities(session, [int(m.id) for m in members])
    _write_story(
        session,
        story,
        size=int(size),
        mean=mean,
        span=(first, last),
        label=label,
        key_entities=_key_entities(found.get(int(m.id), ()) for m in members),
    )
