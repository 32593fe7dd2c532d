"""The reader's Recommendation controls: forms at /me and on each item, and their API twins.

Every control is a POST with the reader's CSRF token (a form field, or the
``X-CSRF-Token`` header for the API), works without JavaScript (a form posts and is
redirected back, 303), and takes effect on the reader's next request in every worker:
the write logs the reader in ``reader_changes`` (which other workers poll) and this
worker drops and rebuilds the reader's cached parts at once.

* ``POST /me/less`` (``article``): "less like this" on a recommended item;
* ``POST /me/mute`` (``kind`` = source | category, ``value``, ``on`` = 1 | 0);
* ``POST /me/pause`` (``paused`` = 1 | 0) and ``POST /me/reset``.
* API: ``GET /api/v1/reader/controls``, ``POST /api/v1/reader/controls`` (JSON body
  ``{"kind": "less_like" | "mute_source" | "mute_category", "value": "…", "on": true}``),
  ``POST /api/v1/reader/pause`` (``{"paused": true}``) and ``POST /api/v1/reader/reset``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from dateline.errors import MalformedInput
from dateline.readers import controls as ctl
from dateline.web.api import no_shared_cache
from dateline.web.api_params import Forbidden, InvalidParameter, error_responses
from dateline.web.pages import site_of
from dateline.web.readers import reader_context
from dateline.web.security import csrf_ok
from dateline.web.site import Site

router = APIRouter()
api_router = APIRouter(
    prefix="/api/v1", dependencies=[Depends(no_shared_cache)], responses=error_responses(429)
)
FORBIDDEN = "This form expired or did not come from this site. Reload the page and try again."
KINDS = {"source": ctl.MUTE_SOURCE, "category": ctl.MUTE_CATEGORY}


def controls_context(site: Site, reader_id: str | None) -> dict[str, Any]:
    """What /me shows of the reader's controls (and the API returns)."""
    if not reader_id:
        return {"paused": False, "muted_sources": [], "muted_categories": [], "less_like": []}
    with site.store.read() as session:
        found = ctl.controls_of(session, [reader_id])[reader_id]
    catalog = site.catalog.fresh()
    names = {s.source_id: s.source_name for s in catalog.items}
    titles = catalog.by_id
    return {
        "paused": found.paused_since is not None,
        "reset_at": found.reset_at.isoformat() if found.reset_at else None,
        "muted_sources": [
            {"id": sid, "name": names.get(sid, f"source {sid}")}
            for sid in sorted(found.muted_sources)
        ],
        "muted_categories": sorted(found.muted_categories),
        "less_like": [
            {"id": aid, "title": titles[aid].title if aid in titles else f"article {aid}"}
            for aid in sorted(found.less_like)
        ],
    }


def _apply(site: Site, reader_id: str, change: Callable[[Session], None]) -> None:
    with site.store.write() as session:
        change(session)
    site.invalidate_reader(reader_id)


def _back(request: Request, default: str = "/me") -> str:
    """Where a form returns: the page it was posted from, when it is on this site."""
    referer = request.headers.get("referer") or ""
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return default
    path = parts.path or default
    if not path.startswith("/") or path.startswith("//"):
        return default
    return path + (f"?{parts.query}" if parts.query else "")


async def _form_control(
    request: Request, csrf: str | None, change: Callable[[str], Callable[[Session], None]]
) -> Response:
    site = site_of(request)
    reader = reader_context(request, site)
    if reader.new or not reader.reader_id or not csrf_ok(site.secret, reader.reader_id, csrf):
        return site.error_response(request, 403, "Forbidden", FORBIDDEN)
    rid = reader.reader_id
    try:
        work = change(rid)
    except MalformedInput as exc:
        return site.error_response(request, 422, "Not a control", str(exc))
    try:
        await run_in_threadpool(_apply, site, rid, work)
    except MalformedInput as exc:
        return site.error_response(request, 422, "Not a control", str(exc))
    return RedirectResponse(_back(request), status_code=303)


