"""Story addresses across a rebuild: ``/s/{id}`` keeps meaning the same story.

A rebuild (:meth:`~.clusterer.StoryClusterer.rebuild`) forgets a range's story assignments
and replays its articles, so the stories come back as new rows. Links, bookmarks and feed
subscriptions point at the old ids; they must not silently show another story. The rule:

- **a rebuilt story takes the id of the old story it shares most articles with**, each old
  id at most once, resolved greedily: the (new story, old id) pair sharing the most
  articles first, ties by the smaller old id, then by the smaller new id (the story opened
  first in the replay, which is in date order) — :func:`claim_ids`;
- an old story that keeps members outside the range keeps its id and row as it is;
- **an old id whose story is gone redirects** (``301``, as a merge leaves it:
  ``stories.merged_into``) to the story that took most of its articles, ties by the
  smaller id — :func:`successor`; redirects that pointed at it follow it (one hop deep).
  An old id none of whose articles has a story any more is deleted, as an emptied story is;
- a rebuilt story that shares no article with an old id it could take keeps its new id:
  new ids only for genuinely new stories.

:func:`note_members` records the old grouping before the range is cleared,
:func:`vacate` empties the old rows without deleting them (so their ids are not handed out
again during the replay), and :func:`settle` applies the rule after it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from dateline.enrich.stories.entities import EntityProvider
from dateline.enrich.stories.labels import refresh_story
from dateline.enrich.stories.rows import _next_revision, forward_story
from dateline.store.models import Article, Story
from dateline.store.repository import utcnow

_CHUNK = 500  # ids per IN (...) list


def claim_ids(
    shared: Mapping[tuple[int, int], int], claimants: Collection[int], vacant: Collection[int]
) -> dict[int, int]:
    """Which vacant old id each rebuilt story takes: ``{new story: old id}``.

    ``shared[(new, old)]`` is the number of articles the two have in common. Greedy by the
    most shared articles; ties by the smaller old id, then the smaller new id. Each old id
    and each new story is used at most once; a pair sharing nothing is never made.
    """
    pairs = sorted(
        (-n, old, new)
        for (new, old), n in shared.items()
        if n > 0 and new in claimants and old in vacant
    )
    taken: dict[int, int] = {}
    used: set[int] = set()
    for _, old, new in pairs:
        if new not in taken and old not in used:
            taken[new] = old
            used.add(old)
    return taken


def successor(homes: Iterable[int | None]) -> int | None:
    """The story that took most of an old story's articles (their stories now), ties by
    the smaller id; None when none of them has a story."""
    counts = Counter(h for h in homes if h is not None)
    if not counts:
        return None
    return min(counts, key=lambda s: (-counts[s], s))


@dataclass
class OldStories:
    """The grouping before a rebuild: what :func:`settle` needs to keep the addresses."""

    members: dict[int, int]  # article -> its story, for every article of a touched story
    touched: list[int]  # the stories that had articles in the range
    highest: int  # the highest story id before the replay: ids above it are new


@dataclass
class Settled:
    """What :func:`settle` did to the addresses."""

    renamed: dict[int, int] = field(default_factory=dict)  # new story -> the old id it took
    redirected: dict[int, int] = field(default_factory=dict)  # old id -> its successor
    dropped: list[int] = field(default_factory=list)  # old ids deleted (no article left)


def note_members(session: Session, in_range: Any) -> OldStories:
    """Record the stories the range's articles are in, with all their members."""
    touched = select(Article.story_id).where(in_range, Article.story_id.is_not(None)).distinct()
    members = {
        int(a): int(s or 0)  # never 0: the IN list holds no NULL
        for a, s in session.execute(
            select(Article.id, Article.story_id).where(Article.story_id.in_(touched))
        )
    }
    return OldStories(
        members=members,
        touched=sorted(set(members.values())),
        highest=int(session.scalar(select(func.coalesce(func.max(Story.id), 0))) or 0),
    )


