"""An in-memory index of every listed article, and the simple rankers served from it.

With 100,000 articles, every list the site shows — Related's candidates, "newest not yet
seen", the home sections — is a ``latest()`` query that sorts the whole article table,
hundreds of milliseconds on SQLite. Each web worker therefore keeps the summaries of all
listed articles in memory, newest first (about 1 KB per article), and answers those lists
by scanning it.

**Freshness**: the corpus changes by adding pages (a new article, a new version, a date
correction and a supersession all arrive with a new page row) and by the enrich stage
(categories, dates, which carrier leads), which bumps the corpus revision
(``store.revision``), so ``max(pages.id)``, ``count(pages)`` and that revision are a
version. Once the last check is three quarters of
``check_seconds`` (``page_cache_seconds``) old, the check — and on a change the rebuild —
runs in the background (``Refresher``), never on the event loop nor in a request; the old
index keeps serving meanwhile. Past ``check_seconds`` without a check, ``current()`` says
no (the fast path steps aside) and ``fresh()`` checks in the calling thread. So a list is
never older than that bound plus the rebuild time (about a second per 100,000 articles).

``IndexedRankers`` implements the ``Rankers`` interface with the rules of
``SimpleRankers`` (both are :class:`~dateline.rank.simple.NewestRules`: same candidates,
same order, same reasons; tested), reading the index instead of running ``latest()``; only "most read" still reads ``article_daily`` (one indexed query).
``recommendations`` answers many readers at once (the web worker refreshes every cached
reader's list every few seconds): it asks only which of the newest articles each reader
has read, one query for hundreds of readers, instead of reading each reader's history.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dateline.rank.base import Ranked
from dateline.rank.simple import NewestRules, title_words
from dateline.readers.events import VIEW
from dateline.store.db import Store
from dateline.store.models import Event, Page
from dateline.store.queries import (
    ArticleSummary,
    Cursor,
    category_label,
    summaries_query,
    to_summary,
)
from dateline.store.revision import corpus_revision
from dateline.web.cache import REFRESH_AT, Refresher

Version = tuple[int, int, int]
# Newest articles looked at for a batch of Recommendation lists beyond the list's size: a
# reader who has read more of them than this gets the exact rule on their whole history.
RECOMMENDATION_WINDOW_SLACK = 40


class Catalog:
    """Summaries of every listed article in the lists' order (``queries.LIST_ORDER``)."""

    def __init__(
        self, store: Store, check_seconds: float, refresher: Refresher | None = None
    ) -> None:
        self.store = store
        self.check_seconds = check_seconds
        self.refresher = refresher
        self.items: list[ArticleSummary] = []
        self.sort_at: dict[int, datetime] = {}
        self.undated: frozenset[int] = frozenset()
        self.by_id: dict[int, ArticleSummary] = {}
        self.version: Version | None = None
        self._words: dict[int, set[str]] = {}
        self._checked = 0.0
        self._lock = threading.Lock()
        self.listeners: list[Callable[[], None]] = []  # called after a rebuild

    def _current_version(self) -> Version:
        with self.store.read() as session:
            top, count = session.execute(select(func.max(Page.id), func.count(Page.id))).one()
            revision = corpus_revision(session)
        return int(top or 0), int(count or 0), revision

    def current(self) -> bool:
        """True when the index was checked within ``check_seconds`` (never blocks).

        Past three quarters of that, a background check is scheduled.
        """
        if self.version is None:
            return False
        age = time.monotonic() - self._checked
        if age >= self.check_seconds * REFRESH_AT:
            self._schedule_check()
        return age < self.check_seconds

    def fresh(self) -> Catalog:
        """The index, checked (and rebuilt when the corpus changed) if ``check_seconds`` old."""
        if self.current():
            return self
        self._check()
        return self

    def _schedule_check(self) -> None:
        if self.refresher is not None:
            self.refresher.schedule(("catalog", id(self)), self._check)

    def _check(self) -> None:
        with self._lock:
            if (
                self.version is not None
                and time.monotonic() - self._checked < self.check_seconds * REFRESH_AT
            ):
                return
            started = time.monotonic()
            version = self._current_version()
            if version != self.version:
                self._load(version)
                for listener in self.listeners:
                    listener()
            self._checked = started

    def _load(self, version: Version) -> None:
        with self.store.read() as session:
            rows = session.execute(summaries_query()).all()
        # LIST_ORDER: dated before undated, then sort date descending, then id descending.
        keyed = sorted(
            ((-r.sort_undated, r.sort_at, r.id, to_summary(r)) for r in rows), reverse=True
        )
        # Swap whole objects: readers in other threads see the old or the new index.
        self.sort_at = {aid: at for _, at, aid, _ in keyed}
        self.undated = frozenset(aid for flag, _, aid, _ in keyed if flag)
        self.by_id = {s.id: s for *_, s in keyed}
        self.items = [s for *_, s in keyed]
        self._words = {}
        self.version = version

    def cursor(self, article_id: int) -> Cursor:
        """The keyset position of a listed article, as ``latest()`` would give it."""
        return Cursor(self.sort_at[article_id], article_id, article_id in self.undated)

    # --- queries ---------------------------------------------------------------------------

    def summaries(self, ids: list[int]) -> list[ArticleSummary]:
        """Summaries for ``ids`` in that order; unknown or superseded ids are dropped."""
        by_id = self.fresh().by_id
        return [by_id[i] for i in ids if i in by_id]

    def newest(
        self,
        limit: int,
        *,
        exclude: frozenset[int] | set[int] = frozenset(),
        category: str | None = None,
        until: datetime | None = None,
    ) -> list[ArticleSummary]:
        """Like ``latest(limit, ListFilter(category, until, exclude_ids))``."""
        out: list[ArticleSummary] = []
        # labels are spelled one way per case-insensitive name (queries.category_label)
        wanted = category_label(category)[0] if category is not None else None
        for s in self._scan(until):
            if s.id in exclude or (wanted is not None and s.category != wanted):
                continue
            out.append(s)
            if len(out) >= limit:
                break
        return out

    def _scan(self, until: datetime | None) -> Iterator[ArticleSummary]:
        index = self.fresh()
        items, sort_at = index.items, index.sort_at
        for s in items:
            if until is not None and sort_at[s.id] >= until:
                continue
            yield s

    def words(self, summary: ArticleSummary) -> set[str]:
        words = self._words.get(summary.id)
        if words is None:
            words = self._words[summary.id] = title_words(summary.title)
        return words


