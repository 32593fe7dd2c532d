"""``dateline db``: schema status and upgrades, done on purpose rather than as a side effect."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from dateline.cli.common import console, fail, get_settings, make_store
from dateline.errors import DatelineError
from dateline.settings import Settings
from dateline.store.backup import backup, restore
from dateline.store.schema import schema_status, upgrade

app = typer.Typer(
    help="The database: schema status and upgrade, backup and restore.", no_args_is_help=True
)


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


@app.command("backup")
def backup_cmd(
    path: Annotated[Path, typer.Argument(help="The backup file to write (replaced if there).")],
) -> None:
    """Write a consistent copy of the database while it is in use: SQLite's online backup
    API, or pg_dump's custom format for PostgreSQL."""
    store = make_store(get_settings())
    try:
        done = backup(store, path)
    except DatelineError as exc:
        raise fail(exc.message) from exc
    finally:
        store.dispose()
    console.print(
        f"backed up {store.display_url} (revision {done.revision or 'none'}) to {done.path} "
        f"({done.bytes:,} bytes)",
        highlight=False,
    )


@app.command("restore")
def restore_cmd(
    path: Annotated[Path, typer.Argument(help="A file written by `dateline db backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace the database without asking.")
    ] = False,
) -> None:
    """Replace the whole database with a backup (all or nothing). Stop the site, crawlers
    and ingests first; run `dateline db upgrade` after restoring an older backup."""
    settings = get_settings()
    store = make_store(settings)
    try:
        if not yes and not typer.confirm(
            f"Replace everything in {store.display_url} with {path}?", default=False
        ):
            raise typer.Exit(1)
        done = restore(store, path)
        current = schema_status(store)
    except DatelineError as exc:
        raise fail(exc.message) from exc
    finally:
        store.dispose()
    note = "" if current.up_to_date else f"; run `dateline db upgrade` (code needs {current.head})"
    console.print(
        f"restored {store.display_url} from {done.path}: revision {done.revision or 'none'}{note}",
        highlight=False,
    )
