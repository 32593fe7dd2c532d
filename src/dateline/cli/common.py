"""What every command shares: settings, the store, and turning errors into exit codes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from dateline.errors import ConfigError, DatelineError
from dateline.settings import Settings, load_settings
from dateline.store.db import Store
from dateline.store.schema import ensure_schema

console = Console()
err_console = Console(stderr=True)

EXIT_FAILED = 1
EXIT_CONFIG = 2


def fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


def get_settings() -> Settings:
    """Settings for a command; an invalid value stops it here, naming the key."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from exc
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    return settings


@contextmanager
def open_store(settings: Settings, *, auto_migrate: bool | None = None) -> Iterator[Store]:
    """The configured store with a schema the code matches (created, migrated or refused)."""
    try:
        store = Store(settings.resolved_database_url)
    except DatelineError as exc:
        raise fail(str(exc), EXIT_CONFIG) from exc
    try:
        migrate = settings.auto_migrate if auto_migrate is None else auto_migrate
        ensure_schema(store, auto_migrate=migrate)
        yield store
    except DatelineError as exc:
        raise fail(str(exc)) from exc
    finally:
        store.dispose()