@router.post("/me/less", include_in_schema=False)
async def less_like(
    request: Request,
    article: Annotated[str, Form(max_length=40)] = "",
    csrf: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    site = site_of(request)
    now = site.now()

    def change(rid: str) -> Callable[[Session], None]:
        ctl.set_control_value(ctl.LESS_LIKE, article)  # validates before the write
        return lambda s: ctl.set_control(s, rid, ctl.LESS_LIKE, article, now)

    return await _form_control(request, csrf, change)


@router.post("/me/mute", include_in_schema=False)
async def mute(
    request: Request,
    kind: Annotated[str, Form(max_length=20)] = "",
    value: Annotated[str, Form(max_length=255)] = "",
    on: Annotated[str, Form(max_length=5)] = "1",
    csrf: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    site = site_of(request)
    now = site.now()

    def change(rid: str) -> Callable[[Session], None]:
        if kind not in KINDS:
            raise MalformedInput("kind must be source or category")
        ctl.set_control_value(KINDS[kind], value)
        return lambda s: ctl.set_control(s, rid, KINDS[kind], value, now, on=on != "0")

    return await _form_control(request, csrf, change)


@router.post("/me/pause", include_in_schema=False)
async def pause(
    request: Request,
    paused: Annotated[str, Form(max_length=5)] = "1",
    csrf: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    site = site_of(request)
    now = site.now()
    return await _form_control(
        request, csrf, lambda rid: lambda s: ctl.set_paused(s, rid, paused != "0", now)
    )


@router.post("/me/reset", include_in_schema=False)
async def reset(
    request: Request, csrf: Annotated[str | None, Form(max_length=200)] = None
) -> Response:
    site = site_of(request)
    now = site.now()
    return await _form_control(request, csrf, lambda rid: lambda s: ctl.reset(s, rid, now))


# --- the JSON twins ----------------------------------------------------------------------------


class MutedSourceOut(BaseModel):
    id: int
    name: str


class MarkedOut(BaseModel):
    id: int
    title: str


class ControlsOut(BaseModel):
    """A reader's Recommendation controls."""

    paused: bool
    reset_at: str | None = None
    muted_sources: list[MutedSourceOut]
    muted_categories: list[str]
    less_like: list[MarkedOut]


class ControlIn(BaseModel):
    kind: Literal["less_like", "mute_source", "mute_category"] = Field(
        description="less_like and mute_source take an id, mute_category a category name"
    )
    value: str = Field(min_length=1, max_length=255)
    on: bool = Field(True, description="false clears the control")


class PauseIn(BaseModel):
    paused: bool = True


CsrfHeader = Annotated[
    str | None, Header(max_length=200, description="From GET /api/v1/reader, same cookie.")
]


def _api_apply(
    request: Request, token: str | None, change: Callable[[str], Callable[[Session], None]]
) -> ControlsOut:
    site = site_of(request)
    reader = reader_context(request, site)
    if reader.new or not reader.reader_id or not csrf_ok(site.secret, reader.reader_id, token):
        raise Forbidden("A valid X-CSRF-Token header for this reader's cookie is required.")
    rid = reader.reader_id
    try:
        _apply(site, rid, change(rid))
    except MalformedInput as exc:
        raise InvalidParameter(str(exc)) from exc
    return ControlsOut(**controls_context(site, rid))


@api_router.get("/reader/controls", response_model=ControlsOut, tags=["reader"])
def get_controls(request: Request) -> ControlsOut:
    """This reader's Recommendation controls (all empty without a reader cookie)."""
    site = site_of(request)
    reader = reader_context(request, site)
    return ControlsOut(**controls_context(site, None if reader.new else reader.reader_id))


@api_router.post(
    "/reader/controls",
    response_model=ControlsOut,
    responses=error_responses(400, 403, 422),
    tags=["reader"],
)
def post_control(request: Request, body: ControlIn, x_csrf_token: CsrfHeader = None) -> ControlsOut:
    """Set (``on``) or clear one control; returns every control of this reader."""
    now = site_of(request).now()

    def change(rid: str) -> Callable[[Session], None]:
        ctl.set_control_value(body.kind, body.value)
        return lambda s: ctl.set_control(s, rid, body.kind, body.value, now, on=body.on)

    return _api_apply(request, x_csrf_token, change)


@api_router.post(
    "/reader/pause",
    response_model=ControlsOut,
    responses=error_responses(400, 403, 422),
    tags=["reader"],
)
def post_pause(request: Request, body: PauseIn, x_csrf_token: CsrfHeader = None) -> ControlsOut:
    """Pause (the list stops using your history) or resume."""
    now = site_of(request).now()
    return _api_apply(
        request, x_csrf_token, lambda rid: lambda s: ctl.set_paused(s, rid, body.paused, now)
    )


@api_router.post(
    "/reader/reset",
    response_model=ControlsOut,
    responses=error_responses(403, 422),
    tags=["reader"],
)
def post_reset(request: Request, x_csrf_token: CsrfHeader = None) -> ControlsOut:
    """Forget your history for Recommendation and clear every control."""
    now = site_of(request).now()
    return _api_apply(request, x_csrf_token, lambda rid: lambda s: ctl.reset(s, rid, now))
