"""``Site``: the one object routes talk to, put together from the site's services.

Each service lives in its own module, with one job each:

* :mod:`dateline.web.site_core` — settings, store, rankers, catalog, templates, caches,
  clock; navigation, the shared lists, error pages, invalidation (the base of the rest);
* :mod:`dateline.web.site_live` — the article page's counts and per-reader state;
* :mod:`dateline.web.site_views` — recording views, impressions and clicks;
* :mod:`dateline.web.site_articles` — the article page's context, shared rendering and
  per-request composition;
* :mod:`dateline.web.site_home` — the home page;
* :mod:`dateline.web.page_parts` and :mod:`dateline.web.article_meta` — the byte-level
  page parts and an article's credits and schema.org data (no ``Site`` needed).

Routes stay thin: they read the request, call a method here, and write the response. The
same methods build the HTML pages and their JSON twins. The names other code imported
from this module before it was split are re-exported here.
"""

from __future__ import annotations

from dateline.web.article_meta import CREDITS, Credit, credit_for
from dateline.web.page_parts import (
    MARKERS,
    RANKING_MARKER,
    REACTION_MARKER,
    RECOMMENDATION_MARKER,
    VIEWS_MARKER,
    CachedArticle,
    Item,
    Shown,
    list_items,
    render_items,
    render_reaction,
    render_shown,
    shown_items,
    views_text,
)
from dateline.web.seen_views import SEEN_VIEWS_MAX, SeenViews
from dateline.web.site_articles import ArticlePages, without_article
from dateline.web.site_core import SKELETON_MAX_ENTRIES, SKELETON_MAX_SECONDS
from dateline.web.site_home import HomePage
from dateline.web.site_live import COUNTS_PER_QUERY, READERS_PER_QUERY, ReaderState

# The name tests and benchmarks use for ``list_items``.
_items = list_items

__all__ = [
    "COUNTS_PER_QUERY",
    "CREDITS",
    "MARKERS",
    "RANKING_MARKER",
    "REACTION_MARKER",
    "READERS_PER_QUERY",
    "RECOMMENDATION_MARKER",
    "SEEN_VIEWS_MAX",
    "SKELETON_MAX_ENTRIES",
    "SKELETON_MAX_SECONDS",
    "VIEWS_MARKER",
    "CachedArticle",
    "Credit",
    "Item",
    "ReaderState",
    "SeenViews",
    "Shown",
    "Site",
    "credit_for",
    "list_items",
    "render_items",
    "render_reaction",
    "render_shown",
    "shown_items",
    "views_text",
    "without_article",
]


class Site(ArticlePages, HomePage):
    """The site's services for one worker (see the module docstring for who does what)."""
