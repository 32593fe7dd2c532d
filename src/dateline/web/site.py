"""The site's services in one object: store, rankers, templates, caches, event buffer.

Routes stay thin: they read the request, call a method here, and write the response. The
same methods build the HTML pages and their JSON twins.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from dateline import __version__
from dateline.clock import site_now
from dateline.clock import started as clock_started
from dateline.rank.base import RANKING_SIZE, RECOMMENDATION_SIZE, RELATED_SIZE, Rankers
from dateline.readers.buffer import EventBuffer
from dateline.readers.events import reaction_state
from dateline.readers.flush import hour_bucket
from dateline.readers.identity import secret_key
from dateline.settings import Settings
from dateline.store.db import Store
from dateline.store.models import ArticleStats, Reaction
from dateline.store.queries import (
    ArticleDetail,
    Cursor,
    get_article,
    ordered_categories,
    slugify,
)
from dateline.store.search import marked_to_html
from dateline.web.cache import Refresher, TTLCache
from dateline.web.catalog import Catalog, IndexedRankers
from dateline.web.contexts import (
    ArticleList,
    ArticlePage,
    ListEntry,
    ListPage,
    date_claims,
)
from dateline.web.security import csrf_token

if TYPE_CHECKING:
    from dateline.web.readers import ReaderContext

VIEWS_MARKER = "<!--dl:views-->"
REACTION_MARKER = "<!--dl:reaction-->"
RANKING_MARKER = "<!--dl:ranking-->"
RECOMMENDATION_MARKER = "<!--dl:recommendation-->"
# The shared article page's markers, in document order (see article.html).
MARKERS = (VIEWS_MARKER, REACTION_MARKER, RANKING_MARKER, RECOMMENDATION_MARKER)
# A shared article page depends only on the corpus (its text, carriers, Related list and
# the section counts): it is dropped when the catalog sees the corpus change, and after
# this long at most in any case. Counts and the other lists are spliced in per request.
SKELETON_MAX_SECONDS = 3600.0
# Shared article pages kept per worker (~15 KB each): the hot set of a large site.
SKELETON_MAX_ENTRIES = 5000
# Stale counts re-read per query by the background refresh.
COUNTS_PER_QUERY = 500
# Stale reader states rebuilt per query (and per transaction) by the background refresh.
READERS_PER_QUERY = 200
# The lists an article page showed: (list name, article ids in position order).
Shown = tuple[tuple[str, tuple[int, ...]], ...]
# Sections on the home page and how many items each shows (as in list_views).
HOME_LATEST = 20
HOME_MOST_READ = 8
HOME_CATEGORIES = 6
HOME_PER_CATEGORY = 4


@dataclass(frozen=True)
class Credit:
    text: str
    url: str
    license: str
    license_url: str


# Licences of sources whose text we may show, keyed by host: shown on every article page.
CREDITS = {
    "en.wikinews.org": (
        "Article text from Wikinews, by Wikinews contributors; converted to plain text.",
        "CC BY 2.5",
        "https://creativecommons.org/licenses/by/2.5/",
    ),
}


def credit_for(article: ArticleDetail) -> Credit | None:
    for carrier in article.carriers:
        host = urlsplit(carrier.url or "").hostname or ""
        if host in CREDITS:
            text, name, url = CREDITS[host]
            return Credit(text=text, url=carrier.url or "", license=name, license_url=url)
    return None


@dataclass(frozen=True)
class CachedArticle:
    """An article page rendered for everyone, with markers where per-request parts go.

    ``parts`` is ``html`` encoded and split at ``MARKERS``: the page is
    ``parts[0] + views + parts[1] + reaction + parts[2] + ranking + parts[3] + reco + parts[4]``.
    """

    html: str
    slug: str
    reactions: int
    parts: tuple[bytes, ...] = ()
    related: tuple[int, ...] = ()  # the Related list's article ids, in shown order


@dataclass(frozen=True)
class Item:
    """One list entry, escaped once: ``head`` + position + ``mid`` + article id + ``tail``."""

    article_id: int
    head: str
    tail: str


@dataclass(frozen=True)
class ReaderState:
    """What a reader's parts need, cached per reader for page_cache_seconds."""

    reco: tuple[Item, ...]
    reacted: frozenset[int]
    csrf: str


