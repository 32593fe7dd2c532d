"""The site's services in one object: store, rankers, templates, caches, event buffer.

Routes stay thin: they read the request, call a method here, and write the response. The
same methods build the HTML pages and their JSON twins.
"""

from __future__ import annotations

import json
import time
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
from dateline.store.queries import ArticleDetail, Cursor, get_article, slugify
from dateline.store.search import marked_to_html
from dateline.web.cache import TTLCache
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


def render_items(name: str, title: str, items: tuple[Item, ...], article_id: int, size: int) -> str:
    """The ``ranked_list`` macro of _macros.html as an f-string (the same bytes, tested)."""
    head = (
        f'<section class="list list-{name}" aria-labelledby="list-{name}">\n'
        f'  <h2 id="list-{name}">{title}</h2>\n'
    )
    shown = [i for i in items if i.article_id != article_id][:size]
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
        self.catalog = Catalog(store, ttl)
        self.rankers: Rankers = rankers or IndexedRankers(self.catalog)
        self.secret = secret_key(settings)
        self.name = settings.site_name
        self.base_url = settings.base_url.rstrip("/")
        self.secure_cookies = self.base_url.startswith("https://")
        self.asset_version = __version__
        self.pages: TTLCache[Any] = TTLCache(ttl)
        # Shared article pages: valid until the corpus changes (see SKELETON_MAX_SECONDS).
        self.skeletons: TTLCache[CachedArticle] = TTLCache(
            SKELETON_MAX_SECONDS, SKELETON_MAX_ENTRIES
        )
        # (views, reactions) per article, page_cache_seconds; reader state is in ``pages``
        # under ("reader", id), also page_cache_seconds.
        self.counts_cache: TTLCache[tuple[int, int]] = TTLCache(ttl, 100_000)
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
        cached = self.pages.get("nav")
        if cached is None:
            cached = [
                {"label": label, "slug": slugify(label), "count": str(n)}
                for label, n in self.categories()
            ]
            self.pages.put("nav", cached)
        return cached

    def categories(self) -> list[tuple[str, int]]:
        """Like ``queries.categories``, from the in-memory catalog."""
        totals: dict[str, int] = {}
        for item in self.catalog.fresh().items:
            totals[item.category] = totals.get(item.category, 0) + 1
        return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))

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
        cached = self.pages.get("ranking")
        if cached is None:
            if session is None:
                with self.store.read() as own:
                    ranked = self.rankers.ranking(own, self.now(), RANKING_SIZE + 1)
            else:
                ranked = self.rankers.ranking(session, self.now(), RANKING_SIZE + 1)
            entries = self.entries(ranked)
            cached = (entries, _items("ranking", entries))
            self.pages.put("ranking", cached)
        return cached

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
        """The cached shared page, if there is one (no database work)."""
        self.catalog.fresh()  # notices a changed corpus, which drops every shared page
        return self.skeletons.get(article_id)

    def cached_article(self, article_id: int) -> CachedArticle | None:
        """The shared rendering of an article page (see SKELETON_MAX_SECONDS)."""
        cached = self.peek_article(article_id)
        if cached is not None:
            return cached
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
        parts = _split(html)
        cached = CachedArticle(
            html=html, slug=article.slug, reactions=article.reactions, parts=parts
        )
        self.skeletons.put(article_id, cached)
        self.counts_cache.put(article_id, (article.views, article.reactions))
        return cached

    def counts(self, article_id: int) -> tuple[int, int]:
        """(views, reactions) shown on the page, at most page_cache_seconds old."""
        cached = self.counts_cache.get(article_id)
        if cached is None:
            with self.store.engine.connect() as conn:
                row = conn.execute(
                    select(ArticleStats.views, ArticleStats.reactions).where(
                        ArticleStats.article_id == article_id
                    )
                ).first()
                conn.rollback()
            cached = (int(row[0]), int(row[1])) if row else (0, 0)
            self.counts_cache.put(article_id, cached)
        return cached

    def reader_state(self, reader_id: str) -> ReaderState:
        """A reader's Recommendation candidates and reactions (a few indexed queries)."""
        key = ("reader", reader_id)
        state = self.pages.get(key)
        if state is None:
            with self.store.read() as session:
                # One extra, so the list stays full on the page of an article it holds.
                reco = self.recommendation_entries(session, reader_id, -1, RECOMMENDATION_SIZE + 1)
                reacted = frozenset(
                    session.scalars(
                        select(Reaction.article_id).where(Reaction.reader_id == reader_id)
                    )
                )
            state = ReaderState(
                _items("recommendation", reco), reacted, csrf_token(self.secret, reader_id)
            )
            self.pages.put(key, state)
        return state

    def anonymous_state(self) -> ReaderState:
        state = self.pages.get("anonymous-reco")
        if state is None:
            with self.store.read() as session:
                reco = self.recommendation_entries(session, None, -1, RECOMMENDATION_SIZE + 1)
            state = ReaderState(_items("recommendation", reco), frozenset(), "")
            self.pages.put("anonymous-reco", state)
        return state

    def article_bytes(
        self, cached: CachedArticle, article_id: int, reader_id: str | None, known: bool
    ) -> bytes:
        """The whole page: shared bytes with counts, Ranking and the reader's parts spliced in.

        ``known``: the reader sent a valid cookie (a new reader gets the shared
        Recommendation, but a CSRF token for the cookie this response sets).
        """
        views, reactions = self.counts(article_id)
        if known and reader_id:
            state = self.reader_state(reader_id)
            csrf, reacted = state.csrf, article_id in state.reacted
        else:
            state = self.anonymous_state()
            csrf = csrf_token(self.secret, reader_id) if reader_id else ""
            reacted = False
        p = cached.parts
        return b"".join(
            (
                p[0],
                views_text(views).encode(),
                p[1],
                render_reaction(article_id, csrf, reacted, reactions).encode(),
                p[2],
                render_items(
                    "ranking", "Ranking", self._ranking()[1], article_id, RANKING_SIZE
                ).encode(),
                p[3],
                render_items(
                    "recommendation", "Recommendation", state.reco, article_id, RECOMMENDATION_SIZE
                ).encode(),
                p[4],
            )
        )

    def personal_parts(self, article_id: int, reader_id: str, reactions: int) -> tuple[str, str]:
        """(reaction button, recommendation list) for one reader, cached per reader."""
        state = self.reader_state(reader_id)
        reaction_html = render_reaction(
            article_id, state.csrf, article_id in state.reacted, reactions
        )
        reco_html = render_items(
            "recommendation", "Recommendation", state.reco, article_id, RECOMMENDATION_SIZE
        )
        return reaction_html, reco_html

    def render_reaction(
        self, article_id: int, reader_id: str | None, reacted: bool, count: int
    ) -> str:
        csrf = csrf_token(self.secret, reader_id) if reader_id else ""
        return render_reaction(article_id, csrf, reacted, count)

    def anonymous_parts(
        self, article_id: int, reader_id: str | None, reactions: int
    ) -> tuple[str, str]:
        """Parts for a reader we do not know yet: the shared newest-first recommendation."""
        state = self.anonymous_state()
        reco_html = render_items(
            "recommendation", "Recommendation", state.reco, article_id, RECOMMENDATION_SIZE
        )
        return self.render_reaction(article_id, reader_id, False, reactions), reco_html

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
        self.catalog.fresh()
        return self.pages.get("home")

    def home_bytes(self) -> bytes:
        """The rendered home page, the same for everyone, cached page_cache_seconds."""
        cached = self.peek_home()
        if cached is None:
            ctx = self.home_page()
            slugs = {name: slugify(name.removeprefix("category:")) for name in ctx.sections}
            cached = self.render("home.html", page=ctx, slugs=slugs).encode()
            self.pages.put("home", cached)
        return cached

    # --- events ----------------------------------------------------------------------------

    def record_article_view(
        self,
        reader: ReaderContext,
        article_id: int,
        clicked_from: tuple[str, int, int] | None = None,
    ) -> None:
        """Count a view (buffered; deduplicated per viewer and hour by the database)."""
        if reader.bot:
            return
        now = self.now()
        known = None if reader.new else reader.reader_id
        if self.seen_views.first(article_id, reader.viewer_key, now):
            self.events.record_view(article_id, reader.viewer_key, known, now)
        if clicked_from is not None and known:
            list_name, position, _shown_on = clicked_from
            self.events.record_click(reader.viewer_key, known, list_name, position, article_id, now)

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
    """

    def __init__(self) -> None:
        self._bucket = -1
        self._seen: set[tuple[int, str]] = set()

    def first(self, article_id: int, viewer_key: str, at: datetime) -> bool:
        bucket = hour_bucket(at)
        if bucket != self._bucket or len(self._seen) >= SEEN_VIEWS_MAX:
            self._bucket, self._seen = bucket, set()
        key = (article_id, viewer_key)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True
