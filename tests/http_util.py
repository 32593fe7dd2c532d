"""Helpers the HTTP and seed tests share."""

from __future__ import annotations

import contextlib
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
