"""Dateline's rankers behind the ``Rankers`` interface: what the site and the API serve.

* **Related** is a read of the list the enrich stage stored (:mod:`dateline.enrich.related`):
  at most ten rows by primary key, never a search on the request path.
* **Ranking** is :mod:`dateline.rank.ranking` over the in-memory corpus and the decayed
  engagement (:mod:`dateline.rank.engagement`), recomputed at most every
  ``engagement_seconds``.
* **Recommendation** is :mod:`dateline.rank.recommend` over the reader's profile
  (:mod:`dateline.rank.profile`): their stored reads, the reads this worker served that
  are not yet flushed (``readers.recent``), the article being read now, and their
  controls (``readers.controls``).

The corpus arrays (:class:`~dateline.enrich.corpus_index.CorpusIndex`) are loaded once and
reloaded by :meth:`reload` when the site's catalog sees the corpus change; until the
first load, :meth:`index` loads them in the calling thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from dateline.enrich.corpus_index import CorpusIndex, load_corpus_index
from dateline.rank import ranking as ranking_rules
from dateline.rank.base import Ranked
from dateline.rank.collab import CoReadingModel, fit_coreading
from dateline.rank.engagement import Engagement, engagement, popularity_prior
from dateline.rank.profile import MAX_HISTORY, Profile, Read, build_profile
from dateline.rank.recommend import (
    BLEND,
    MMR_LAMBDA,
    CollabScores,
    Weights,
    cold_list,
    recommend,
)
from dateline.readers.controls import NO_CONTROLS, controls_of
from dateline.readers.events import REACTION, VIEW
from dateline.readers.recent import RecentReads
from dateline.store.db import Store
from dateline.store.models import Event, RelatedItem
from dateline.store.queries import ArticleDetail, category_label

log = logging.getLogger(__name__)
# A reaction says more about a reader's interests than a view.
REACTION_READ_WEIGHT = 3.0
# The cold list is this long, so a reader's mutes and reads still leave a full list.
COLD_SIZE = 60
# Engagement (and Ranking, the popularity prior, the cold mix) is recomputed in the
# background at most this often; a reaction asks for it at once. Seconds at a million
# events, so not per request.
ENGAGEMENT_SECONDS = 30.0
# The co-reading model learns from this many days of reads.
COLLAB_DAYS = 30


@dataclass(frozen=True)
class Derived:
    """Engagement and what follows from it, for one corpus index and one site time."""

    made: float  # time.monotonic() when it was finished
    now: datetime  # the site time it was computed for
    index: CorpusIndex
    engaged: dict[int, Engagement]
    popularity: np.ndarray  # the popularity prior by index row
    scored: list[ranking_rules.Scored]  # Ranking's order, site-wide (rank.ranking.scored)
    cold: list[Ranked]  # the cold-start mix (rank.recommend.cold_list)
    by_category: dict[str, list[Ranked]] = field(default_factory=dict)  # filled on demand


def derive(session: Session, index: CorpusIndex, now: datetime) -> Derived:
    """Engagement (``rank.engagement``), the popularity prior by row, Ranking's order and
    the cold-start mix: seconds at a million events, so never on a request."""
    engaged = engagement(session, now)
    popularity = np.zeros(len(index))
    for aid, value in popularity_prior(engaged).items():
        row = index.pos.get(aid)
        if row is not None:
            popularity[row] = value
    found = ranking_rules.scored_enough(index, engaged, now, COLD_SIZE)
    cold = cold_list(index, found, COLD_SIZE)
    return Derived(time.monotonic(), now, index, engaged, popularity, found, cold)


class DatelineRankers:
    name = "dateline"

    def __init__(
        self,
        store: Store,
        recent: RecentReads | None = None,
        *,
        engagement_seconds: float = ENGAGEMENT_SECONDS,
        weights: Weights = BLEND,
        mmr_lambda: float = MMR_LAMBDA,
        schedule: Callable[[Hashable, Callable[[], None]], object] | None = None,
    ) -> None:
        """``weights`` and ``mmr_lambda``: the Recommendation score's (the site uses the
        defaults; benchmarks compare single signals and other trade-offs). ``schedule``
        runs the background refresh (the site's ``Refresher.schedule``, so waiting for
        the site's background work waits for it too); None: a thread of its own."""
        self.schedule = schedule
        self.store = store
        self.weights = weights
        self.mmr_lambda = mmr_lambda
        self.recent = recent or RecentReads()
        self.engagement_seconds = engagement_seconds
        self.collab: CollabScores | None = None
        self._index: CorpusIndex | None = None
        self._lock = threading.Lock()
        self._cache: Derived | None = None
        self._refreshing = threading.Lock()  # one background refresh at a time
        self._stale = False

    # --- corpus ------------------------------------------------------------------------

    def reload(self) -> None:
        """Load the corpus arrays again (the catalog calls this, in the background, when
        the corpus changed), and what derives from them, before either is swapped in."""
        with self.store.read() as session:
            index = load_corpus_index(session)
            now = self._cache.now if self._cache is not None else None
            derived = derive(session, index, now) if now is not None else None
        with self._lock:
            self._index = index
            if derived is not None:
                self._cache = derived

    def index(self) -> CorpusIndex:
        if self._index is None:
            self.reload()
        assert self._index is not None
        return self._index

    def _derived(self, session: Session, now: datetime) -> Derived:
        """The derived figures; computed here only the first time (or for a new corpus
        index), else refreshed in the background once ``engagement_seconds`` old or
        after a reaction, the old ones serving meanwhile."""
        cached = self._cache
        index = self.index()
        if cached is None or cached.index is not index:
            self._cache = cached = derive(session, index, now)
            return cached
        old = time.monotonic() - cached.made >= self.engagement_seconds or now < cached.now
        if (old or self._stale) and self._refreshing.acquire(blocking=False):
            self._stale = False
            if self.schedule is not None:
                self.schedule(("rankers", id(self)), lambda: self._refresh(now))
            else:
                threading.Thread(
                    target=self._refresh, args=(now,), name="dateline-engagement", daemon=True
                ).start()
        return cached

    def _refresh(self, now: datetime) -> None:
        try:
            with self.store.read() as session:
                derived = derive(session, self.index(), now)
            with self._lock:
                if derived.index is self._index:
                    self._cache = derived
        except Exception:  # the old figures keep serving; the next call tries again
            log.exception("refreshing engagement failed")
        finally:
            self._refreshing.release()

    def refresh_now(self, now: datetime) -> None:
        """Recompute the derived figures in this thread (tests, benchmarks, the CLI)."""
        with self.store.read() as session:
            self._cache = derive(session, self.index(), now)

    def retrain(self, now: datetime) -> bool:
        """Fit the co-reading model on the last ``COLLAB_DAYS`` of reads (a background job
        on a schedule, never a request); False when there is too little co-reading."""
        with self.store.read() as session:
            reads = training_reads(session, now)
        model = fit_coreading(reads)
        self.collab = None if model is None else self._collab_scores(model)
        return model is not None

    def _collab_scores(self, model: CoReadingModel) -> CollabScores:
        def scores(profile: Profile, rows: np.ndarray) -> np.ndarray:
            index = self.index()
            history = [int(index.ids[r]) for r in profile.rows]
            raw = model.scores(history, index.ids[rows], weights=profile.weights)
            finite = raw[np.isfinite(raw)]
            top = float(finite.max()) if finite.size else 0.0
            if top <= 0:
                return np.full(len(rows), np.nan)
            return np.clip(raw / top, 0.0, 1.0)

        return scores

    def forget_engagement(self) -> None:
        """After a reaction: engagement is read again, in the background."""
        self._stale = True

    # --- the three lists ---------------------------------------------------------------

    def related(self, session: Session, article: ArticleDetail, limit: int) -> list[Ranked]:
        rows = session.execute(
            select(RelatedItem.related_id, RelatedItem.reason)
            .where(RelatedItem.article_id == article.id)
            .order_by(RelatedItem.position)
        ).all()
        return [Ranked(int(r), reason) for r, reason in rows if r != article.id][:limit]

    def ranking(
        self, session: Session, now: datetime, limit: int, category: str | None = None
    ) -> list[Ranked]:
        derived = self._derived(session, now)
        if category is None:
            return ranking_rules.ranked_items(derived.index, derived.scored, limit)
        key = f"{category_label(category)[0]}\x00{limit}"
        found = derived.by_category.get(key)
        if found is None:  # a category's own order: computed once per refresh
            found = derived.by_category[key] = ranking_rules.top(
                derived.index, derived.engaged, derived.now, limit, category
            )
        return found

    def top_stories(
        self, session: Session, now: datetime, limit: int
    ) -> list[ranking_rules.TopStory]:
        """Ranking's items with their stories and source counts (the home page)."""
        derived = self._derived(session, now)
        return ranking_rules.top_stories(derived.index, derived.scored, limit)

    def recommendation(
        self,
        session: Session,
        reader_id: str | None,
        now: datetime,
        limit: int,
        exclude: frozenset[int] = frozenset(),
        current: int | None = None,
    ) -> list[Ranked]:
        found = self.recommendations(
            session, [reader_id or ""], now, limit, exclude, current=current
        )
        return found[reader_id or ""]

    def recommendations(
        self,
        session: Session,
        reader_ids: Sequence[str],
        now: datetime,
        limit: int,
        exclude: frozenset[int] = frozenset(),
        current: int | None = None,
    ) -> dict[str, list[Ranked]]:
        """Lists for several readers with a few queries for all of them ("" is a reader
        with no cookie: the cold list, or one around ``current``)."""
        index = self.index()
        derived = self._derived(session, now)
        known = [r for r in reader_ids if r]
        reads = reads_of(session, known)
        controls = controls_of(session, known)
        out: dict[str, list[Ranked]] = {}
        for rid in reader_ids:
            history = list(reads.get(rid, [])) + [
                Read(aid, at) for aid, at in (self.recent.of(rid) if rid else [])
            ]
            mine = controls.get(rid, NO_CONTROLS)
            profile = build_profile(index, history, now, current=current, controls=mine)
            out[rid] = recommend(
                index,
                profile,
                now,
                limit,
                popularity=derived.popularity,
                cold=derived.cold,
                controls=mine,
                exclude=exclude,
                collab=self.collab,
                weights=self.weights,
                mmr_lambda=self.mmr_lambda,
            )
        return out


def training_reads(session: Session, now: datetime) -> list[tuple[str, int, float]]:
    """(reader, article, weight) of the last ``COLLAB_DAYS``: a view 1, a reaction more."""
    rows = session.execute(
        select(Event.reader_id, Event.article_id, Event.kind)
        .where(
            Event.reader_id.is_not(None),
            Event.kind.in_((VIEW, REACTION)),
            Event.value > 0,
            Event.created_at >= now - timedelta(days=COLLAB_DAYS),
            Event.created_at <= now,
        )
        .execution_options(yield_per=5000)
    )
    return [
        (str(rid), int(aid), REACTION_READ_WEIGHT if kind == REACTION else 1.0)
        for rid, aid, kind in rows
    ]


def reads_of(session: Session, reader_ids: Sequence[str]) -> dict[str, list[Read]]:
    """Each reader's newest views and reactions (at most ``MAX_HISTORY`` kept each)."""
    out: dict[str, list[Read]] = {}
    ids = list(dict.fromkeys(reader_ids))
    for start in range(0, len(ids), 200):
        query = (
            select(Event.reader_id, Event.article_id, Event.kind, Event.created_at)
            .where(
                Event.reader_id.in_(ids[start : start + 200]),
                Event.kind.in_((VIEW, REACTION)),
                Event.value > 0,
            )
            .order_by(Event.created_at.desc())
        )
        if len(ids) == 1:  # the common case (a reader's own view): only what is kept
            query = query.limit(MAX_HISTORY * 2)
        rows = session.execute(query)
        for rid, aid, kind, at in rows:
            reads = out.setdefault(str(rid), [])
            if len(reads) < MAX_HISTORY * 2:
                weight = REACTION_READ_WEIGHT if kind == REACTION else 1.0
                reads.append(Read(int(aid), at, weight))
    return out
