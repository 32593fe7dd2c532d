"""About (credits and licences), privacy, the reader's own history (/me), health."""

from __future__ import annotations

import json
from datetime import datetime
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select

from dateline.demo import WIKINEWS_ATTRIBUTION
from dateline.readers.history import clear_history, reader_history
from dateline.store.models import Article, Reader, Source
from dateline.web.contexts import to_jsonable
from dateline.web.controls import controls_context
from dateline.web.pages import PRIVATE_CACHE, site_of, wants_json
from dateline.web.readers import COOKIE_MAX_AGE_DAYS, reader_context, with_reader_cookie
from dateline.web.security import csrf_ok, csrf_token
from dateline.web.site import Site

router = APIRouter()
HISTORY_PAGE = 50


def about_context(site: Site) -> dict[str, Any]:
    with site.store.read() as session:
        sources = session.execute(
            select(Source.id, Source.name, Source.home_url).order_by(Source.name)
        ).all()
        articles = session.scalar(select(func.count()).select_from(Article)) or 0
        simulated = (
            session.scalar(
                select(func.count()).select_from(Reader).where(Reader.simulated.is_(True))
            )
            or 0
        )
    return {
        "articles": articles,
        "sources": [{"id": s.id, "name": s.name, "home_url": s.home_url} for s in sources],
        "simulated_readers": simulated,
        "site_clock": site.settings.site_clock or None,
        "attribution": WIKINEWS_ATTRIBUTION,
        "rank_figures": rank_figures(),
    }


def rank_figures() -> dict[str, Any] | None:
    """The offline evaluation of the Recommendation rankers shipped with this version
    (``bench/recommend.py`` writes it; docs/benchmarks.md has the run), or None."""
    try:
        text = files("dateline.data").joinpath("models/rank_figures.json").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return None
    figures: dict[str, Any] = json.loads(text)
    return figures


@router.get("/about", include_in_schema=False)
async def about(request: Request) -> Response:
    site = site_of(request)
    ctx = await run_in_threadpool(about_context, site)
    if wants_json(request):
        return JSONResponse(ctx)
    return HTMLResponse(site.render("about.html", about=ctx))


@router.get("/privacy", include_in_schema=False)
async def privacy(request: Request) -> Response:
    site = site_of(request)
    ctx = {"retention_days": site.settings.event_retention_days, "cookie_days": COOKIE_MAX_AGE_DAYS}
    if wants_json(request):
        return JSONResponse(ctx)
    return HTMLResponse(site.render("privacy.html", privacy=ctx))


def parse_before(value: str | None) -> tuple[datetime, int] | None:
    if not value or "_" not in value or len(value) > 60:
        return None
    at, _, ident = value.rpartition("_")
    try:
        return datetime.fromisoformat(at), int(ident)
    except ValueError:
        return None


@router.get("/me", include_in_schema=False)
async def me(request: Request, before: str | None = None) -> Response:
    site = site_of(request)
    reader = reader_context(request, site)
    known = None if reader.new else reader.reader_id

    def build() -> list[Any]:
        if known is None:
            return []
        with site.store.read() as session:
            return reader_history(session, known, HISTORY_PAGE + 1, parse_before(before))

    items = await run_in_threadpool(build)
    controls = await run_in_threadpool(controls_context, site, known)
    more = items[HISTORY_PAGE] if len(items) > HISTORY_PAGE else None
    items = items[:HISTORY_PAGE]
    next_before = f"{items[-1].at.isoformat()}_{items[-1].event_id}" if more and items else None
    if wants_json(request):
        response: Response = JSONResponse(
            {
                "reader": known,
                "history": to_jsonable(items),
                "next_before": next_before,
                "controls": controls,
            }
        )
    else:
        token = csrf_token(site.secret, reader.reader_id) if reader.reader_id else ""
        response = HTMLResponse(
            site.render(
                "me.html",
                items=items,
                known=known,
                csrf=token,
                next_before=next_before,
                cleared=request.query_params.get("cleared"),
                controls=controls,
                categories=[label for label, _ in site.categories()],
            )
        )
    response.headers["cache-control"] = "private, no-store"
    return with_reader_cookie(response, reader)


@router.post("/me/clear", include_in_schema=False)
async def clear(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
    site = site_of(request)
    reader = reader_context(request, site)
    if reader.new or not csrf_ok(site.secret, reader.reader_id, csrf):
        return site.error_response(
            request, 403, "Forbidden", "This form expired or did not come from this site."
        )
    assert reader.reader_id is not None
    removed = await run_in_threadpool(clear_history, site.store, reader.reader_id)
    site.recent_reads.forget(reader.reader_id)
    site.invalidate_reader(reader.reader_id)
    return RedirectResponse(f"/me?cleared={removed}", status_code=303)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    """Browsers ask for /favicon.ico whatever the page says; send them to the SVG icon."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/healthz", include_in_schema=False)
async def healthz(request: Request) -> Response:
    site = site_of(request)

    def ping() -> bool:
        with site.store.read() as session:
            session.execute(select(1))
        return True

    await run_in_threadpool(ping)
    return JSONResponse(
        {"status": "ok", "pending_events": site.events.pending},
        headers={"cache-control": PRIVATE_CACHE},
    )