def vacate(session: Session, old: OldStories, entities: EntityProvider) -> None:
    """After the range's articles left their stories: refresh those with members left,
    and empty the others' rows, kept (not deleted) until :func:`settle` decides."""
    left: dict[int, int] = {}
    for chunk in _chunks(old.touched):
        left.update(
            (int(s or 0), int(n))  # never 0: grouped over story ids in the chunk
            for s, n in session.execute(
                select(Article.story_id, func.count())
                .where(Article.story_id.in_(chunk))
                .group_by(Article.story_id)
            )
        )
    for story_id in old.touched:
        if left.get(story_id):
            refresh_story(session, story_id, entities)
    empty = [s for s in old.touched if not left.get(s)]
    if empty:
        revision = _next_revision(session)
        for chunk in _chunks(empty):
            session.execute(
                update(Story)
                .where(Story.id.in_(chunk))
                .values(
                    size=0, centroid=None, key_entities=None, updated_at=utcnow(), revision=revision
                )
                .execution_options(synchronize_session=False)
            )
        session.flush()
        session.expire_all()


def settle(session: Session, old: OldStories) -> Settled:
    """After the replay: rebuilt stories take old ids, gone ids redirect (the module's rule)."""
    session.flush()
    session.expire_all()  # the rows as the replay left them
    now: dict[int, int | None] = {}
    articles = list(old.members)
    for chunk in _chunks(articles):
        now.update(
            (int(a), None if s is None else int(s))
            for a, s in session.execute(
                select(Article.id, Article.story_id).where(Article.id.in_(chunk))
            )
        )
    sizes = {
        int(i): int(n)
        for i, n in session.execute(select(Story.id, Story.size).where(Story.id > old.highest))
    }
    for chunk in _chunks(old.touched):
        sizes.update(
            (int(i), int(n))
            for i, n in session.execute(select(Story.id, Story.size).where(Story.id.in_(chunk)))
        )
    fresh = {i for i, n in sizes.items() if i > old.highest and n > 0}
    vacant = {i for i in old.touched if sizes.get(i, 0) == 0}
    shared = Counter(
        (home, story) for a, story in old.members.items() if (home := now.get(a)) is not None
    )
    done = Settled(renamed=claim_ids(shared, fresh, vacant))
    for new, old_id in sorted(done.renamed.items()):
        _take_over(session, new, old_id)
    final = {a: None if h is None else done.renamed.get(h, h) for a, h in now.items()}
    homes: dict[int, list[int | None]] = {}
    for a, story in old.members.items():
        homes.setdefault(story, []).append(final.get(a))
    for old_id in sorted(vacant - set(done.renamed.values())):
        target = successor(homes.get(old_id, []))
        if target is None:
            session.execute(
                delete(Story)
                .where((Story.id == old_id) | (Story.merged_into == old_id))
                .execution_options(synchronize_session=False)
            )
            done.dropped.append(old_id)
            continue
        forward_story(session, old_id, target)
        done.redirected[old_id] = target
    # rows the replay opened and then merged away: never seen outside this transaction
    session.execute(
        delete(Story)
        .where(Story.id > old.highest, Story.size == 0)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.expire_all()
    return done


def _take_over(session: Session, new: int, old_id: int) -> None:
    """Move the rebuilt story ``new`` to the old id ``old_id``: its row, articles, redirects."""
    source = session.get(Story, new)
    target = session.get(Story, old_id)
    assert source is not None and target is not None  # both read under the story lock
    target.label = source.label
    target.size = source.size
    target.first_seen_at, target.last_seen_at = source.first_seen_at, source.last_seen_at
    target.centroid = source.centroid
    target.key_entities = source.key_entities
    target.merged_into = None
    target.updated_at = utcnow()
    session.execute(
        update(Article)
        .where(Article.story_id == new)
        .values(story_id=old_id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Story)
        .where(Story.merged_into == new)
        .values(merged_into=old_id)
        .execution_options(synchronize_session=False)
    )
    session.delete(source)
    session.flush()
    target.revision = _next_revision(session)
    session.flush()


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]
