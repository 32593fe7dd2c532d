"""full-text search over article title and body

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00

Each engine gets its own native index, which is why this migration is raw DDL per dialect
(the ORM model declares none of it; ``migrations/env.py`` tells autogenerate to leave these
objects alone):

* **SQLite**: an FTS5 *external-content* table ``articles_fts`` over ``articles(title,
  body)`` (the text is stored once, in ``articles``), kept in sync by three triggers, and
  filled for existing rows by FTS5's ``rebuild``. Tokenizer ``porter unicode61
  remove_diacritics 2``: English stemming, case- and accent-insensitive.
* **PostgreSQL**: a ``STORED`` generated ``tsvector`` column (title weighted ``A``, body
  ``B``) with a GIN index. Adding the column rewrites ``articles`` under an exclusive lock,
  which also backfills it; on a large production table plan a maintenance window.

Text search configuration: ``english``. Stemming ("elections" finds "election") is what
readers expect of a news site, most of our corpus is English, and articles in other
languages still match on exact words (only English stop words are dropped, and no
stemming applies to them). PostgreSQL's ``english`` does not fold accents (``cafe`` does
not find ``café``); SQLite's tokenizer does. ``unaccent`` is not immutable, so it cannot
feed a generated column without a custom wrapper: left for when it matters.

Caveat for later migrations: on SQLite, a batch operation that *recreates* ``articles``
(copy to a temporary table, drop, rename) drops these triggers with the old table. Such a
migration must recreate them and run ``rebuild``; ``tests/test_search.py`` checks the
triggers exist at head.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_UP = (
    """
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, body,
        content='articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END
    """,
    # An external-content index must be told the *old* values to remove them.
    """
    CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END
    """,
    # Only when indexed text changes: dates, supersession and counters do not touch FTS.
    """
    CREATE TRIGGER articles_fts_au AFTER UPDATE OF id, title, body ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END
    """,
    # Backfill: index the articles that existed before this revision.
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
)

SQLITE_DOWN = (
    "DROP TRIGGER articles_fts_au",
    "DROP TRIGGER articles_fts_ad",
    "DROP TRIGGER articles_fts_ai",
    "DROP TABLE articles_fts",
)

POSTGRESQL_UP = (
    """
    ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')
    ) STORED
    """,
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
)

POSTGRESQL_DOWN = (
    "DROP INDEX ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN search_vector",
)


def _run(statements: dict[str, tuple[str, ...]]) -> None:
    # get_context() rather than get_bind(): it also works for offline (--sql) runs.
    dialect = op.get_context().dialect.name
    if dialect not in statements:
        raise NotImplementedError(f"full-text search is not implemented for {dialect!r}")
    for statement in statements[dialect]:
        op.execute(statement)


def upgrade() -> None:
    _run({"sqlite": SQLITE_UP, "postgresql": POSTGRESQL_UP})


def downgrade() -> None:
    _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRESQL_DOWN})
