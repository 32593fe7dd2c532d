"""The store adapter: the online core held across an enrich run, against the database.

:class:`StoryClusterer` assigns articles (one at a time, or a range replayed by
:meth:`~StoryClusterer.rebuild`), keeps the core in step with the story rows by their
revisions, and carries the core's merges and splits out to the articles. It is the one
place where the pure core (:mod:`.core`) meets sessions, locks and rows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from dateline.enrich.embed import (
    embedding_dimensions,
    embeds_lead,
    ensure_vectors,
    load_vectors,
    vector_from_bytes,
)
from dateline.enrich.stories.addresses import Settled, note_members, settle, vacate
from dateline.enrich.stories.core import OnlineStoryClusterer
from dateline.enrich.stories.entities import EntityProvider, store_entities
from dateline.enrich.stories.labels import _central, _key_entities, refresh_story
from dateline.enrich.stories.rows import (
    _DATE,
    _LIVE,
    _STORY_STATE,
    _highest_revision,
    _members_of,
    _write_story,
    article_date,
    clustering_date,
    forward_story,
    lock_stories,
)
from dateline.enrich.stories.scoring import ARTICLE_JOIN_THRESHOLD, JOIN_THRESHOLD
from dateline.enrich.story_words import headline_words
from dateline.store.models import Article, Story
from dateline.store.repository import utcnow

# How many members (of the stories scored most lately; the least recently used story goes
# first) a long-running clusterer keeps in memory: about 2 kB each (vector, words, dates).
HELD_MEMBERS = 50_000


class StoryClusterer:
    """The online core run against the database (both engines), kept between articles.

    It holds every live story's mean, size and date span in an in-memory core, and the
    newest members of the stories it scored most lately (up to ``HELD_MEMBERS``). For
    each article it takes the story lock (:func:`lock_stories`) and reads only the story
    rows whose ``revision`` is above the highest it has seen. Deleted rows leave no
    revision behind: a count of live stories, once per transaction (the lock keeps other
    writers out until it ends), catches them, and then it reads everything again; its own
    deletions (:meth:`rebuild`) drop what it holds. So an article costs a scan of the
    means in memory plus the members of the candidate stories it does not hold yet, not a
    read of every story (which grew linearly with the archive). A rolled-back transaction
    drops everything held (what it had read may never have been committed).
    """

    def __init__(
        self,
        entities: EntityProvider = store_entities,
        *,
        article_threshold: float = ARTICLE_JOIN_THRESHOLD,
    ) -> None:
        self.entities = entities
        # for articles embedded with their lead; headline-only ones take JOIN_THRESHOLD
        self.article_threshold = article_threshold
        self._core: OnlineStoryClusterer | None = None
        self._bind: object = None
        self._seen = 0  # the highest revision read
        self._revision: dict[int, int] = {}  # live story -> its revision
        # story -> (revision, number) of the members held, least recently scored first
        self._held: OrderedDict[int, tuple[int, int]] = OrderedDict()
        self._members_held = 0
        self._counted: object = None  # the transaction whose live stories were counted
        self._on_rollback = self.forget  # one bound method, so the listener is added once
        self.last_rebuild: Settled | None = None  # what the last rebuild did to addresses

    def forget(self, *_: object) -> None:
        """Drop every story held in memory: the next article reads them all again."""
        self._core = None
        self._seen = 0
        self._revision.clear()
        self._held.clear()
        self._members_held = 0
        self._counted = None

    def assign(self, session: Session, article_id: int) -> int | None:
        """The article's story id, assigning it now if it has none; None if not embeddable."""
        article = session.get(Article, article_id)
        if article is None:
            return None
        if article.story_id is not None:
            return int(article.story_id)
        vector = ensure_vectors(session, [article_id]).get(article_id)
        if vector is None:
            return None
        core = self._sync(session)
        when = clustering_date(article.published_at, article.first_seen_at, article.date_status)
        ents = set(self.entities(session, [article_id]).get(article_id, ()))
        candidates = core.candidate_keys(vector)
        self._hold(session, core, candidates, exclude=article_id)
        decision = core.add(
            vector,
            when,
            ents,
            words=headline_words(article.title),
            new_key=-1,
            ref=article_id,
            candidates=candidates,
            threshold=self.article_threshold if embeds_lead(article.body) else JOIN_THRESHOLD,
        )
        if decision.new:
            core.drop_story(-1)  # the core learns the new story from its row, like any other
            date = article_date(article.published_at, article.first_seen_at)
            story = Story()
            session.add(story)
            _write_story(
                session,
                story,
                size=1,
                mean=np.asarray(vector, dtype="<f4"),
                span=(date, date),
                label=article.title,
                key_entities=_key_entities([ents]),
            )
            article.story_id = int(story.id)
            session.flush()
            return int(story.id)
        article.story_id = decision.story
        session.flush()
        self._joined(session, core, decision.story, article)
        merged = self._merge_converged(session, core, decision.story)
        if merged is not None:
            return merged
        return self._split(session, core, decision.story, article_id)

    def _sync(self, session: Session) -> OnlineStoryClusterer:
        """The in-memory core, brought up to date with the story rows."""
        lock_stories(session)
        if not event.contains(session, "after_soft_rollback", self._on_rollback):
            event.listen(session, "after_soft_rollback", self._on_rollback)
        core = self._core
        transaction = session.get_transaction()
        if core is not None and self._bind is session.get_bind():
            # in revision order, which the index gives (ordering by id made SQLite scan
            # the whole table for every article)
            changed = _STORY_STATE.where(Story.revision > self._seen).order_by(Story.revision)
            for row in session.execute(changed):
                self._apply(core, row)
            if self._counted is transaction:
                return core
            live = session.scalar(select(func.count()).select_from(Story).where(*_LIVE))
            if live == len(core):
                self._counted = transaction
                return core
        # first use, another database, or stories deleted since: read them all
        self.forget()
        core = self._core = OnlineStoryClusterer(regroup=False, dim=embedding_dimensions())
        self._bind = session.get_bind()
        for row in session.execute(_STORY_STATE.where(*_LIVE).order_by(Story.id)):
            self._apply(core, row)
        self._seen = _highest_revision(session)
        self._counted = transaction
        return core

    def _apply(self, core: OnlineStoryClusterer, row: Any) -> None:
        story_id = int(row.id)
        self._seen = max(self._seen, int(row.revision))
        if row.centroid is None or row.size <= 0:
            self._release(core, story_id)
            core.drop_story(story_id)
            self._revision.pop(story_id, None)
            return
        if story_id in self._held and self._held[story_id][0] != row.revision:
            self._release(core, story_id)
        self._revision[story_id] = int(row.revision)
        core.set_story(
            story_id,
            mean=vector_from_bytes(row.centroid),
            size=int(row.size),
            span=(row.first_seen_at, row.last_seen_at),
        )

    def _hold(
        self, session: Session, core: OnlineStoryClusterer, keys: Sequence[int], *, exclude: int
    ) -> None:
        """Read the members of the stories in ``keys`` that are not held yet."""
        if not keys:
            return
        missing = [k for k in keys if k not in self._held]
        members = _members_of(session, missing, exclude=exclude) if missing else []
        vectors = load_vectors(session, [int(m.id) for m in members])
        ents = self.entities(session, [int(m.id) for m in members])
        grouped: dict[int, list[Any]] = {k: [] for k in missing}
        for m in members:
            if int(m.id) in vectors:
                grouped[int(m.story_id)].append(m)
        for key, rows in grouped.items():
            state = core.story(key)
            core.add_story(
                key,
                [vectors[int(m.id)] for m in rows],
                [clustering_date(m.published_at, m.first_seen_at, m.date_status) for m in rows],
                [ents.get(int(m.id), ()) for m in rows],
                [headline_words(m.title) for m in rows],
                refs=[int(m.id) for m in rows],
                mean=core.mean(key).copy(),
                size=state.size,
                span=(state.first, state.last),
            )
            self._keep(core, key, self._revision[key])
        for key in keys:
            self._held.move_to_end(key)
        wanted = set(keys)
        while self._members_held > HELD_MEMBERS and next(iter(self._held)) not in wanted:
            self._release(core, next(iter(self._held)))

    def _keep(self, core: OnlineStoryClusterer, key: int, revision: int) -> None:
        """Note that ``key``'s members in the core are those of its row at ``revision``."""
        held = len(core.story(key).window)
        self._members_held += held - self._held.get(key, (0, 0))[1]
        self._held[key] = (revision, held)

    def _release(self, core: OnlineStoryClusterer, key: int) -> None:
        """Stop holding ``key``'s members (they are read again when next needed)."""
        if key in self._held:
            self._members_held -= self._held.pop(key)[1]
            core.forget_members(key)

    def _joined(
        self, session: Session, core: OnlineStoryClusterer, story_id: int, article: Article
    ) -> None:
        """Write the story an article joined, from the core (no read of its members)."""
        story = session.get(Story, story_id)
        if story is None:  # pragma: no cover - the lock keeps rows from vanishing
            return
        held = core.story(story_id)
        date = article_date(article.published_at, article.first_seen_at)
        newest = story.last_seen_at is None or date > story.last_seen_at
        mean = core.mean(story_id).astype("<f4")
        members = list(held.window)
        central = members[_central([m.vector for m in members], mean)].ref
        _write_story(
            session,
            story,
            size=held.size,
            mean=mean,
            span=(
                min(d for d in (story.first_seen_at, date) if d is not None),
                max(d for d in (story.last_seen_at, date) if d is not None),
            ),
            label=session.scalar(select(Article.title).where(Article.id == central)) or "",
            key_entities=_key_entities(m.entities for m in members),
        )
        core.set_story(story_id, span=(story.first_seen_at, story.last_seen_at))
        self._revision[story_id] = story.revision
        if newest:  # the members held are the newest by date, as a fresh read would give
            self._keep(core, story_id, story.revision)
        else:
            self._release(core, story_id)

    def _merge_converged(
        self, session: Session, core: OnlineStoryClusterer, story_id: int
    ) -> int | None:
        """Merge the story with the one it has converged on, if any: the id that now holds
        it, or None when nothing merged.

        The core's rule (:meth:`OnlineStoryClusterer.merge_partner_key`; the larger keeps
        its id, the joined story on a tie). The merged story's articles move; its row stays,
        empty, with ``merged_into`` set, and redirects that pointed at it now point at the
        survivor (they stay one hop deep).
        """
        other = core.merge_partner_key(story_id)
        if other is None:
            return None
        mine, theirs = core.story(story_id).size, core.story(other).size
        keep, drop = (story_id, other) if mine >= theirs else (other, story_id)
        mean = (core.mean(story_id) * mine + core.mean(other) * theirs) / (mine + theirs)
        session.execute(update(Article).where(Article.story_id == drop).values(story_id=keep))
        forward_story(session, drop, keep)
        session.flush()
        refresh_story(session, keep, self.entities, mean=mean)
        return keep

    def _split(
        self, session: Session, core: OnlineStoryClusterer, story_id: int, article_id: int
    ) -> int:
        """Split off the part of the story that does not belong, if any (the core's rule,
        :meth:`OnlineStoryClusterer.split_part`); the id of the story holding the article.

        The part's articles move to a new story; both are written afresh. The core learns
        both rows from their revisions on the next article, as it learns any other change.
        """
        part = core.split_part(story_id)
        if part is None:
            return story_id
        window = core.story(story_id).window
        refs = [window[n].ref for n in part.positions]  # members held by the store have ids
        story = Story(label="", updated_at=utcnow())  # written in full below
        session.add(story)
        session.flush()
        session.execute(update(Article).where(Article.id.in_(refs)).values(story_id=story.id))
        session.flush()
        refresh_story(session, int(story.id), self.entities, mean=part.mean)
        refresh_story(session, story_id, self.entities, mean=part.rest_mean)
        return int(story.id) if article_id in refs else story_id

    def assign_many(self, session: Session, article_ids: Iterable[int]) -> dict[int, int | None]:
        """Assign in date order (the order online clustering expects); each article's story.

        The story is the one holding the article at the end, after any merge a later
        article caused.
        """
        ids = list(article_ids)
        ordered = [
            int(i)
            for i in session.execute(
                select(Article.id).where(Article.id.in_(ids)).order_by(_DATE, Article.id)
            ).scalars()
        ]
        placed = {i: self.assign(session, i) for i in ordered}
        now: dict[int, int | None] = {}
        for start in range(0, len(ordered), 500):
            rows = session.execute(
                select(Article.id, Article.story_id).where(
                    Article.id.in_(ordered[start : start + 500])
                )
            )
            now.update((int(i), None if s is None else int(s)) for i, s in rows)
        return {i: now[i] if placed[i] is not None else None for i in ordered}

    def rebuild(
        self, session: Session, since: datetime, until: datetime | None = None
    ) -> dict[int, int | None]:
        """Forget the range's story assignments and replay its articles in date order.

        Older stories stay and can be continued. Story addresses survive (the rule is in
        :mod:`.addresses`): a rebuilt story takes the id of the old story it shares most
        articles with, and an old id whose story is gone redirects to the story that took
        most of its articles. What was done is kept in :attr:`last_rebuild`.
        """
        lock_stories(session)
        in_range = since <= _DATE
        if until is not None:
            in_range = in_range & (until > _DATE)
        ids = [int(i) for i in session.execute(select(Article.id).where(in_range)).scalars()]
        old = note_members(session, in_range)
        session.execute(
            update(Article)
            .where(in_range)
            .values(story_id=None)
            .execution_options(synchronize_session=False)
        )
        session.flush()
        session.expire_all()
        vacate(session, old, self.entities)  # the emptied rows stay until settled
        self.forget()
        ensure_vectors(session, ids)
        placed = self.assign_many(session, ids)
        self.last_rebuild = settle(session, old)
        self.forget()  # the core knew the rebuilt stories by the ids they have just left
        renamed = self.last_rebuild.renamed
        return {i: None if s is None else renamed.get(s, s) for i, s in placed.items()}
