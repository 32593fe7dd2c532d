"""The JSON API under /api/v1: thin routes over the same library functions as the pages.

Every route validates its input strictly (bounded ids and limits, ISO dates, our own cursors)
so that no input can reach the database as something it rejects: a bad request is a 4xx in
the one error shape (``{"error": {"status", "code", "message"}}``, see ``Site.error_response``),
never a 500.

Readers are identified only by the site's reader cookie, exactly as on the pages; there is no
``reader`` parameter, so nobody can read another reader's recommendations by guessing an id.
``GET /api/v1/reader`` issues the cookie and the CSRF token that ``POST …/reaction`` needs in
its ``X-CSRF-Token`` header (the same token rule as the page's form). API reads are not
counted as views: only the article page counts a reader's visit.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from dateline.errors import NotFound
from dateline.rank.base import RANKING_SIZE, RECOMMENDATION_SIZE, RELATED_SIZE
from dateline.readers.events import reaction_state, toggle_reaction
from dateline.store.models import Article
from dateline.store.queries import (
    ListFilter,
    categories,
    get_article,
    get_source,
    is_claim_label,
    latest,
    slugify,
    summaries_by_id,
)
from dateline.store.search import search_articles
from dateline.store.sites import sources_with_counts
from dateline.web import api_models as m
from dateline.web.api_params import (
    MAX_ID,
    MAX_LIMIT,
    MAX_TEXT,
    Forbidden,
    InvalidParameter,
    article_cursor,
    error_responses,
    parse_when,
    plain_text,
)
from dateline.web.contexts import ArticleList, entries, recommendation_list
from dateline.web.readers import reader_context, with_reader_cookie
from dateline.web.security import csrf_ok, csrf_token
from dateline.web.site import Site

PRIVATE_CACHE = "private, no-cache"


def no_shared_cache(response: Response) -> None:
    """Answers may depend on the reader cookie: browsers only, and revalidated."""
    response.headers["cache-control"] = PRIVATE_CACHE


# every route is rate limited (web.ratelimit): each may answer 429 with Retry-After
router = APIRouter(
    prefix="/api/v1", dependencies=[Depends(no_shared_cache)], responses=error_responses(429)
)

ArticleId = Annotated[int, Path(ge=1, le=MAX_ID, description="An article id.")]
Category = Annotated[
    str | None,
    Query(max_length=MAX_TEXT, description="A category name, as in GET /api/v1/categories."),
]


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


# --- articles --------------------------------------------------------------------------------


@router.get(
    "/articles",
    response_model=m.ArticleListOut,
    responses=error_responses(400, 422),
    tags=["articles"],
)
def list_articles(
    request: Request,
    category: Category = None,
    source: Annotated[int | None, Query(ge=1, le=MAX_ID, description="A source id.")] = None,
    since: Annotated[
        str | None,
        Query(max_length=40, description="From this ISO date or date-time (UTC) on."),
    ] = None,
    until: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Before this date-time; a bare date includes that whole day (UTC).",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 25,
    after: Annotated[
        str | None, Query(max_length=MAX_TEXT, description="The previous page's `next`.")
    ] = None,
) -> m.ArticleListOut:
    """Articles newest first (publication date, else first seen), keyset-paginated."""
    filters = ListFilter(
        category=plain_text(category, "category"),
        source_id=source,
        since=parse_when(since, "since"),
        until=parse_when(until, "until", end_of_day=True),
    )
    if filters.since and filters.until and filters.since >= filters.until:
        raise InvalidParameter("since: must be before until")
    cursor = article_cursor(after)
    site = site_of(request)
    with site.store.read() as session:
        items, nxt = latest(session, limit=limit, filters=filters, after=cursor)
    return m.ArticleListOut(
        items=[m.summary_out(s) for s in items], next=nxt.encode() if nxt else None
    )


@router.get(
    "/articles/{article_id}",
    response_model=m.ArticleOut,
    responses=error_responses(404, 422),
    tags=["articles"],
)
def article_detail(request: Request, article_id: ArticleId) -> m.ArticleOut:
    """One article with its provenance: every carrier and what each one claimed."""
    site = site_of(request)
    reader = reader_context(request, site)
    with site.store.read() as session:
        article = get_article(session, article_id)
        if article is None:
            raise NotFound(f"No article {article_id}.")
        reacted = bool(
            reader.reader_id
            and not reader.new
            and reaction_state(session, reader.reader_id, [article_id])
        )
    return m.article_out(article, reacted)


@router.get(
    "/articles/{article_id}/related",
    response_model=m.ListOut,
    responses=error_responses(404, 422),
    tags=["lists"],
)
def related(
    request: Request,
    article_id: ArticleId,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = RELATED_SIZE,
) -> m.ListOut:
    """The article page's Related list, each item with the reason it is there."""
    site = site_of(request)
    with site.store.read() as session:
        article = get_article(session, article_id)
        if article is None:
            raise NotFound(f"No article {article_id}.")
        found = entries(session, site.rankers.related(session, article, limit))
    return m.list_out(ArticleList("related", "Related", found))


