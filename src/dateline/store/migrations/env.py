"""Alembic environment: run migrations on the connection Dateline hands over.

Dateline drives Alembic from code (``dateline.store.schema``), never from an alembic.ini,
so the same migrations run on SQLite and PostgreSQL with the configured URL.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine

from dateline.store import crawl_models  # noqa: F401  (its tables join Base.metadata)
from dateline.store.models import Base

config = context.config
target_metadata = Base.metadata

# Full-text search objects made by raw DDL in revision 0003, unknown to the ORM model: the
# SQLite FTS5 table (and its shadow tables) and PostgreSQL's generated column and its index.
SEARCH_TABLE_PREFIX = "articles_fts"
SEARCH_COLUMN = ("articles", "search_vector")
SEARCH_INDEX = "ix_articles_search_vector"


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Keep autogenerate from proposing to drop the search objects the model does not declare."""
    if type_ == "table" and name is not None and name.startswith(SEARCH_TABLE_PREFIX):
        return False
    if (
        type_ == "column"
        and (getattr(getattr(obj, "table", None), "name", None), name) == SEARCH_COLUMN
    ):
        return False
    return not (type_ == "index" and name == SEARCH_INDEX)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables for it.
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
