"""``dateline db``: schema status and upgrades, done on purpose rather than as a side effect."""

from __future__ import annotations

import typer

from dateline.cli.common import console, fail, get_settings
from dateline.errors import DatelineError
from dateline.store.db import Store
from dateline.store.schema import schema_status, upgrade

app = typer.Typer(help="Database schema: status and upgrade.", no_args_is_help=True)


def _store() -> Store:
    try:
        return Store(get_settings().resolved_database_url)
    except DatelineError as exc:
        raise fail(str(exc)) from exc


@app.command("status")
def status() -> None:
    """Print the schema revision of the database and the one this code needs."""
    store = _store()
    try:
        current = schema_status(store)
    finally:
        store.dispose()
    state = "up to date" if current.up_to_date else "needs `dateline db upgrade`"
    console.print(
        f"{store.display_url}: revision {current.current or 'none'}, "
        f"code needs {current.head} ({state})"
    )
    if not current.up_to_date:
        raise typer.Exit(1)


@app.command("upgrade")
def upgrade_cmd() -> None:
    """Migrate the database to the newest schema (back it up first)."""
    store = _store()
    try:
        upgrade(store)
        console.print(f"{store.display_url}: at revision {schema_status(store).current}")
    finally:
        store.dispose()
