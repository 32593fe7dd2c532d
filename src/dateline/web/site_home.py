"""The home page: its context from the in-memory catalog, and its shared rendering.

The home page is the same for everyone, so it is rendered once and cached for
``page_cache_seconds`` (the fast path serves it without touching the app); its JSON twin
is the same context. It reads the catalog rather than the store, so a cold build is one
Ranking query, not one query per section.
"""

from __future__ import annotations

from dateline.store.queries import slugify
from dateline.web.contexts import ListPage
from dateline.web.site_core import SiteCore

# Sections on the home page and how many items each shows (as in list_views).
HOME_LATEST = 20
HOME_MOST_READ = 8
HOME_CATEGORIES = 6
HOME_PER_CATEGORY = 4


class HomePage(SiteCore):
    def home_page(self) -> ListPage:
        """The home page's context (as ``list_views.home_page``), from the catalog."""
        catalog = self.catalog.fresh()
        items = catalog.newest(HOME_LATEST + 1)
        cursor = None
        if len(items) > HOME_LATEST:
            last = items[HOME_LATEST - 1]
            cursor = catalog.cursor(last.id)
        with self.store.read() as session:
            ranked = self.rankers.ranking(session, self.now(), HOME_MOST_READ)
        read = [r for r in ranked if not r.filler]  # nothing read: no "Most read"
        sections = {"most_read": [e.article for e in self.entries(read)]}
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
