"""``dateline db``: schema status and upgrades, done on purpose rather than as a side effect."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from dateline.cli.common import console, get_settings, make_store
from dateline.settings import Settings
from dateline.store.schema import schema_status, upgrade

app = typer.Typer(help="Database schema: status and upgrade.", no_args_is_help=True)


def _missing_sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file the settings point at when it does not exist yet (else None)."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database).expanduser()
    return None if path.exists() else path


@app.command("status")
def status() -> None:
    """Print the schema revision of the database and the one this code needs."""
    settings = get_settings()
    missing = _missing_sqlite_file(settings)
    if missing is not None:
        # Opening it would create it: say so instead, and leave the disk alone.
        console.print(
            f"no database yet at {missing}: it will be created on first use "
            "(`dateline ingest`, `dateline demo` or `dateline serve`)",
            highlight=False,
        )
        return
    store = make_store(settings)
    try:
        current = schema_status(store)
    finally:
        store.dispose()
    if current.empty:
        console.print(
            f"{store.display_url}: empty database; the schema ({current.head}) will be "
            "created on first use",
            highlight=False,
        )
        return
    state = "up to date" if current.up_to_date else "needs `dateline db upgrade`"
    console.print(
        f"{store.display_url}: revision {current.current or 'none'}, "
        f"code needs {current.head} ({state})",
        highlight=False,
    )
    if not current.up_to_date:
        raise typer.Exit(1)


@app.command("upgrade")
def upgrade_cmd() -> None:
    """Migrate the database to the newest schema (back it up first)."""
    store = make_store(get_settings())
    try:
        upgrade(store)
        console.print(f"{store.display_url}: at revision {schema_status(store).current}")
    finally:
        store.dispose()