def _items(name: str, entries: list[ListEntry]) -> tuple[Item, ...]:
    return tuple(
        Item(
            e.article.id,
            f'    <li><a href="/a/{e.article.id}/{escape(e.article.slug)}?from={name}&amp;pos=',
            f'">{escape(e.article.title)}</a>\n      <span class="why">{escape(e.reason)}</span></li>\n',
        )
        for e in entries
    )


def shown_items(items: tuple[Item, ...], article_id: int, size: int) -> list[Item]:
    """The items a list shows on ``article_id``'s page (never that article itself)."""
    return [i for i in items if i.article_id != article_id][:size]


def render_items(name: str, title: str, items: tuple[Item, ...], article_id: int, size: int) -> str:
    """The ``ranked_list`` macro of _macros.html as an f-string (the same bytes, tested)."""
    return render_shown(name, title, shown_items(items, article_id, size), article_id)


def render_shown(name: str, title: str, shown: list[Item], article_id: int) -> str:
    head = (
        f'<section class="list list-{name}" aria-labelledby="list-{name}">\n'
        f'  <h2 id="list-{name}">{title}</h2>\n'
    )
    if not shown:
        return head + '  <p class="muted">Nothing to show yet.</p>\n</section>'
    rows = "".join(
        f"{item.head}{pos}&amp;on={article_id}{item.tail}" for pos, item in enumerate(shown, 1)
    )
    return f"{head}  <ol>\n{rows}  </ol>\n</section>"


def render_reaction(article_id: int, csrf: str, reacted: bool, count: int) -> str:
    """reaction.html as an f-string (the same bytes, tested)."""
    return (
        f'<form class="reaction" method="post" action="/a/{article_id}/react">\n'
        f'  <input type="hidden" name="csrf" value="{csrf}">\n'
        f'  <button type="submit" class="reaction-button" aria-pressed="{"true" if reacted else "false"}" data-article="{article_id}">\n'
        f'    <span class="reaction-label">{"Liked" if reacted else "Like"}</span>\n'
        f'    <span class="reaction-count" aria-label="{count} reader{"s" if count != 1 else ""} liked this">{count}</span>\n'
        "  </button>\n</form>"
    )


def views_text(views: int) -> str:
    return f"{views:,} view{'s' if views != 1 else ''}"


