"""The home page: its context from the in-memory catalog, and its shared rendering.

The home page is the same for everyone, so it is rendered once and cached for
``page_cache_seconds`` (the fast path serves it without touching the app); its JSON twin
is the same context. A reader with history gets their "For you" list spliced in at a
marker (``home_for``), from the same cached reader state as article pages. It reads the catalog rather than the store, so a cold build is one
Ranking query, not one query per section.
"""

from __future__ import annotations

from dateline.rank.base import RECOMMENDATION_SIZE
from dateline.store.queries import slugify
from dateline.web.contexts import ListPage, StoryNote
from dateline.web.page_parts import render_shown
from dateline.web.site_live import LiveParts

# Sections on the home page and how many items each shows.
HOME_LATEST = 20
HOME_TOP_STORIES = 8
HOME_CATEGORIES = 6
HOME_PER_CATEGORY = 4


FOR_YOU_MARKER = b"<!--dl:foryou-->"


class HomePage(LiveParts):
    def home_page(self) -> ListPage:
        """The home page's context, from the catalog."""
        catalog = self.catalog.fresh()
        items = catalog.newest(HOME_LATEST + 1)
        cursor = None
        if len(items) > HOME_LATEST:
            last = items[HOME_LATEST - 1]
            cursor = catalog.cursor(last.id)
        notes: dict[int, StoryNote] = {}
        with self.store.read() as session:
            top = getattr(self.rankers, "top_stories", None)
            if top is not None:
                found = top(session, self.now(), HOME_TOP_STORIES)
                ranked = [t.ranked for t in found]
                notes = {
                    t.ranked.article_id: StoryNote(t.story_id, t.sources, t.ranked.reason)
                    for t in found
                }
            else:
                ranked = self.rankers.ranking(session, self.now(), HOME_TOP_STORIES)
        # read or widely covered; the newest alone are no "Top stories"
        chosen = [r for r in ranked if not r.filler]
        sections = {"top_stories": [e.article for e in self.entries(chosen)]}
        for label, _count in self.sections()[:HOME_CATEGORIES]:
            sections[f"category:{label}"] = catalog.newest(HOME_PER_CATEGORY, category=label)
        return ListPage(
            title=self.name,
            items=items[:HOME_LATEST],
            sections=sections,
            kind="home",
            next_cursor=cursor.encode() if cursor else None,
            story_notes={k: v for k, v in notes.items() if k in {r.article_id for r in chosen}},
        )

    def peek_home(self) -> bytes | None:
        """The cached home page if current (never blocks; a stale one is rebuilt behind)."""
        if not self.catalog.current():
            return None
        home: bytes | None = self.pages.peek("home", self._build_home)
        return home

    def home_for(self, reader_id: str | None, known: bool, *, block: bool) -> bytes | None:
        """The home page for one reader: the shared page, with "For you" (the reader's
        Recommendation list) at its marker once the list rests on their history.

        Without ``block`` nothing is built: None when a part is not cached (the route then
        builds it in the threadpool), as for article pages.
        """
        home = self.home_bytes() if block else self.peek_home()
        if home is None or not (known and reader_id):
            return home
        state = self.reader_state(reader_id) if block else self.peek_reader_state(reader_id)
        if state is None:
            return None
        if not state.personal:
            return home
        items = list(self.reco_items(reader_id, state)[:RECOMMENDATION_SIZE])
        section = render_shown("recommendation", "For you", items, 0).encode()
        return home.replace(FOR_YOU_MARKER, section, 1)

    def home_bytes(self) -> bytes:
        """The rendered home page, the same for everyone, cached page_cache_seconds."""
        self.catalog.fresh()
        home: bytes = self.pages.get_or_build("home", self._build_home)
        return home

    def _build_home(self) -> bytes:
        ctx = self.home_page()
        slugs = {name: slugify(name.removeprefix("category:")) for name in ctx.sections}
        return self.render("home.html", page=ctx, slugs=slugs).encode()
