"""The article page: its full context (the JSON twin), the shared rendering, and serving.

An article page is built in two layers. The shared layer (text, carriers, dates, Related)
is the same for every reader and depends only on the corpus: it is rendered once into a
:class:`~dateline.web.page_parts.CachedArticle` and kept until the corpus changes. The
per-request layer (counts, reaction form, Ranking, the reader's Recommendation) comes from
:mod:`dateline.web.site_live` and is spliced in at the markers; serving a page also
records the view (:mod:`dateline.web.site_views`).
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from dateline.rank.base import RANKING_SIZE, RECOMMENDATION_SIZE, RELATED_SIZE
from dateline.readers.events import reaction_state
from dateline.store.queries import ArticleDetail, get_article, slugify
from dateline.web.article_meta import credit_for
from dateline.web.contexts import (
    ArticleList,
    ArticlePage,
    StoryLink,
    date_claims,
    date_line,
    story_link,
)
from dateline.web.page_parts import (
    CachedArticle,
    Shown,
    list_items,
    render_reaction,
    render_shown,
    shown_items,
    split_at_markers,
    views_text,
)
from dateline.web.security import csrf_token
from dateline.web.site_live import RECO_SPARE, LiveParts
from dateline.web.site_views import ViewRecording
from dateline.web.viewer import ReaderContext


class ArticlePages(LiveParts, ViewRecording):
    def article_page(
        self, session: Session, article_id: int, reader_id: str | None
    ) -> ArticlePage | None:
        """The full typed context of an article page for one reader (the JSON twin)."""
        article = get_article(session, article_id)
        if article is None:
            return None
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
        return _page(
            article,
            self._related(session, article),
            story_link(session, article),
            ranking=ranking,
            recommendation=recommendation,
            reacted=reacted,
        )

    def _related(self, session: Session, article: ArticleDetail) -> ArticleList:
        ranked = self.rankers.related(session, article, RELATED_SIZE)
        return ArticleList("related", "Related", self.entries(ranked))

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
            related = self._related(session, article)
            story = story_link(session, article)
            # only what rests on the article (the rest would be the cold mix again)
            around = self.recommendation_entries(
                session, None, article_id, RECOMMENDATION_SIZE + RECO_SPARE, personal_only=True
            )
        page = _page(article, related, story)
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
            parts=split_at_markers(html),
            related=shown_related,
            around=list_items("recommendation", around),
        )
        self.counts_cache.put(
            article_id, (article.views, article.reactions), since=since, born=born
        )
        return cached

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
        # no history yet: the list around the article being read (their first page is
        # already about what they chose to read), else the cold mix
        reco = state.reco if state.personal or not cached.around else cached.around
        if known:
            reco = self.reco_items(reader_id, state, reco)
        shown_reco = shown_items(reco, article_id, RECOMMENDATION_SIZE)
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
        at: datetime | None = None,
    ) -> bytes | None:
        """Compose the page for ``reader`` and record the view (at ``at``, default now), its
        impressions, a click."""
        known = reader.reader_id is not None and not reader.new
        composed = self.compose_article(cached, article_id, reader.reader_id, known, block=block)
        if composed is None:
            return None
        body, shown = composed
        self.record_article_view(reader, article_id, clicked_from, shown, at)
        return body


def without_article(lst: ArticleList, article_id: int) -> ArticleList:
    """A per-reader list shown on an article page never recommends that same article."""
    kept = [e for e in lst.entries if e.article.id != article_id][:RECOMMENDATION_SIZE]
    return ArticleList(
        lst.name, lst.title, [replace(e, position=i) for i, e in enumerate(kept, start=1)]
    )


def _page(
    article: ArticleDetail,
    related: ArticleList,
    story: StoryLink | None,
    *,
    ranking: ArticleList | None = None,
    recommendation: ArticleList | None = None,
    reacted: bool = False,
) -> ArticlePage:
    """An article page's context; without a reader's lists, the part shared by everyone."""
    return ArticlePage(
        article=article,
        related=related,
        ranking=ArticleList("ranking", "Ranking", []) if ranking is None else ranking,
        recommendation=(
            ArticleList("recommendation", "Recommendation", [])
            if recommendation is None
            else recommendation
        ),
        other_carriers=article.carriers[1:],
        date_claims=date_claims(article),
        date_line=date_line(article),
        story=story,
        reacted=reacted,
    )
