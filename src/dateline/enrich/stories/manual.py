"""The operator's story decisions: merge two stories, split articles off into a new one.

The clusterer's own merges and splits (:mod:`.clusterer`) write stories the same way: the
articles move, the emptied story stays as a redirect (``merged_into``, one hop), and both
rows are recomputed (size, dates, mean, label, key entities) with a new revision, under the
story writers' lock, so held clusterers in every process learn the change. A later article
can still join, merge or split these stories by the usual rules: this is a correction of
the present, not a pin.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dateline.enrich.stories.entities import store_entities
from dateline.enrich.stories.labels import refresh_story
from dateline.enrich.stories.rows import forward_story, lock_stories
from dateline.errors import InputError, NotFound
from dateline.store.models import Article, Story
from dateline.store.repository import utcnow
from dateline.store.revision import bump_corpus_revision


def merge_stories(session: Session, keep: int, absorb: int) -> Story:
    """Move every article of ``absorb`` into ``keep``; ``absorb``'s address redirects."""
    if keep == absorb:
        raise InputError("a story cannot be merged into itself")
    lock_stories(session)
    kept, _ = _live(session, keep), _live(session, absorb)
    session.execute(update(Article).where(Article.story_id == absorb).values(story_id=keep))
    forward_story(session, absorb, keep)
    session.flush()
    refresh_story(session, keep, store_entities)
    bump_corpus_revision(session)
    return kept


def split_story(session: Session, story_id: int, article_ids: Collection[int]) -> Story:
    """Move these articles of the story into a new story of their own; the new story."""
    lock_stories(session)
    _live(session, story_id)
    wanted = {int(i) for i in article_ids}
    members = set(session.scalars(select(Article.id).where(Article.story_id == story_id)).all())
    strangers = sorted(wanted - members)
    if strangers:
        raise InputError(f"not in story {story_id}: articles {strangers[:10]}")
    if not wanted or wanted == members:
        raise InputError("a split moves some of the story's articles, not none or all")
    story = Story(label="", updated_at=utcnow())  # written in full below
    session.add(story)
    session.flush()
    session.execute(update(Article).where(Article.id.in_(sorted(wanted))).values(story_id=story.id))
    session.flush()
    refresh_story(session, int(story.id), store_entities)
    refresh_story(session, story_id, store_entities)
    bump_corpus_revision(session)
    return story


def _live(session: Session, story_id: int) -> Story:
    story = session.get(Story, story_id)
    if story is None or story.merged_into is not None or not story.size:
        raise NotFound(f"No story {story_id} (or it was merged into another).")
    return story