@router.post(
    "/articles/{article_id}/reaction",
    response_model=m.ReactionOut,
    responses=error_responses(403, 404, 422),
    tags=["reader"],
)
def react(
    request: Request,
    article_id: ArticleId,
    x_csrf_token: Annotated[
        str | None,
        Header(max_length=MAX_TEXT, description="From GET /api/v1/reader, same cookie."),
    ] = None,
) -> m.ReactionOut:
    """Toggle this reader's reaction: one per reader, the second call takes it back."""
    site = site_of(request)
    reader = reader_context(request, site)
    if reader.new or not csrf_ok(site.secret, reader.reader_id, x_csrf_token):
        raise Forbidden("A valid X-CSRF-Token header for this reader's cookie is required.")
    assert reader.reader_id is not None
    with site.store.read() as session:
        exists = session.get(Article, article_id) is not None
    if not exists:
        raise NotFound(f"No article {article_id}.")
    site.check_reaction_bound(reader, article_id)
    reacted, count = toggle_reaction(site.store, reader.reader_id, article_id, site.now())
    site.invalidate_article(article_id, reader.reader_id)
    return m.ReactionOut(article_id=article_id, reacted=reacted, count=count)


# --- lists -----------------------------------------------------------------------------------


@router.get("/ranking", response_model=m.ListOut, responses=error_responses(422), tags=["lists"])
def ranking(
    request: Request,
    category: Category = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = RANKING_SIZE,
) -> m.ListOut:
    """Most read in the last days before the site clock (newest fill the list when quiet)."""
    site = site_of(request)
    with site.store.read() as session:
        ranked = site.rankers.ranking(
            session, site.now(), limit, category=plain_text(category, "category")
        )
        found = entries(session, ranked)
    return m.list_out(ArticleList("ranking", "Ranking", found))


@router.get(
    "/recommendations", response_model=m.ListOut, responses=error_responses(422), tags=["lists"]
)
def recommendations(
    request: Request,
    article: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_ID,
            description="The article being read: it counts as read, and is left out.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = RECOMMENDATION_SIZE,
) -> m.ListOut:
    """For the reader of the cookie only (and the article being read, when given); with
    neither, the cold-start list everyone gets: a popular mix over categories."""
    site = site_of(request)
    reader = reader_context(request, site)
    known = None if reader.new else reader.reader_id
    with site.store.read() as session:
        lst = recommendation_list(
            session, site.rankers, known, site.now(), exclude=article or -1, size=limit
        )
    return m.list_out(lst)


@router.get(
    "/search", response_model=m.SearchOut, responses=error_responses(400, 422), tags=["search"]
)
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=500, description='Words, "phrases", pre*')],
    after: Annotated[
        str | None, Query(max_length=MAX_TEXT, description="The previous page's `next`.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> m.SearchOut:
    """Full-text search over title and body, best first; every term must match."""
    site = site_of(request)
    with site.store.read() as session:
        page = search_articles(
            session, q, limit=limit, after=after or None, dialect=site.store.dialect
        )
        summaries = {s.id: s for s in summaries_by_id(session, [h.article_id for h in page.hits])}
    return m.SearchOut(
        query=q,
        items=[
            m.hit_out(h, summaries[h.article_id]) for h in page.hits if h.article_id in summaries
        ],
        next=page.next_token,
    )


# --- small things ----------------------------------------------------------------------------


@router.get("/categories", response_model=list[m.CategoryOut], tags=["articles"])
def list_categories(request: Request) -> list[m.CategoryOut]:
    """Categories with article counts: Dateline's own, largest first, then Uncategorised,
    then sources' claims (`is_claim`). Names are case-insensitive: sources' "markets" and
    "Markets" are one category, and `?category=` accepts any spelling."""
    with site_of(request).store.read() as session:
        found = categories(session)
    return [
        m.CategoryOut(name=name, slug=slugify(name), count=n, is_claim=is_claim_label(name))
        for name, n in found
    ]


@router.get("/sources", response_model=list[m.SourceListed], tags=["articles"])
def list_sources(request: Request) -> list[m.SourceListed]:
    """Every source (a site: its declared name with the scheme, host and port it is
    reached at), by name, with how many pages it sent and how many articles it leads."""
    with site_of(request).store.read() as session:
        return [m.source_listed(counted) for counted in sources_with_counts(session)]


@router.get(
    "/sources/{source_id}",
    response_model=m.SourceOut,
    responses=error_responses(404, 422),
    tags=["articles"],
)
def source_detail(
    request: Request, source_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> m.SourceOut:
    """A source; its articles are GET /api/v1/articles?source={id}."""
    with site_of(request).store.read() as session:
        source = get_source(session, source_id)
        if source is None:
            raise NotFound(f"No source {source_id}.")
        return m.source_out(source)


@router.get("/reader", response_model=m.ReaderOut, tags=["reader"])
def reader(request: Request, response: Response) -> m.ReaderOut:
    """Issue the reader cookie if missing, and the CSRF token that reactions need."""
    site = site_of(request)
    ctx = reader_context(request, site)
    with_reader_cookie(response, ctx)
    token = csrf_token(site.secret, ctx.reader_id) if ctx.reader_id else None
    return m.ReaderOut(known=bool(ctx.reader_id) and not ctx.new, csrf_token=token)
