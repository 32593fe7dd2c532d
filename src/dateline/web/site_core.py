"""The site's shared services and the lists every page uses: the base of ``Site``.

``SiteCore`` owns what one worker holds for its whole life (settings, store, rankers, the
in-memory catalog, templates, caches, the event buffer, the clock) and the few reads that
many pages share (navigation, category lookup, the Ranking list, Recommendation lists,
error pages, cache invalidation). The page-specific services build on it in their own
modules (:mod:`dateline.web.site_live`, :mod:`dateline.web.site_views`,
:mod:`dateline.web.site_articles`, :mod:`dateline.web.site_home`) and
:mod:`dateline.web.site` puts them together as ``Site``. Routes stay thin: they read the
request, call a method of ``Site`` and write the response; the same methods build the HTML
pages and their JSON twins.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from dateline import __version__
from dateline.clock import site_now
from dateline.clock import started as clock_started
from dateline.rank.base import RANKING_SIZE, Rankers
from dateline.rank.rankers import DatelineRankers
from dateline.readers.buffer import EventBuffer
from dateline.readers.controls import changed_since, latest_change
from dateline.readers.identity import secret_key
from dateline.readers.recent import RecentReads
from dateline.settings import Settings
from dateline.store.db import Store
from dateline.store.queries import ArticleDetail, is_claim_label, ordered_categories, slugify
from dateline.store.search import marked_to_html
from dateline.web.article_meta import json_ld
from dateline.web.cache import Refresher, TTLCache
from dateline.web.catalog import Catalog
from dateline.web.contexts import ListEntry, carrier_flag
from dateline.web.count_bound import CountBound, TooManyRequests
from dateline.web.page_parts import CachedArticle, Item, list_items
from dateline.web.seen_views import SeenViews
from dateline.web.viewer import ReaderContext

# A shared article page depends only on the corpus (its text, carriers, Related list and
# the section counts): it is dropped when the catalog sees the corpus change, and after
# this long at most in any case. Counts and the other lists are spliced in per request.
SKELETON_MAX_SECONDS = 3600.0
# Shared article pages kept per worker (~15 KB each): the hot set of a large site.
SKELETON_MAX_ENTRIES = 5000
# How often a worker reads the reader change log (readers.controls) in the background.
CHANGE_POLL_SECONDS = 0.5
# Longest a reader's cached Recommendation lives without a change of their own.
READER_STATE_SECONDS = 60.0
# Reader states kept per worker (a few KB each).
READER_STATES_MAX = 20_000


class SiteCore:
    def __init__(self, settings: Settings, store: Store, rankers: Rankers | None = None) -> None:
        self.settings = settings
        self.store = store
        ttl = settings.page_cache_seconds
        # Rebuilds of stale entries, off the event loop, one at a time (see cache.py).
        self.refresher = Refresher()
        self.catalog = Catalog(store, ttl, self.refresher)
        # Views served here and not yet flushed: a reader's next page already knows them.
        self.recent_reads = RecentReads()
        self.rankers: Rankers = rankers or DatelineRankers(
            store, self.recent_reads, schedule=self.refresher.schedule
        )
        self.secret = secret_key(settings)
        self.name = settings.site_name
        self.base_url = settings.base_url.rstrip("/")
        self.secure_cookies = self.base_url.startswith("https://")
        self.asset_version = __version__
        self.pages: TTLCache[Any] = TTLCache(ttl, refresher=self.refresher)
        # Each reader's Recommendation and reaction state, ("reader", id): rebuilt at once
        # (off the request path) after the reader's own view or control, otherwise at most
        # every READER_STATE_SECONDS, so new articles and others' reads reach it within
        # that; a list costs tens of milliseconds, so not every page_cache_seconds.
        self.reader_states: TTLCache[Any] = TTLCache(
            READER_STATE_SECONDS, READER_STATES_MAX, refresher=self.refresher
        )
        # Shared article pages: valid until the corpus changes (see SKELETON_MAX_SECONDS).
        self.skeletons: TTLCache[CachedArticle | None] = TTLCache(
            SKELETON_MAX_SECONDS, SKELETON_MAX_ENTRIES, refresher=self.refresher
        )
        # (views, reactions) per article, page_cache_seconds, refreshed in batches (one
        # query for every stale entry); reader states are rebuilt in batches too.
        self.counts_cache: TTLCache[tuple[int, int]] = TTLCache(ttl, 100_000)
        # Fraction of viewers whose list impressions and clicks are stored (see settings).
        self.impression_rate: float = settings.impression_sample_rate
        self.catalog.listeners.append(self._corpus_changed)
        self.events = EventBuffer(store, flush_seconds=settings.event_flush_seconds)
        self.seen_views = SeenViews()
        # what one client address can add to one article, whatever cookies it shows
        self.view_bound = CountBound(
            settings.views_per_ip_hour, 3600, settings.limit_exempt_networks
        )
        self.reaction_bound = CountBound(
            settings.reactions_per_ip_day, 86400, settings.limit_exempt_networks
        )
        self.templates = Environment(
            loader=PackageLoader("dateline.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.globals["site"] = self
        self.templates.filters["slug"] = slugify
        self.templates.filters["carrier_flag"] = carrier_flag
        # marked_to_html escapes the text itself, then adds only <mark> tags.
        self.templates.filters["marked"] = lambda text: Markup(marked_to_html(text))  # noqa: S704
        # The clock, parsed once (site_now re-parses the setting on every call).
        self._clock = _Clock(settings)
        self._change_seen: int | None = None
        self._change_polled = 0.0

    def now(self) -> datetime:
        return self._clock.now()

    def render(self, template: str, **context: Any) -> str:
        context.setdefault("nav", self.nav())
        return self.templates.get_template(template).render(**context)

    def _corpus_changed(self) -> None:
        reload = getattr(self.rankers, "reload", None)
        if reload is not None:
            reload()  # the rankers' corpus arrays, before any page is rebuilt from them
        self.skeletons.clear()
        self.pages.clear()

    # --- abuse -------------------------------------------------------------------------------

    def check_reaction_bound(self, reader: ReaderContext, article_id: int) -> None:
        """Raise :class:`TooManyRequests` when this reader's address has toggled reactions
        on this article ``reactions_per_ip_day`` times today (:mod:`.count_bound`)."""
        at = time.time()
        if not self.reaction_bound.allow(reader.address, article_id, at):
            raise TooManyRequests(
                "Too many reactions to this article from your network today.",
                retry_after=self.reaction_bound.retry_after(at),
            )

    # --- navigation ------------------------------------------------------------------------

    def nav(self) -> list[dict[str, str]]:
        nav: list[dict[str, str]] = self.pages.get_or_build("nav", self._build_nav)
        return nav

    def _build_nav(self) -> list[dict[str, str]]:
        return [
            {"label": label, "slug": slugify(label), "count": str(n)}
            for label, n in self.sections()
        ]

    def categories(self) -> list[tuple[str, int]]:
        """Like ``queries.categories``, from the in-memory catalog: sources' claims too."""
        totals: dict[str, int] = {}
        for item in self.catalog.fresh().items:
            totals[item.category] = totals.get(item.category, 0) + 1
        return ordered_categories(totals)

    def sections(self) -> list[tuple[str, int]]:
        """The categories that are the site's own (its taxonomy, and "Uncategorised").

        Navigation and the home page show only these: a source's own label stays
        browsable (its articles link to it) but can never add an entry to the site's menu.
        """
        return [(label, n) for label, n in self.categories() if not is_claim_label(label)]

    def category_for_slug(self, slug: str) -> str | None:
        """The label behind ``/c/{slug}``: a section, or a source's claim."""
        labels: dict[str, str] = self.pages.get_or_build("category-slugs", self._build_slugs)
        return labels.get(slug)

    def _build_slugs(self) -> dict[str, str]:
        slugs: dict[str, str] = {}
        for label, _ in self.categories():
            slugs.setdefault(slugify(label), label)  # the larger of two labels that collide
        return slugs

    # --- lists -------------------------------------------------------------------------------

    def entries(self, ranked: list[Any]) -> list[ListEntry]:
        summaries = self.catalog.summaries([r.article_id for r in ranked])
        reasons = {r.article_id: r.reason for r in ranked}
        return [
            ListEntry(article=s, reason=reasons[s.id], position=i)
            for i, s in enumerate(summaries, start=1)
        ]

    def ranking_entries(self, session: Session | None = None) -> list[ListEntry]:
        """Most read (RANKING_SIZE + 1, so one can be left out), cached page_cache_seconds."""
        return self._ranking(session)[0]

    def _ranking(self, session: Session | None = None) -> tuple[list[ListEntry], tuple[Item, ...]]:
        ranking: tuple[list[ListEntry], tuple[Item, ...]] = self.pages.get_or_build(
            "ranking", self._build_ranking
        )
        return ranking

    def _build_ranking(self) -> tuple[list[ListEntry], tuple[Item, ...]]:
        with self.store.read() as session:
            ranked = self.rankers.ranking(session, self.now(), RANKING_SIZE + 1)
        entries = self.entries(ranked)
        return entries, list_items("ranking", entries)

    def recommendation_entries(
        self,
        session: Session,
        reader_id: str | None,
        current: int | None,
        size: int,
        *,
        personal_only: bool = False,
    ) -> list[ListEntry]:
        """A reader's list on the page of ``current`` (which counts as read, and is left
        out); ``personal_only``: without the cold mix's filler items."""
        exclude = frozenset({current}) if current is not None else frozenset()
        ranked = self.rankers.recommendation(
            session, reader_id, self.now(), size, exclude=exclude, current=current
        )
        return self.entries([r for r in ranked if not (personal_only and r.filler)])

    # --- errors, invalidation, metadata ----------------------------------------------------

    def error_response(
        self, request: Any, status: int, title: str, message: str, code: str | None = None
    ) -> HTMLResponse | JSONResponse:
        """One error shape: JSON for the API and JSON twins, an HTML page otherwise."""
        path = request.url.path
        if (
            path.startswith("/api/")
            or request.query_params.get("format") == "json"
            or "application/json" in request.headers.get("accept", "")
        ):
            return JSONResponse(
                {"error": {"status": status, "code": code or _code(status), "message": message}},
                status_code=status,
            )
        html = self.render("error.html", status=status, title=title, message=message)
        return HTMLResponse(html, status_code=status)

    def invalidate_article(self, article_id: int, reader_id: str | None = None) -> None:
        """After a reaction: this worker shows the new count and state at once."""
        self.counts_cache.invalidate(article_id)
        forget = getattr(self.rankers, "forget_engagement", None)
        if forget is not None:
            forget()
        self.pages.invalidate("ranking")
        self.pages.invalidate("home")
        if reader_id:
            self.invalidate_reader(reader_id)

    def invalidate_reader(self, reader_id: str) -> None:
        """A reader's control (or cleared history): their cached parts are dropped and
        rebuilt off the request path now; their next page here waits for the new ones."""
        self.reader_states.invalidate(("reader", reader_id))
        self._schedule_reader(reader_id)

    def reader_read(self, reader_id: str) -> None:
        """A reader's view: their parts are rebuilt off the request path now (a few
        milliseconds, long before a person's next page), and the old ones serve until
        then, less what the reader read (``reco_items``): a page never waits for a list,
        and a flood of views makes lists lag a page rather than pages slow down."""
        self.reader_states.supersede(("reader", reader_id))
        self._schedule_reader(reader_id)

    def _schedule_reader(self, reader_id: str) -> None:
        # again: a rebuild under way may have read the history before this change; low:
        # one per view, so under a flood of views they yield to the other jobs and requests
        job = partial(self._rebuild_reader, reader_id)
        self.refresher.schedule(("reader", reader_id), job, again=True, low=True)

    def _rebuild_reader(self, reader_id: str) -> None:
        """Overridden by ``LiveParts``, which owns reader states."""

    def poll_reader_changes(self) -> None:
        """Catch up with readers changed through other workers (``readers.controls`` keeps
        the log this polls): a control drops their cached state; a view another worker
        flushed is remembered as this worker's own (``recent_reads``) and handled as one."""
        with self.store.read() as session:
            if self._change_seen is None:
                self._change_seen = latest_change(session)
                return
            changes = changed_since(session, self._change_seen)
        self._change_seen = changes.last_id
        for reader_id in changes.readers:
            self.reader_states.invalidate(("reader", reader_id))
        for reader_id, article_id, at in changes.reads:
            if ("reader", reader_id) not in self.reader_states:
                continue  # nothing cached here: their next page here reads the database
            if self.recent_reads.has(reader_id, article_id):
                continue  # served here: already handled
            self.recent_reads.add(reader_id, article_id, at)
            self.reader_read(reader_id)

    def maybe_poll_reader_changes(self) -> None:
        """Schedule a poll of the change log every ``CHANGE_POLL_SECONDS`` (never blocks)."""
        now = time.monotonic()
        if now - self._change_polled >= CHANGE_POLL_SECONDS:
            self._change_polled = now
            self.refresher.schedule("reader-changes", self.poll_reader_changes)

    def json_ld(self, article: ArticleDetail) -> str:
        """schema.org NewsArticle (see :func:`dateline.web.article_meta.json_ld`)."""
        return json_ld(article, self.base_url)


def _code(status: int) -> str:
    return {
        400: "bad_request",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        415: "unsupported",
        422: "invalid",
        429: "too_many_requests",
        500: "server_error",
    }.get(status, "error")


class _Clock:
    """``site_now`` without parsing the pinned setting on every call (same values)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pinned: datetime | None = None
        if settings.site_clock:
            pinned = datetime.fromisoformat(settings.site_clock)
            if pinned.tzinfo:
                pinned = pinned.astimezone(UTC).replace(tzinfo=None)
            self.pinned = pinned

    def now(self) -> datetime:
        if self.pinned is None:
            return site_now(self.settings)
        return self.pinned + timedelta(seconds=time.monotonic() - clock_started())
