"""Story rows in the database: the lock, revisions, dates, member reads and the row write.

The store adapter's low level, shared by the held clusterer (:mod:`.clusterer`) and the
recomputation of labels (:mod:`.labels`); kept apart so that neither owns the SQL of the
other, and so that the pure core never sees it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select, text, true, update
from sqlalchemy.orm import Session

from dateline.enrich.stories.scoring import MEMBER_WINDOW
from dateline.store.models import Article, Story
from dateline.store.repository import utcnow


def clustering_date(
    published_at: datetime | None, first_seen_at: datetime, date_status: str | None
) -> datetime | None:
    """The date the time decay may trust: none for an *unverified* date.

    A single copy of wire text with a content farm's date says nothing about when the
    story happened; decaying on it would split a thread (the two seed pages, ~3 months
    apart by content, carry the same fake 2025 date). Such an article joins on content and
    entities alone; its date still orders the timeline.
    """
    if date_status == "unverified":
        return None
    return article_date(published_at, first_seen_at)


def article_date(published_at: datetime | None, first_seen_at: datetime) -> datetime:
    """The date clustering uses: best-evidence publication date, else first seen."""
    return published_at if published_at is not None else first_seen_at


_DATE = func.coalesce(Article.published_at, Article.first_seen_at)

# pg_advisory_xact_lock's two-key space (apart from dedup's one-key bucket locks):
# ("Date", 1) is the lock of story writers.
_STORY_LOCK = {"a": 0x44617465, "b": 1}
_LIVE = (Story.centroid.is_not(None), Story.size > 0)  # merged rows have neither


def lock_stories(session: Session) -> None:
    """One story writer at a time, until this transaction ends.

    Online clustering is sequential by nature (each article sees the stories before it),
    and revisions must grow in commit order for :class:`StoryClusterer`'s in-memory
    stories to stay true. PostgreSQL: a transaction-scoped advisory lock. SQLite: every
    write transaction (``BEGIN IMMEDIATE``) already holds the database's only write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), _STORY_LOCK)


def _next_revision(session: Session) -> int:
    session.flush()
    return _highest_revision(session) + 1


def forward_story(session: Session, old_id: int, target: int) -> int:
    """Empty story ``old_id`` and make its address (and any that led to it) lead to
    ``target``: one hop, as the site's 301s expect. Merges and rebuilds both forward this
    way. Returns the revision written."""
    revision = _next_revision(session)
    session.execute(
        update(Story)
        .where(Story.merged_into == old_id)
        .values(merged_into=target, revision=revision)
    )
    session.execute(
        update(Story)
        .where(Story.id == old_id)
        .values(
            merged_into=target,
            size=0,
            centroid=None,
            key_entities=None,
            updated_at=utcnow(),
            revision=revision,
        )
    )
    return revision


def _highest_revision(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Story.revision), 0))) or 0)


def _members_of(
    session: Session, story_ids: Collection[int], *, exclude: int | None = None
) -> list[Any]:
    """The newest ``MEMBER_WINDOW`` articles of each story, oldest first (ties by id)."""
    newest = (
        select(
            Article.id,
            Article.story_id,
            Article.title,
            Article.published_at,
            Article.first_seen_at,
            Article.date_status,
            _DATE.label("date"),
            func.row_number()
            .over(partition_by=Article.story_id, order_by=(_DATE.desc(), Article.id.desc()))
            .label("rank"),
        )
        .where(Article.story_id.in_(list(story_ids)))
        .where(Article.id != exclude if exclude is not None else true())
        .subquery()
    )
    return list(
        session.execute(
            select(
                newest.c.id,
                newest.c.story_id,
                newest.c.title,
                newest.c.published_at,
                newest.c.first_seen_at,
                newest.c.date_status,
            )
            .where(newest.c.rank <= MEMBER_WINDOW)
            .order_by(newest.c.date, newest.c.id)
        ).all()
    )


_STORY_STATE = select(
    Story.id, Story.centroid, Story.size, Story.first_seen_at, Story.last_seen_at, Story.revision
)


def _write_story(
    session: Session,
    story: Story,
    *,
    size: int,
    mean: np.ndarray | None,
    span: tuple[datetime | None, datetime | None],
    label: str,
    key_entities: list[dict[str, Any]] | None,
) -> None:
    """Write a live story's state with a new revision (merges empty rows in one update)."""
    story.size = size
    story.centroid = None if mean is None else np.asarray(mean, dtype="<f4").tobytes()
    story.first_seen_at, story.last_seen_at = span
    story.label = label
    story.key_entities = key_entities
    story.updated_at = utcnow()
    story.revision = _next_revision(session)
    session.flush()
