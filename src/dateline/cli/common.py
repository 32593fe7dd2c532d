"""What every command shares: settings, the store, and turning errors into exit codes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from dateline.errors import ConfigError, DatelineError
from dateline.settings import Settings, load_settings
from dateline.store.db import Store
from dateline.store.schema import ensure_schema

console = Console()
err_console = Console(stderr=True)

EXIT_FAILED = 1
EXIT_CONFIG = 2


def fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def error_line(where: str, message: str) -> str:
    """``where: message``, naming the target once (library messages often start with it)."""
    if where and message.startswith(where):
        return message
    return f"{where}: {message}" if where else message


def get_settings() -> Settings:
    """Settings for a command; an invalid value stops it here, naming the key."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise fail(str(exc), EXIT_CONFIG) from exc
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    return settings


def describe_store(settings: Settings, store: Store) -> str:
    """One line naming the database a command uses (``./data`` depends on where it runs)."""
    if settings.database_url:
        return f"database: {store.display_url}"
    return f"database: {store.display_url} (data folder {settings.data_path.resolve()})"


def announce_store(settings: Settings, store: Store) -> None:
    err_console.print(
        f"[dim]{escape(describe_store(settings, store))}[/]", highlight=False, soft_wrap=True
    )


def make_store(settings: Settings) -> Store:
    """The configured store, announced on stderr; a bad URL stops the command here."""
    try:
        store = Store(settings.resolved_database_url)
    except DatelineError as exc:
        raise fail(str(exc), EXIT_CONFIG) from exc
    announce_store(settings, store)
    return store


@contextmanager
def open_store(settings: Settings, *, auto_migrate: bool | None = None) -> Iterator[Store]:
    """The configured store with a schema the code matches (created, migrated or refused)."""
    store = make_store(settings)
    try:
        migrate = settings.auto_migrate if auto_migrate is None else auto_migrate
        ensure_schema(store, auto_migrate=migrate)
        yield store
    except DatelineError as exc:
        raise fail(str(exc)) from exc
    finally:
        store.dispose()
