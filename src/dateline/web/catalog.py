"""An in-memory index of every listed article, for the lists the site pages through.

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

The list rankers (``rank.rankers.DatelineRankers``) keep their own arrays of the corpus,
reloaded when this index sees the corpus change (``listeners``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import func, select

from dateline.store.db import Store
from dateline.store.models import Page
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