class IndexedRankers(NewestRules):
    """``SimpleRankers``' rules over the in-memory catalog (same lists, no ``latest()``)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def newest(
        self,
        session: Session,
        limit: int,
        *,
        exclude: frozenset[int] = frozenset(),
        category: str | None = None,
        until: datetime | None = None,
    ) -> list[int]:
        return [
            s.id
            for s in self.catalog.newest(limit, exclude=exclude, category=category, until=until)
        ]

    def with_words(
        self, session: Session, limit: int, exclude: frozenset[int]
    ) -> list[tuple[int, set[str]]]:
        return [(s.id, self.catalog.words(s)) for s in self.catalog.newest(limit, exclude=exclude)]

    def recommendations(
        self,
        session: Session,
        reader_ids: Sequence[str],
        now: datetime,
        limit: int,
        exclude: frozenset[int] = frozenset(),
    ) -> dict[str, list[Ranked]]:
        """``recommendation`` for each reader, the same lists, with one query for all.

        The list is the newest ``limit`` articles a reader has not viewed, so only the
        views among the newest ``limit + RECOMMENDATION_WINDOW_SLACK`` articles matter; a
        reader with too many of those viewed falls back to ``recommendation``.
        """
        if not reader_ids:
            return {}
        window = limit + RECOMMENDATION_WINDOW_SLACK
        until = now + timedelta(seconds=1)
        candidates = [s.id for s in self.catalog.newest(window, exclude=exclude, until=until)]
        seen: dict[str, set[int]] = {rid: set() for rid in reader_ids}
        if candidates:
            rows = session.execute(
                select(Event.reader_id, Event.article_id)
                .where(
                    Event.kind == VIEW,
                    Event.reader_id.in_(list(reader_ids)),
                    Event.article_id.in_(candidates),
                )
                .distinct()
            )
            for rid, aid in rows:
                seen[str(rid)].add(int(aid))
        out: dict[str, list[Ranked]] = {}
        for rid in reader_ids:
            viewed = seen[rid]
            picked = [aid for aid in candidates if aid not in viewed][:limit]
            if len(picked) < limit and len(candidates) == window:
                out[rid] = self.recommendation(session, rid, now, limit, exclude)
            else:
                reason = "newest you have not read" if rid else "newest"
                out[rid] = [Ranked(aid, reason) for aid in picked]
        return out
