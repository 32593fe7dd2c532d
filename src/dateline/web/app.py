"""The ASGI application: routes, static assets, errors, security headers, lifecycle."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from dateline import __version__
from dateline.errors import DatelineError
from dateline.settings import Settings
from dateline.store.db import Store
from dateline.web import (
    admin,
    api,
    api_docs,
    controls,
    feeds,
    gctune,
    info_pages,
    intel_pages,
    pages,
)
from dateline.web.count_bound import TooManyRequests
from dateline.web.fastpath import FastPath
from dateline.web.first_view import FirstViews
from dateline.web.maintenance import Maintenance
from dateline.web.ratelimit import RateLimits, budgets_from
from dateline.web.security import SecurityHeaders
from dateline.web.site import Site

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
# BLAS threads in a serving process (``limit_blas``). Its matrix products are small (a
# reader's interests against a few thousand candidates): a second thread costs more to
# wake than it saves, and workers already share the cores (rank_speed measured one list
# 34 ms with 2 threads, 18 ms with 1).
SERVING_BLAS_THREADS = 1
# How long a thread may hold the GIL before another waiting one gets it (CPython's default
# is 5 ms). A worker's request thread shares the GIL with its background rebuilds of
# reader lists and its event flusher: at 5 ms a request that needs the GIL behind a
# rebuild waits up to 5 ms at each of its switches. At 1 ms the article page with a reader
# cookie went from p99 35 ms to 21 ms at the same req/s (bench/serving.py, 2026-12-06).
SERVING_SWITCH_INTERVAL = 0.001
# Static assets carry a version in their URL, so browsers may keep them for a year.
STATIC_MAX_AGE = 365 * 86400


class CachedStatic(StaticFiles):
    async def get_response(self, path: str, scope: dict) -> Response:  # type: ignore[override]
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["cache-control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"
        return response


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    """The site over ``store`` (default: the configured one, schema already checked)."""
    store = store or Store(settings.resolved_database_url)
    site = Site(settings, store)

    maintenance = Maintenance(site)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        site.catalog.fresh()  # build the in-memory index before the first request
        switch = sys.getswitchinterval()
        sys.setswitchinterval(min(switch, SERVING_SWITCH_INTERVAL))
        # Keep the index (and what else is alive now) out of the collector's full scans,
        # and the index built after a corpus change too (see gctune).
        gctune.start()
        site.catalog.listeners.append(gctune.settle)
        site.events.start()
        maintenance.start()
        try:
            yield
        finally:
            maintenance.stop()
            site.refresher.drain()  # rebuilds under way finish before the store goes
            site.events.close()
            site.catalog.listeners.remove(gctune.settle)
            gctune.stop()
            sys.setswitchinterval(switch)

    app = FastAPI(
        title=f"{settings.site_name} API",
        version=__version__,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.site = site
    app.mount("/static", CachedStatic(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(info_pages.router)
    app.include_router(controls.router)
    app.include_router(controls.api_router)
    app.include_router(feeds.router)
    app.include_router(intel_pages.router)
    app.include_router(api.router)
    app.include_router(admin.router)
    app.include_router(api_docs.router)
    _install_error_handlers(app, site)
    # Inside the security headers, so a 429 carries them too.
    app.add_middleware(
        RateLimits,
        budgets=budgets_from(settings),
        exempt_networks=settings.limit_exempt_networks,
    )
    app.add_middleware(SecurityHeaders)
    # Answers cached article and home pages without the framework's machinery.
    app.add_middleware(FastPath, site=site)
    # Before the fast path: a returning reader's first view becomes theirs (first_view.py).
    app.add_middleware(FirstViews, site=site)
    return app


def _install_error_handlers(app: FastAPI, site: Site) -> None:
    @app.exception_handler(DatelineError)
    async def dateline_error(request: Request, exc: DatelineError) -> Response:
        response = site.error_response(
            request, exc.http_status, _title(exc.http_status), exc.message, exc.code
        )
        if isinstance(exc, TooManyRequests):
            response.headers["retry-after"] = str(exc.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404:
            message = "There is no page at this address."
        return site.error_response(request, exc.status_code, _title(exc.status_code), message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body"))
        message = f"{where}: {first.get('msg', 'invalid value')}" if where else "Invalid request."
        return site.error_response(request, 422, "Invalid request", message, "invalid")

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        return site.error_response(
            request,
            500,
            "Something went wrong",
            "The server failed to build this page. It has been logged.",
        )


def _title(status: int) -> str:
    return {
        404: "Page not found",
        403: "Forbidden",
        422: "Invalid request",
        405: "Method not allowed",
        429: "Too many requests",
    }.get(status, "Error")


def limit_blas() -> None:
    """For the life of a serving process (``dateline serve``): BLAS on
    ``SERVING_BLAS_THREADS`` here, and in the worker processes it starts (they read the
    variable when they load numpy). Process-wide, so never inside an app's lifespan: a
    test process runs many apps, and the co-reading fit sets its own limit meanwhile."""
    from threadpoolctl import threadpool_limits

    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(SERVING_BLAS_THREADS))
    threadpool_limits(SERVING_BLAS_THREADS, "blas")
