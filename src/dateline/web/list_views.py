"""Home, latest, category, source and search pages: contexts for HTML and JSON alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from dateline.clock import utc_now
from dateline.crawl.status import polling_state
from dateline.store.queries import (
    UNCATEGORISED,
    ArticleSummary,
    Cursor,
    ListFilter,
    get_source,
    is_claim_label,
    latest,
    summaries_by_id,
)
from dateline.store.search import SearchHit, search_articles
from dateline.store.subscriptions import subscriptions_of_source
from dateline.web.contexts import ListPage
from dateline.web.site import Site

LIST_PAGE_SIZE = 25
# A category page's first page starts with its top stories (rank.ranking, per category).
CATEGORY_TOP = 5


def list_page(
    site: Site,
    title: str,
    filters: ListFilter,
    after: str | None,
    description: str | None = None,
    kind: str = "list",
) -> ListPage:
    with site.store.read() as session:
        items, cursor = latest(
            session, limit=LIST_PAGE_SIZE, filters=filters, after=Cursor.decode(after)
        )
    return ListPage(
        title=title,
        items=items,
        description=description,
        kind=kind,
        next_cursor=cursor.encode() if cursor else None,
    )


def category_page(site: Site, label: str, after: str | None) -> ListPage:
    if label == UNCATEGORISED:
        description = (
            "Articles Dateline's classifier could not place with confidence, from sources "
            "that gave no category of their own."
        )
    elif is_claim_label(label):
        description = (
            f"Articles their source files under “{label}”. Dateline's classifier could not "
            "place them with confidence, so the source's own category is shown, as its claim."
        )
    else:
        description = f"Articles Dateline's classifier files under {label}."
    page = list_page(
        site, label, ListFilter(category=label), after, description=description, kind="category"
    )
    if after is None and label != UNCATEGORISED:
        # the category's own Ranking, read or widely covered only (not the newest again)
        with site.store.read() as session:
            ranked = site.rankers.ranking(session, site.now(), CATEGORY_TOP, category=label)
        chosen = [r for r in ranked if not r.filler]
        page.sections["top"] = [e.article for e in site.entries(chosen)]
    return page


def source_page(site: Site, source_id: int, after: str | None) -> ListPage | None:
    with site.store.read() as session:
        source = get_source(session, source_id)
        if source is None:
            return None
        name, home, kind = source.name, source.home_url, source.kind
        score, details = source.score, dict(source.score_details or {})
        now = utc_now()
        polling = [
            (s.url, polling_state(s, now)) for s in subscriptions_of_source(session, source_id)
        ]
    description = f"Articles carried by {name}" + (f" ({home})." if home else ".")
    if kind == "synthetic-farm":
        description += " This site is synthetic: Dateline's demo invented it to show copying."
    page = list_page(
        site, name, ListFilter(source_id=source_id), after, description=description, kind="source"
    )
    page.score = score
    page.notes = [str(r) for r in details.get("reasons", [])]
    page.polling = polling
    return page


@dataclass
class SearchResults:
    """The search page's context: hits with marked snippets and the next-page token."""

    query: str
    hits: list[SearchHit]
    next_cursor: str | None
    title: str = "Search"
    kind: str = "search"
    # The hits' summaries by id: their dates as every list shows them (publisher's zone).
    articles: dict[int, ArticleSummary] = field(default_factory=dict)


def search_page(site: Site, q: str, after: str | None) -> SearchResults:
    """Full-text search; an empty query shows nothing, a bad page token raises (HTTP 400)."""
    q = q.strip()
    if not q:
        return SearchResults(query="", hits=[], next_cursor=None)
    with site.store.read() as session:
        page = search_articles(
            session, q, limit=LIST_PAGE_SIZE, after=after, dialect=site.store.dialect
        )
        found = summaries_by_id(session, [h.article_id for h in page.hits])
    return SearchResults(
        query=q,
        hits=list(page.hits),
        next_cursor=page.next.encode() if page.next else None,
        title=f"Search: {q}",
        articles={s.id: s for s in found},
    )
