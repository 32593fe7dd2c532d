"""``/api/docs``: Swagger UI served from an installed package, under the site's strict CSP.

FastAPI's own docs page loads Swagger UI from a CDN and starts it with an inline script;
both break ``script-src 'self'``. Here the assets come from the ``swagger-ui-bundle-v2``
package (Swagger UI 5, the first major version that reads OpenAPI 3.1, which FastAPI
emits), under a URL carrying their version so browsers may cache them for a year, and the
page is started by our own ``/static/swagger-init.js``. Only an allow-list of file names is
served: no path from a request ever reaches the file system.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from dateline.errors import DatelineError, NotFound
from dateline.web.site import Site

try:
    from swagger_ui_bundle import swagger_ui_path
except ImportError:  # the docs are optional: the API itself works without them
    swagger_ui_path = None

router = APIRouter()
DOCS_PATH = "/api/docs"
ASSET_MAX_AGE = 365 * 86400
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-bundle.js.map": "application/json",
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui.css.map": "application/json",
    "favicon-32x32.png": "image/png",
    "favicon-16x16.png": "image/png",
}


class DocsUnavailable(DatelineError):
    code = "unavailable"
    http_status = 503


def swagger_dir() -> Path | None:
    return Path(str(swagger_ui_path)) if swagger_ui_path is not None else None


def swagger_version() -> str:
    """``5.31.0`` from the package's ``vendor/swagger-ui-5.31.0`` folder."""
    folder = swagger_dir()
    return folder.name.removeprefix("swagger-ui-") if folder else ""


@router.get(DOCS_PATH, include_in_schema=False)
async def api_docs(request: Request) -> Response:
    if swagger_dir() is None:
        raise DocsUnavailable("The API docs need the swagger-ui-bundle-v2 package.")
    site: Site = request.app.state.site
    html = site.templates.get_template("api_docs.html").render(
        assets=f"{DOCS_PATH}/static/{swagger_version()}",
        openapi_url=request.app.openapi_url,
    )
    return HTMLResponse(html, headers={"cache-control": "no-cache"})


@router.get(DOCS_PATH + "/static/{version}/{name}", include_in_schema=False)
async def api_docs_asset(version: str, name: str) -> Response:
    folder = swagger_dir()
    if folder is None or version != swagger_version() or name not in ASSETS:
        raise NotFound(f"No asset {name!r}.")
    return FileResponse(
        folder / name,
        media_type=ASSETS[name],
        headers={"cache-control": f"public, max-age={ASSET_MAX_AGE}, immutable"},
    )
