"""HTML routes (each with a JSON twin via ``?format=json``): thin over Site and list_views."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from dateline.errors import NotFound
from dateline.readers.events import toggle_reaction
from dateline.store.queries import ListFilter
from dateline.web import list_views
from dateline.web.contexts import to_jsonable
from dateline.web.first_view import first_view_cookie
from dateline.web.readers import ReaderContext, reader_context, with_reader_cookie
from dateline.web.security import csrf_ok, csrf_token
from dateline.web.site import Site

router = APIRouter()
HTML = "text/html; charset=utf-8"
# Public pages may be cached by browsers briefly; per-reader pages never by shared caches.
PRIVATE_CACHE = "private, no-cache"


def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def clicked_from(request: Request) -> tuple[str, int, int] | None:
    """A click on a list item: its links carry ``from``, ``pos`` and ``on`` (the page)."""
    params = request.query_params
    name, pos, on = params.get("from"), params.get("pos", ""), params.get("on", "")
    if name in ("related", "ranking", "recommendation") and pos.isdigit() and on.isdigit():
        return name, int(pos), int(on)
    return None


def wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


def page_response(
    request: Request, reader: ReaderContext, template: str, ctx: Any, **extra: Any
) -> Response:
    site = site_of(request)
    if wants_json(request):
        response: Response = JSONResponse(to_jsonable(ctx))
    else:
        response = HTMLResponse(site.render(template, page=ctx, **extra))
    response.headers["cache-control"] = PRIVATE_CACHE
    return with_reader_cookie(response, reader)


# --- article ---------------------------------------------------------------------------------


@router.get("/a/{article_id}", include_in_schema=False)
async def article_without_slug(request: Request, article_id: int) -> Response:
    cached = await run_in_threadpool(site_of(request).cached_article, article_id)
    if cached is None:
        raise NotFound(f"No article {article_id}.")
    return RedirectResponse(f"/a/{article_id}/{cached.slug}", status_code=301)


@router.get("/a/{article_id}/{slug}", include_in_schema=False)
async def article(request: Request, article_id: int, slug: str) -> Response:
    site = site_of(request)
    reader = reader_context(request, site)
    if wants_json(request):

        def build() -> Any:
            with site.store.read() as session:
                return site.article_page(session, article_id, reader.reader_id)

        page = await run_in_threadpool(build)
        if page is None:
            raise NotFound(f"No article {article_id}.")
        return with_reader_cookie(JSONResponse(to_jsonable(page)), reader)
    cached = site.peek_article(article_id)
    if cached is None:
        cached = await run_in_threadpool(site.cached_article, article_id)
        if cached is None:
            raise NotFound(f"No article {article_id}.")
    if slug != cached.slug:
        return RedirectResponse(f"/a/{article_id}/{cached.slug}", status_code=301)
    at = site.now()
    body = await run_in_threadpool(
        partial(site.serve_article, block=True, at=at),
        cached,
        article_id,
        reader,
        clicked_from(request),
    )
    response = HTMLResponse(body)
    response.headers["cache-control"] = PRIVATE_CACHE
    with_reader_cookie(response, reader)
    first = first_view_cookie(site.secret, reader, article_id, at)
    if first:
        response.headers.append("set-cookie", first)
    return response


@router.post("/a/{article_id}/react", include_in_schema=False)
async def react(
    request: Request,
    article_id: int,
    csrf: Annotated[str | None, Form()] = None,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> Response:
    """Toggle this reader's reaction; JSON for fetch(), a redirect back for a plain form."""
    site = site_of(request)
    reader = reader_context(request, site)
    if not csrf_ok(site.secret, reader.reader_id, x_csrf_token or csrf):
        return site.error_response(
            request,
            403,
            "Forbidden",
            "This form expired or did not come from this site. Reload the page and try again.",
        )
    cached = await run_in_threadpool(site.cached_article, article_id)
    if cached is None:
        raise NotFound(f"No article {article_id}.")
    assert reader.reader_id is not None
    site.check_reaction_bound(reader, article_id)
    reacted, count = await run_in_threadpool(
        toggle_reaction, site.store, reader.reader_id, article_id, site.now()
    )
    site.invalidate_article(article_id, reader.reader_id)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"article_id": article_id, "reacted": reacted, "count": count})
    return RedirectResponse(f"/a/{article_id}/{cached.slug}#reaction", status_code=303)


# --- lists -------------------------------------------------------------------------------------


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    site = site_of(request)
    reader = reader_context(request, site)
    if wants_json(request):
        ctx = await run_in_threadpool(site.home_page)
        return with_reader_cookie(JSONResponse(to_jsonable(ctx)), reader)
    known = reader.reader_id is not None and not reader.new
    html = site.home_for(reader.reader_id, known, block=False)
    if html is None:
        html = await run_in_threadpool(
            lambda: site.home_for(reader.reader_id, known, block=True) or b""
        )
    response = HTMLResponse(html)
    response.headers["cache-control"] = PRIVATE_CACHE
    return with_reader_cookie(response, reader)


@router.get("/latest", include_in_schema=False)
async def latest_page(request: Request, after: str | None = None) -> Response:
    site = site_of(request)
    reader = reader_context(request, site)
    ctx = await run_in_threadpool(list_views.list_page, site, "Latest", ListFilter(), after)
    return page_response(request, reader, "list.html", ctx, next_query=_next(ctx, {}))


@router.get("/c/{slug}", include_in_schema=False)
async def category(request: Request, slug: str, after: str | None = None) -> Response:
    site = site_of(request)
    reader = reader_context(request, site)
    label = await run_in_threadpool(site.category_for_slug, slug)
    if label is None:
        raise NotFound(f"No category “{slug}”.")
    ctx = await run_in_threadpool(list_views.category_page, site, label, after)
    return page_response(
        request,
        reader,
        "list.html",
        ctx,
        current_category=label,
        next_query=_next(ctx, {}),
        feed_path=f"/c/{slug}/feed",
    )


@router.get("/source/{source_id}", include_in_schema=False)
async def source(request: Request, source_id: int, after: str | None = None) -> Response:
    site = site_of(request)
    reader = reader_context(request, site)
    ctx = await run_in_threadpool(list_views.source_page, site, source_id, after)
    if ctx is None:
        raise NotFound(f"No source {source_id}.")
    # a reader with a cookie may mute the source for their Recommendation (/me/mute)
    csrf = csrf_token(site.secret, reader.reader_id) if reader.reader_id and not reader.new else ""
    return page_response(
        request, reader, "list.html", ctx, next_query=_next(ctx, {}), csrf=csrf, source_id=source_id
    )


@router.get("/search", include_in_schema=False)
async def search(
    request: Request, q: Annotated[str, Query(max_length=500)] = "", after: str | None = None
) -> Response:
    site = site_of(request)
    reader = reader_context(request, site)
    ctx = await run_in_threadpool(list_views.search_page, site, q, after)
    return page_response(
        request, reader, "search.html", ctx, query=q, next_query=_next(ctx, {"q": q})
    )


def _next(ctx: Any, params: dict[str, str]) -> str:
    if not getattr(ctx, "next_cursor", None):
        return ""
    return urlencode({**params, "after": ctx.next_cursor})
