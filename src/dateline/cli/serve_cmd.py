"""``dateline serve``: the reader site and API; ``--get PATH`` for one in-process request."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from dateline.cli.common import EXIT_FAILED, console, err_console, get_settings, open_store
from dateline.settings import REGISTRY, Settings

DEFAULT_PORT = 8000


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = DEFAULT_PORT,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (production: one per core).")
    ] = 1,
    get: Annotated[
        str | None,
        typer.Option(
            "--get",
            metavar="PATH",
            help="Run one GET request in-process, print the body, exit 1 on a non-2xx answer.",
        ),
    ] = None,
) -> None:
    """Serve the site (refuses a stale schema unless DATELINE_AUTO_MIGRATE is on)."""
    settings = get_settings()
    with open_store(settings) as store:
        if get is not None:
            _get_once(settings, store, get)
            return
    run_server(settings, host=host, port=port, workers=workers)


def run_server(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """uvicorn in this process (one worker) or a supervisor of ``workers`` processes."""
    import uvicorn

    console.print(f"Serving {settings.site_name} on http://{host}:{port} (Ctrl-C stops it)")
    if workers == 1:
        from dateline.web.app import create_app

        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=True,
            server_header=False,
        )
        return
    # Worker processes rebuild settings from the environment: pass overrides that way.
    for setting in REGISTRY:
        if settings.origin.get(setting.name) == "override":
            os.environ[setting.env_var] = str(settings.values[setting.name])
    uvicorn.run(
        "dateline.web.asgi:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        proxy_headers=True,
        server_header=False,
    )


def _get_once(settings: object, store: object, path: str) -> None:
    from fastapi.testclient import TestClient

    from dateline.web.app import create_app

    app = create_app(settings, store)  # type: ignore[arg-type]
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        response = client.get(path, follow_redirects=False)
    sys.stdout.write(response.text)
    if not response.text.endswith("\n"):
        sys.stdout.write("\n")
    if not 200 <= response.status_code < 300:
        location = response.headers.get("location")
        err_console.print(
            f"{path}: HTTP {response.status_code}" + (f" → {location}" if location else "")
        )
        raise typer.Exit(EXIT_FAILED)
