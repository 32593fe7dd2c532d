"""Schema versions: migrate, and refuse to run on a database the code does not match.

An empty database is simply created at the newest revision (zero set-up). A database at an
older revision is *stale*: ``ingest`` and ``serve`` refuse it with instructions unless
``DATELINE_AUTO_MIGRATE`` is on, because migrating a production database should be a
decision, not a side effect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from dateline.errors import SchemaOutOfDate
from dateline.store.db import Store

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(store: Store) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", store.url.replace("%", "%%"))
    return config


def head_revision(store: Store) -> str:
    head = ScriptDirectory.from_config(alembic_config(store)).get_current_head()
    assert head is not None, "no migrations found"
    return head


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str
    empty: bool

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def schema_status(store: Store) -> SchemaStatus:
    with store.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        tables = set(inspect(conn).get_table_names())
    return SchemaStatus(
        current=current, head=head_revision(store), empty=not (tables - {"alembic_version"})
    )


def upgrade(store: Store, revision: str = "head") -> None:
    _migrate(store, command.upgrade, revision)


def downgrade(store: Store, revision: str) -> None:
    """Take the schema back to ``revision``: how a migration's own downgrade is exercised."""
    _migrate(store, command.downgrade, revision)


def _migrate(store: Store, step: Callable[[Config, str], None], revision: str) -> None:
    # one transaction on the store's own engine: Alembic runs on the connection given
    config = alembic_config(store)
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        step(config, revision)


def ensure_schema(store: Store, *, auto_migrate: bool) -> SchemaStatus:
    """Make sure the schema matches the code: create it when empty, else migrate or refuse."""
    status = schema_status(store)
    if status.up_to_date:
        return status
    if status.empty or auto_migrate:
        upgrade(store)
        return schema_status(store)
    raise SchemaOutOfDate(
        f"the database at {store.display_url} has schema revision {status.current or 'none'}, "
        f"but this version of Dateline needs {status.head}. Back it up, then run "
        "`dateline db upgrade` (or set DATELINE_AUTO_MIGRATE=true)."
    )