class Site:
    def __init__(self, settings: Settings, store: Store, rankers: Rankers | None = None) -> None:
        self.settings = settings
        self.store = store
        ttl = settings.page_cache_seconds
        # Rebuilds of stale entries, off the event loop, one at a time (see cache.py).
        self.refresher = Refresher()
        self.catalog = Catalog(store, ttl, self.refresher)
        self.rankers: Rankers = rankers or IndexedRankers(self.catalog)
        self.secret = secret_key(settings)
        self.name = settings.site_name
        self.base_url = settings.base_url.rstrip("/")
        self.secure_cookies = self.base_url.startswith("https://")
        self.asset_version = __version__
        self.pages: TTLCache[Any] = TTLCache(ttl, refresher=self.refresher)
        # Shared article pages: valid until the corpus changes (see SKELETON_MAX_SECONDS).
        self.skeletons: TTLCache[CachedArticle | None] = TTLCache(
            SKELETON_MAX_SECONDS, SKELETON_MAX_ENTRIES, refresher=self.refresher
        )
        # (views, reactions) per article, page_cache_seconds, refreshed in batches (one
        # query for every stale entry); reader state is in ``pages`` under ("reader", id),
        # rebuilt in batches too.
        self.counts_cache: TTLCache[tuple[int, int]] = TTLCache(ttl, 100_000)
        # Fraction of viewers whose list impressions and clicks are stored (see settings).
        self.impression_rate: float = settings.impression_sample_rate
        self.catalog.listeners.append(self._corpus_changed)
        self.events = EventBuffer(store, flush_seconds=settings.event_flush_seconds)
        self.seen_views = SeenViews()
        self.templates = Environment(
            loader=PackageLoader("dateline.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.globals["site"] = self
        self.templates.filters["slug"] = slugify
        # marked_to_html escapes the text itself, then adds only <mark> tags.
        self.templates.filters["marked"] = lambda text: Markup(marked_to_html(text))  # noqa: S704
        # The clock, parsed once (site_now re-parses the setting on every call).
        self._clock = _Clock(settings)

    def now(self) -> datetime:
        return self._clock.now()

    def render(self, template: str, **context: Any) -> str:
        context.setdefault("nav", self.nav())
        return self.templates.get_template(template).render(**context)

    def _corpus_changed(self) -> None:
        self.skeletons.clear()
        self.pages.clear()

    # --- navigation ------------------------------------------------------------------------

    def nav(self) -> list[dict[str, str]]:
        nav: list[dict[str, str]] = self.pages.get_or_build("nav", self._build_nav)
        return nav

    def _build_nav(self) -> list[dict[str, str]]:
        return [
            {"label": label, "slug": slugify(label), "count": str(n)}
            for label, n in self.categories()
        ]

    def categories(self) -> list[tuple[str, int]]:
        """Like ``queries.categories``, from the in-memory catalog."""
        totals: dict[str, int] = {}
        for item in self.catalog.fresh().items:
            totals[item.category] = totals.get(item.category, 0) + 1
        return ordered_categories(totals)

    def category_for_slug(self, slug: str) -> str | None:
        for item in self.nav():
            if item["slug"] == slug:
                return item["label"]
        return None

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
        return entries, _items("ranking", entries)

    def recommendation_entries(
        self, session: Session, reader_id: str | None, exclude: int, size: int
    ) -> list[ListEntry]:
        ranked = self.rankers.recommendation(
            session, reader_id, self.now(), size, exclude=frozenset({exclude})
        )
        return self.entries(ranked)

    # --- article page -----------------------------------------------------------------------

    def article_page(
        self, session: Session, article_id: int, reader_id: str | None
    ) -> ArticlePage | None:
        """The full typed context of an article page for one reader (the JSON twin)."""
        article = get_article(session, article_id)
        if article is None:
            return None
        related = ArticleList(
            "related",
            "Related",
            self.entries(self.rankers.related(session, article, RELATED_SIZE)),
        )
        ranked = [e for e in self.ranking_entries(session) if e.article.id != article.id]
        ranking = ArticleList(
            "ranking",
            "Ranking",
            [replace(e, position=i) for i, e in enumerate(ranked[:RANKING_SIZE], start=1)],
        )
        recommendation = ArticleList(
            "recommendation",
            "Recommendation",
            self.recommendation_entries(session, reader_id, article.id, RECOMMENDATION_SIZE),
        )
        reacted = bool(reader_id) and article_id in reaction_state(
            session, reader_id or "", [article_id]
        )
        return ArticlePage(
            article=article,
            related=related,
            ranking=ranking,
            recommendation=recommendation,
            other_carriers=article.carriers[1:],
            date_claims=date_claims(article),
            reacted=reacted,
        )

    def peek_article(self, article_id: int) -> CachedArticle | None:
        """The cached shared page, if there is one and the catalog is current (never blocks)."""
        if not self.catalog.current():
            return None
        return self.skeletons.peek(article_id, lambda: self._build_article(article_id))

    def cached_article(self, article_id: int) -> CachedArticle | None:
        """The shared rendering of an article page (see SKELETON_MAX_SECONDS); blocking."""
        self.catalog.fresh()  # notices a changed corpus, which drops every shared page
        return self.skeletons.get_or_build(article_id, lambda: self._build_article(article_id))

    def _build_article(self, article_id: int) -> CachedArticle | None:
        since = self.counts_cache.generation()
        born = time.monotonic()
        with self.store.read() as session:
            article = get_article(session, article_id)
            if article is None:
                return None
            related = ArticleList(
                "related",
                "Related",
                self.entries(self.rankers.related(session, article, RELATED_SIZE)),
            )
        page = ArticlePage(
            article=article,
            related=related,
            ranking=ArticleList("ranking", "Ranking", []),
            recommendation=ArticleList("recommendation", "Recommendation", []),
            other_carriers=article.carriers[1:],
            date_claims=date_claims(article),
        )
        html = self.render(
            "article.html",
            page=page,
            lang=article.language,
            category_slug=slugify(article.category),
            credit=credit_for(article),
            json_ld=self.json_ld(article),
            current_category=article.category,
        )
        shown_related = tuple(e.article.id for e in related.entries if e.article.id != article_id)[
            :RELATED_SIZE
        ]
        cached = CachedArticle(
            html=html,
            slug=article.slug,
            reactions=article.reactions,
            parts=_split(html),
            related=shown_related,
        )
        self.counts_cache.put(
            article_id, (article.views, article.reactions), since=since, born=born
        )
        return cached

    # --- counts and reader state: blocking builds (threadpool) or non-blocking peeks -----

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
        state: ReaderState = self.pages.get_or_build(
            ("reader", reader_id), lambda: self._build_reader_state(reader_id)
        )
        return state

    def peek_reader_state(self, reader_id: str) -> ReaderState | None:
        """The cached state; stale ones are rebuilt in one background job for all (as
        counts are): with every reader's state expiring every page_cache_seconds, one job
        per reader would queue up behind each other, and the states would expire first."""
        state: ReaderState | None = self._peek_batched(
            self.pages, ("reader", reader_id), "readers", self._refresh_readers
        )
        return state

    def _refresh_readers(self) -> None:
        # Only reader states are read with watch=True from ``pages``.
        taken = self.pages.take_due()
        ids = sorted(k[1] for k in taken if isinstance(k, tuple) and k[0] == "reader")
        for n in range(0, len(ids), READERS_PER_QUERY):
            since, born = self.pages.generation(), time.monotonic()
            for reader_id, state in self._build_reader_states(
                ids[n : n + READERS_PER_QUERY]
            ).items():
                self.pages.put(("reader", reader_id), state, since=since, born=born)

    def _build_reader_state(self, reader_id: str) -> ReaderState:
        return self._build_reader_states([reader_id])[reader_id]

    def _build_reader_states(self, reader_ids: list[str]) -> dict[str, ReaderState]:
        """Reader states for several readers: a few queries for all of them."""
        reacted: dict[str, set[int]] = {rid: set() for rid in reader_ids}
        with self.store.read() as session:
            # One extra, so the list stays full on the page of an article it holds.
            recos = self._recommendations(session, reader_ids, RECOMMENDATION_SIZE + 1)
            rows = session.execute(
                select(Reaction.reader_id, Reaction.article_id).where(
                    Reaction.reader_id.in_(reader_ids)
                )
            )
            for reader_id, article_id in rows:
                reacted[reader_id].add(article_id)
        return {
            rid: ReaderState(
                _items("recommendation", self.entries(recos[rid])),
                frozenset(reacted[rid]),
                csrf_token(self.secret, rid),
            )
            for rid in reader_ids
        }

    def _recommendations(
        self, session: Session, reader_ids: list[str], size: int
    ) -> dict[str, list[Any]]:
        """``recommendation_entries``' ranked lists (no exclusion) for several readers."""
        now, exclude = self.now(), frozenset({-1})
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
            reco = self.recommendation_entries(session, None, -1, RECOMMENDATION_SIZE + 1)
        return ReaderState(_items("recommendation", reco), frozenset(), "")

    def article_bytes(
        self, cached: CachedArticle, article_id: int, reader_id: str | None, known: bool
    ) -> bytes:
        """The whole page for one reader (blocking: builds what is not cached)."""
        composed = self.compose_article(cached, article_id, reader_id, known, block=True)
        assert composed is not None
        return composed[0]

    def compose_article(
        self,
        cached: CachedArticle,
        article_id: int,
        reader_id: str | None,
        known: bool,
        *,
        block: bool,
    ) -> tuple[bytes, Shown] | None:
        """The whole page: shared bytes with counts, Ranking and the reader's parts spliced
        in, and the lists it shows as ``(name, [(position, article id)])``.

        ``known``: the reader sent a valid cookie (a new reader gets the shared
        Recommendation, but a CSRF token for the cookie this response sets). Without
        ``block`` nothing is built or read here: None when a part is not cached (or older
        than page_cache_seconds), and the caller takes the blocking path.
        """
        pages = self.pages
        if block:
            views, reactions = self.counts(article_id)
            ranking = self._ranking()[1]
            personal = bool(known and reader_id)
            state = self.reader_state(reader_id or "") if personal else self.anonymous_state()
        else:
            counts = self.peek_counts(article_id)
            ranked = pages.peek("ranking", self._build_ranking)
            if known and reader_id:
                maybe = self.peek_reader_state(reader_id)
            else:
                maybe = pages.peek("anonymous-reco", self._build_anonymous)
            if counts is None or ranked is None or maybe is None:
                return None
            views, reactions = counts
            ranking, state = ranked[1], maybe
        if known and reader_id:
            csrf, reacted = state.csrf, article_id in state.reacted
        else:
            csrf = csrf_token(self.secret, reader_id) if reader_id else ""
            reacted = False
        shown_ranking = shown_items(ranking, article_id, RANKING_SIZE)
        shown_reco = shown_items(state.reco, article_id, RECOMMENDATION_SIZE)
        p = cached.parts
        body = b"".join(
            (
                p[0],
                views_text(views).encode(),
                p[1],
                render_reaction(article_id, csrf, reacted, reactions).encode(),
                p[2],
                render_shown("ranking", "Ranking", shown_ranking, article_id).encode(),
                p[3],
                render_shown("recommendation", "Recommendation", shown_reco, article_id).encode(),
                p[4],
            )
        )
        shown: Shown = (
            ("related", cached.related),
            ("ranking", tuple(i.article_id for i in shown_ranking)),
            ("recommendation", tuple(i.article_id for i in shown_reco)),
        )
        return body, shown

    def serve_article(
        self,
        cached: CachedArticle,
        article_id: int,
        reader: ReaderContext,
        clicked_from: tuple[str, int, int] | None = None,
        *,
        block: bool,
    ) -> bytes | None:
        """Compose the page for ``reader`` and record the view, its impressions, a click."""
        known = reader.reader_id is not None and not reader.new
        composed = self.compose_article(cached, article_id, reader.reader_id, known, block=block)
        if composed is None:
            return None
        body, shown = composed
        self.record_article_view(reader, article_id, clicked_from, shown)
        return body

    # --- home ------------------------------------------------------------------------------

    def home_page(self) -> ListPage:
        """The home page's context (as ``list_views.home_page``), from the catalog."""
        catalog = self.catalog.fresh()
        items = catalog.newest(HOME_LATEST + 1)
        cursor = None
        if len(items) > HOME_LATEST:
            last = items[HOME_LATEST - 1]
            cursor = Cursor(catalog.sort_at[last.id], last.id)
        with self.store.read() as session:
            ranked = self.rankers.ranking(session, self.now(), HOME_MOST_READ)
        sections = {"most_read": [e.article for e in self.entries(ranked)]}
        for label, _count in self.categories()[:HOME_CATEGORIES]:
            sections[f"category:{label}"] = catalog.newest(HOME_PER_CATEGORY, category=label)
        return ListPage(
            title=self.name,
            items=items[:HOME_LATEST],
            sections=sections,
            kind="home",
            next_cursor=cursor.encode() if cursor else None,
        )

    def peek_home(self) -> bytes | None:
        """The cached home page if current (never blocks; a stale one is rebuilt behind)."""
        if not self.catalog.current():
            return None
        home: bytes | None = self.pages.peek("home", self._build_home)
        return home

    def home_bytes(self) -> bytes:
        """The rendered home page, the same for everyone, cached page_cache_seconds."""
        self.catalog.fresh()
        home: bytes = self.pages.get_or_build("home", self._build_home)
        return home

    def _build_home(self) -> bytes:
        ctx = self.home_page()
        slugs = {name: slugify(name.removeprefix("category:")) for name in ctx.sections}
        return self.render("home.html", page=ctx, slugs=slugs).encode()

    # --- events ----------------------------------------------------------------------------

    def record_article_view(
        self,
        reader: ReaderContext,
        article_id: int,
        clicked_from: tuple[str, int, int] | None = None,
        shown: Shown = (),
    ) -> None:
        """Count a view (buffered; deduplicated per viewer and hour by the database).

        A counted view also records the lists the page showed (``shown``: list name and
        article ids in position order) as impressions, and a click on a list link
        (``clicked_from``) marks its impression clicked — both for the sampled viewers
        only (``impression_sample_rate``), so clicks and impressions stay consistent.
        """
        if reader.bot:
            return
        now = self.now()
        known = None if reader.new else reader.reader_id
        key = reader.viewer_key
        if self.seen_views.first(article_id, key, now):
            self.events.record_view(article_id, key, known, now)
            if shown and self.samples(key):
                for name, ids in shown:
                    if ids:
                        items = [(pos, aid) for pos, aid in enumerate(ids, 1)]
                        self.events.record_impressions(key, known, name, items, now)
        if clicked_from is not None and known and self.samples(key):
            list_name, position, _shown_on = clicked_from
            self.events.record_click(key, known, list_name, position, article_id, now)

    def samples(self, viewer_key: str) -> bool:
        """Whether this viewer's impressions and clicks are stored (a stable choice)."""
        rate = self.impression_rate
        if rate >= 1.0:
            return True
        return zlib.crc32(viewer_key.encode()) < rate * 2**32

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
        self.pages.invalidate("ranking")
        self.pages.invalidate("home")
        if reader_id:
            self.invalidate_reader(reader_id)

    def invalidate_reader(self, reader_id: str) -> None:
        self.pages.invalidate(("reader", reader_id))

    def json_ld(self, article: ArticleDetail) -> str:
        """schema.org NewsArticle, escaped so it can never close its script element."""
        data: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.title[:110],
            "url": f"{self.base_url}/a/{article.id}/{article.slug}",
            "mainEntityOfPage": f"{self.base_url}/a/{article.id}/{article.slug}",
            "publisher": {"@type": "Organization", "name": article.source_name},
            "inLanguage": article.language or None,
            "wordCount": article.word_count,
        }
        if article.published_at:
            data["datePublished"] = article.published_at.isoformat() + "Z"
        if article.byline:
            data["author"] = {"@type": "Person", "name": article.byline}
        if article.dateline:
            data["dateline"] = article.dateline
        text = json.dumps({k: v for k, v in data.items() if v is not None}, ensure_ascii=False)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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


def without_article(lst: ArticleList, article_id: int) -> ArticleList:
    """A per-reader list shown on an article page never recommends that same article."""
    kept = [e for e in lst.entries if e.article.id != article_id][:RECOMMENDATION_SIZE]
    return ArticleList(
        lst.name, lst.title, [replace(e, position=i) for i, e in enumerate(kept, start=1)]
    )


def _split(html: str) -> tuple[bytes, ...]:
    parts = []
    rest = html
    for marker in MARKERS:
        head, found, rest = rest.partition(marker)
        if not found:
            raise ValueError(f"article.html lost its {marker} marker")
        parts.append(head.encode())
    parts.append(rest.encode())
    return tuple(parts)


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


# Views remembered per worker before the set is emptied (bounds its memory).
SEEN_VIEWS_MAX = 200_000


class SeenViews:
    """Views this worker already queued in the current clock hour.

    The database counts a view once per viewer, article and hour whatever we send it; this
    set only spares it the duplicates (a reader reloading, a load generator), so a page
    hit does not become a row to write. Emptied when the hour changes or it grows past
    ``SEEN_VIEWS_MAX``; forgetting is harmless, the database still deduplicates.

    The keys are strings in a dict, not tuples in a set: a dict of strings is never
    tracked by CPython's cyclic collector, where a set of 200,000 entries added 12 ms (on
    a busy worker 30 ms) to every full collection, a pause for every request in flight.
    """

    def __init__(self) -> None:
        self._bucket = -1
        self._seen: dict[str, None] = {}

    def first(self, article_id: int, viewer_key: str, at: datetime) -> bool:
        bucket = hour_bucket(at)
        if bucket != self._bucket or len(self._seen) >= SEEN_VIEWS_MAX:
            self._bucket, self._seen = bucket, {}
        key = f"{article_id} {viewer_key}"
        if key in self._seen:
            return False
        self._seen[key] = None
        return True
