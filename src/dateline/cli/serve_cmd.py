"""``dateline serve``: the reader site and API; ``--get PATH`` for one in-process request."""

from __future__ import annotations

import os
import socket
import sys
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.markup import escape

from dateline.cli.common import (
    EXIT_FAILED,
    console,
    err_console,
    fail,
    get_settings,
    open_store,
)
from dateline.settings import REGISTRY, Settings

DEFAULT_PORT = 8000
# Addresses that mean "every interface": links then name the machine itself.
ALL_INTERFACES = frozenset({"0.0.0.0", "::", ""})  # noqa: S104


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


def base_url_warning(settings: Settings, host: str, port: int) -> str | None:
    """A warning when the default DATELINE_BASE_URL would make links point elsewhere."""
    if settings.origin.get("base_url", "default") != "default":
        return None
    default = urlsplit(str(settings.base_url))
    if default.port == port and (default.hostname == host or host in ALL_INTERFACES):
        return None
    return (
        f"DATELINE_BASE_URL is its default ({settings.base_url}), but this serves port {port}: "
        f"canonical links, feeds and the sitemap will point at {settings.base_url}. "
        f"Set DATELINE_BASE_URL=http://{_host_for_url(host)}:{port} (or your public address)."
    )


def _host_for_url(host: str) -> str:
    if host in ALL_INTERFACES:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def bind(host: str, port: int) -> socket.socket:
    """A listening socket for ``host:port``, or a clear error (exit 1) when it is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    sock.set_inheritable(True)
    return sock


def run_server(settings: Settings, *, host: str, port: int, workers: int = 1) -> None:
    """uvicorn in this process (one worker) or a supervisor of ``workers`` processes."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from dateline.web.app import limit_blas

    limit_blas()
    warning = base_url_warning(settings, host, port)
    if warning:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    sock = bind(host, port)  # a taken port fails here, before anything is announced
    if workers == 1:
        from dateline.web.app import create_app

        config = uvicorn.Config(
            create_app(settings),
            host=host,
            port=port,
            log_level="warning",
            proxy_headers=True,
            server_header=False,
        )
    else:
        # Worker processes rebuild settings from the environment: pass overrides that way.
        for setting in REGISTRY:
            if settings.origin.get(setting.name) == "override":
                os.environ[setting.env_var] = str(settings.values[setting.name])
        config = uvicorn.Config(
            "dateline.web.asgi:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=True,
            server_header=False,
        )
    bound = sock.getsockname()[1]
    # Said only now: the socket is bound and listening, so the address answers.
    console.print(
        f"Serving {escape(str(settings.site_name))} on http://{_host_for_url(host)}:{bound} "
        "(Ctrl-C stops it)",
        highlight=False,
    )
    server = uvicorn.Server(config)
    try:
        if workers == 1:
            server.run(sockets=[sock])
        else:
            Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    if workers == 1 and not server.started:
        raise typer.Exit(EXIT_FAILED)


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
