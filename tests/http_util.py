"""Helpers the HTTP and seed tests share."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from dateline.extract import extract_document
from dateline.extract.model import ExtractedArticle
from dateline.ingest.sources import load

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

# A browser's User-Agent: HTTP libraries' own count as bots, whose views are not counted.
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/140.0"


def client(live_site, headers: dict[str, str] | None = None) -> httpx.Client:
    """A browser-like client (HTTP libraries' own User-Agents count as bots)."""
    return httpx.Client(
        base_url=live_site.url,
        timeout=30,
        follow_redirects=False,
        headers={"User-Agent": BROWSER_UA, **(headers or {})},
    )


def from_address(
    base: str, address: str, cookie: str | None = None, timeout: float = 10
) -> httpx.Client:
    """A browser-like client whose connections come from ``address`` (127.0.0.x: each
    address is a machine of its own to the site's per-address limits)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(
        base_url=base,
        transport=transport,
        cookies={"dl_reader": cookie} if cookie else None,
        headers={"User-Agent": BROWSER_UA},
        timeout=timeout,
    )


@contextlib.contextmanager
def dateline_serve(env: dict[str, str], workers: int = 1) -> Iterator[subprocess.Popen[bytes]]:
    """``dateline serve`` in a process of its own on a free port; ``proc.base`` is its URL."""
    import os
    import socket
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    full = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")} | env
    command = [str(Path(sys.executable).parent / "dateline"), "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proc.base = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(proc.base + "/healthz", timeout=1).status_code == 200:  # type: ignore[attr-defined]
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=30)


def read_seed(path: Path, settings) -> ExtractedArticle:
    item = next(iter(extract_document(load(str(path), settings))))
    assert isinstance(item, ExtractedArticle)
    return item


@contextlib.contextmanager
def app_client(store, tmp_path: Path, clock: str) -> Iterator[TestClient]:
    """The real app over ``store``, its site clock pinned to ``clock``, in process."""
    from fastapi.testclient import TestClient

    from dateline.settings import load_settings
    from dateline.web.app import create_app

    settings = load_settings(
        environ={
            "DATELINE_DATA_DIR": str(tmp_path / "data"),
            "DATELINE_DATABASE_URL": store.url,
            "DATELINE_SITE_CLOCK": clock,
        }
    )
    with TestClient(create_app(settings, store)) as client:
        yield client
