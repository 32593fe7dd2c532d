"""The site's services in one object: store, rankers, templates, caches, event buffer.

Routes stay thin: they read the request, call a method here, and write the response. The
same methods build the HTML pages and their JSON twins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from dateline import __version__
from dateline.clock import site_now
from dateline.rank.base import RECOMMENDATION_SIZE, Rankers
from dateline.rank.simple import SimpleRankers
from dateline.readers.buffer import EventBuffer
from dateline.readers.events import reaction_state
from dateline.readers.identity import secret_key
from dateline.settings import Settings
from dateline.store.db import Store
from dateline.store.models import Reaction
from dateline.store.queries import ArticleDetail, categories, get_article, slugify
from dateline.store.search import marked_to_html
from dateline.web.cache import TTLCache
from dateline.web.contexts import (
    ArticleList,
    ArticlePage,
    date_claims,
    recommendation_list,
    shared_lists,
)
from dateline.web.security import csrf_token

if TYPE_CHECKING:
    from dateline.web.readers import ReaderContext

REACTION_MARKER = "<!--dl:reaction-->"
RECOMMENDATION_MARKER = "<!--dl:recommendation-->"


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
    """An article page rendered for everyone, with markers where per-reader parts go."""

    html: str
    slug: str
    reactions: int


class Site:
    def __init__(self, settings: Settings, store: Store, rankers: Rankers | None = None) -> None:
        self.settings = settings
        self.store = store
        self.rankers: Rankers = rankers or SimpleRankers()
        self.secret = secret_key(settings)
        self.name = settings.site_name
        self.base_url = settings.base_url.rstrip("/")
        self.secure_cookies = self.base_url.startswith("https://")
        self.asset_version = __version__
        self.pages: TTLCache[Any] = TTLCache(settings.page_cache_seconds)
        self.events = EventBuffer(store, flush_seconds=settings.event_flush_seconds)
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

    def now(self) -> datetime:
        return site_now(self.settings)

    def render(self, template: str, **context: Any) -> str:
        context.setdefault("nav", self.nav())
        return self.templates.get_template(template).render(**context)

    # --- navigation ------------------------------------------------------------------------

    def nav(self) -> list[dict[str, str]]:
        cached = self.pages.get("nav")
        if cached is None:
            with self.store.read() as session:
                cached = [
                    {"label": label, "slug": slugify(label), "count": str(n)}
                    for label, n in categories(session)
                ]
            self.pages.put("nav", cached)
        return cached  # type: ignore[no-any-return]

    def category_for_slug(self, slug: str) -> str | None:
        for item in self.nav():
            if item["slug"] == slug:
                return item["label"]
        return None

    # --- article page -----------------------------------------------------------------------

    def article_page(
        self, session: Session, article_id: int, reader_id: str | None
    ) -> ArticlePage | None:
        """The full typed context of an article page for one reader (the JSON twin)."""
        article = get_article(session, article_id)
        if article is None:
            return None
        now = self.now()
        related, ranking = shared_lists(session, self.rankers, article, now)
        recommendation = recommendation_list(session, self.rankers, reader_id, now, article.id)
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

    def cached_article(self, article_id: int) -> CachedArticle | None:
        """The shared rendering of an article page, cached for page_cache_seconds."""
        key = ("article", article_id)
        cached = self.pages.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        with self.store.read() as session:
            page = self.article_page(session, article_id, None)
        if page is None:
            return None
        html = self.render(
            "article.html",
            page=page,
            lang=page.article.language,
            category_slug=slugify(page.article.category),
            credit=credit_for(page.article),
            json_ld=self.json_ld(page.article),
            current_category=page.article.category,
        )
        cached = CachedArticle(html=html, slug=page.article.slug, reactions=page.article.reactions)
        self.pages.put(key, cached)
        return cached

    def personal_parts(self, article_id: int, reader_id: str, reactions: int) -> tuple[str, str]:
        """(reaction button, recommendation list) for one reader, cached per reader."""
        key = ("reader", reader_id)
        state = self.pages.get(key)
        if state is None:
            with self.store.read() as session:
                now = self.now()
                # One extra, so the list stays full on the page of an article it holds.
                reco = recommendation_list(
                    session, self.rankers, reader_id, now, exclude=-1, size=RECOMMENDATION_SIZE + 1
                )
                reacted = set(
                    session.scalars(
                        select(Reaction.article_id).where(Reaction.reader_id == reader_id)
                    )
                )
            state = (reco, frozenset(reacted))
            self.pages.put(key, state)
        reco, reacted_ids = state
        lst = without_article(reco, article_id)
        reaction_html = self.render_reaction(
            article_id, reader_id, article_id in reacted_ids, reactions
        )
        reco_html = self.templates.get_template("recommendation.html").render(
            lst=lst, article_id=article_id
        )
        return reaction_html, reco_html

    def render_reaction(
        self, article_id: int, reader_id: str | None, reacted: bool, count: int
    ) -> str:
        csrf = csrf_token(self.secret, reader_id) if reader_id else ""
        return self.templates.get_template("reaction.html").render(
            article_id=article_id, csrf=csrf, reacted=reacted, count=count
        )

    def anonymous_parts(
        self, article_id: int, reader_id: str | None, reactions: int
    ) -> tuple[str, str]:
        """Parts for a reader we do not know yet: the shared newest-first recommendation."""
        reco = self.pages.get("anonymous-reco")
        if reco is None:
            with self.store.read() as session:
                reco = recommendation_list(
                    session,
                    self.rankers,
                    None,
                    self.now(),
                    exclude=-1,
                    size=RECOMMENDATION_SIZE + 1,
                )
            self.pages.put("anonymous-reco", reco)
        reco_html = self.templates.get_template("recommendation.html").render(
            lst=without_article(reco, article_id), article_id=article_id
        )
        reaction_html = self.render_reaction(article_id, reader_id, False, reactions)
        return reaction_html, reco_html

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
        self.pages.invalidate(("article", article_id))
        if reader_id:
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
