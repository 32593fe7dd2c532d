"""The article page's live parts: view and reaction counts, and each reader's state.

These change far more often than the page itself, so they are cached only for
``page_cache_seconds`` and spliced into the shared page per request. Each has a blocking
build (threadpool) and a non-blocking peek (the fast path); a stale entry is rebuilt in
one background job for every stale entry at once (a few queries, not one per article or
reader), so a busy worker's caches never queue up behind each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dateline.rank.base import RECOMMENDATION_SIZE
from dateline.store.models import ArticleStats, Reaction
from dateline.web.cache import TTLCache
from dateline.web.page_parts import Item, list_items
from dateline.web.security import csrf_token
from dateline.web.site_core import SiteCore

# Stale counts re-read per query by the background refresh.
COUNTS_PER_QUERY = 500
# Stale reader states rebuilt per query (and per transaction) by the background refresh.
READERS_PER_QUERY = 200
# A reader state keeps this many Recommendation items beyond the list's size, so the list
# stays full on the page of an article it holds and after the reader's newest reads.
RECO_SPARE = 4


@dataclass(frozen=True)
class ReaderState:
    """What a reader's parts need, cached per reader for page_cache_seconds."""

    reco: tuple[Item, ...]
    reacted: frozenset[int]
    csrf: str
    personal: bool = False  # the list rests on the reader's history (not the cold mix)


class LiveParts(SiteCore):
    """Counts and reader state, for :class:`dateline.web.site_articles.ArticlePages`."""

    def counts(self, article_id: int) -> tuple[int, int]:
        """(views, reactions) shown on the page, at most page_cache_seconds old; blocking."""
        value = self.peek_counts(article_id)
        if value is None:
            value = self.counts_cache.get_or_build(
                article_id, lambda: self._read_counts([article_id])[article_id]
            )
        return value

    def peek_counts(self, article_id: int) -> tuple[int, int] | None:
        """The cached counts; stale ones are re-read in one background query for all.

        Every article read since its counts were cached is re-read then, not only those
        read again in the refresh window (see "refreshed ahead" in cache.py).
        """
        return self._peek_batched(self.counts_cache, article_id, "counts", self._refresh_counts)

    def _peek_batched(
        self, cache: TTLCache[Any], key: Hashable, job: str, refresh: Callable[[], None]
    ) -> Any:
        """``cache``'s value for ``key``, watched: due entries are redone by one ``refresh``
        job for all of them (the cache keeps the due keys; see ``take_due``)."""
        value, due = cache.read(key, watch=True)
        if due or cache.any_due():
            self.refresher.schedule(job, refresh)
        return value

    def _refresh_counts(self) -> None:
        ids = sorted(k for k in self.counts_cache.take_due() if isinstance(k, int))
        since, born = self.counts_cache.generation(), time.monotonic()
        for n in range(0, len(ids), COUNTS_PER_QUERY):
            chunk = ids[n : n + COUNTS_PER_QUERY]
            for aid, value in self._read_counts(chunk).items():
                self.counts_cache.put(aid, value, since=since, born=born)

    def _read_counts(self, ids: list[int]) -> dict[int, tuple[int, int]]:
        found = dict.fromkeys(ids, (0, 0))
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(ArticleStats.article_id, ArticleStats.views, ArticleStats.reactions).where(
                    ArticleStats.article_id.in_(ids)
                )
            ).all()
            conn.rollback()
        for aid, views, reactions in rows:
            found[int(aid)] = (int(views), int(reactions))
        return found

    def reader_state(self, reader_id: str) -> ReaderState:
        """A reader's Recommendation candidates and reactions (a few indexed queries)."""
        state: ReaderState = self.reader_states.get_or_build(
            ("reader", reader_id), lambda: self._build_reader_state(reader_id)
        )
        return state

    def _rebuild_reader(self, reader_id: str) -> None:
        """The background job of ``reader_read`` / ``invalidate_reader``."""
        key = ("reader", reader_id)
        self.reader_states.get_or_build(
            key,
            lambda: self._build_reader_state(reader_id),
            force=self.reader_states.superseded(key),
        )

    def reco_items(
        self, reader_id: str | None, state: ReaderState, items: tuple[Item, ...] | None = None
    ) -> tuple[Item, ...]:
        """The state's Recommendation (or ``items``) less what the reader read in this
        worker since: a state kept serving while its rebuild waits (``reader_read``)
        never shows a read article."""
        items = state.reco if items is None else items
        if not reader_id:
            return items
        read = {aid for aid, _ in self.recent_reads.of(reader_id)}
        if not read:
            return items
        return tuple(i for i in items if i.article_id not in read)

    def peek_reader_state(self, reader_id: str) -> ReaderState | None:
        """The cached state; stale ones are rebuilt in one background job for all (as
        counts are): with every reader's state expiring every page_cache_seconds, one job
        per reader would queue up behind each other, and the states would expire first."""
        self.maybe_poll_reader_changes()
        state: ReaderState | None = self._peek_batched(
            self.reader_states, ("reader", reader_id), "readers", self._refresh_readers
        )
        return state

    def _refresh_readers(self) -> None:
        taken = self.reader_states.take_due()
        ids = sorted(k[1] for k in taken if isinstance(k, tuple) and k[0] == "reader")
        for n in range(0, len(ids), READERS_PER_QUERY):
            since, born = self.reader_states.generation(), time.monotonic()
            for reader_id, state in self._build_reader_states(
                ids[n : n + READERS_PER_QUERY]
            ).items():
                self.reader_states.put(("reader", reader_id), state, since=since, born=born)

    def _build_reader_state(self, reader_id: str) -> ReaderState:
        return self._build_reader_states([reader_id])[reader_id]

    def _build_reader_states(self, reader_ids: list[str]) -> dict[str, ReaderState]:
        """Reader states for several readers: a few queries for all of them."""
        reacted: dict[str, set[int]] = {rid: set() for rid in reader_ids}
        with self.store.read() as session:
            recos = self._recommendations(session, reader_ids, RECOMMENDATION_SIZE + RECO_SPARE)
            rows = session.execute(
                select(Reaction.reader_id, Reaction.article_id).where(
                    Reaction.reader_id.in_(reader_ids)
                )
            )
            for reader_id, article_id in rows:
                reacted[reader_id].add(article_id)
        out = {}
        for rid in reader_ids:
            token = csrf_token(self.secret, rid)
            items = list_items("recommendation", self.entries(recos[rid]), token)
            personal = any(not r.filler for r in recos[rid])
            out[rid] = ReaderState(items, frozenset(reacted[rid]), token, personal)
        return out

    def _recommendations(
        self, session: Session, reader_ids: list[str], size: int
    ) -> dict[str, list[Any]]:
        """``recommendation_entries``' ranked lists (no exclusion) for several readers."""
        now, exclude = self.now(), frozenset[int]()
        batch = getattr(self.rankers, "recommendations", None)
        if batch is not None:
            ranked: dict[str, list[Any]] = batch(session, reader_ids, now, size, exclude)
            return ranked
        return {
            rid: self.rankers.recommendation(session, rid, now, size, exclude=exclude)
            for rid in reader_ids
        }

    def anonymous_state(self) -> ReaderState:
        state: ReaderState = self.pages.get_or_build("anonymous-reco", self._build_anonymous)
        return state

    def _build_anonymous(self) -> ReaderState:
        with self.store.read() as session:
            reco = self.recommendation_entries(session, None, None, RECOMMENDATION_SIZE + 1)
        return ReaderState(list_items("recommendation", reco), frozenset(), "")
