"""Entry point for uvicorn workers: ``dateline.web.asgi:app_from_environment`` (a factory).

Each worker process builds its own app from the same settings; `dateline serve` has
already checked (or migrated) the schema before starting them.
"""

from __future__ import annotations

from fastapi import FastAPI

from dateline.settings import load_settings
from dateline.web.app import create_app


def app_from_environment() -> FastAPI:
    return create_app(load_settings())
