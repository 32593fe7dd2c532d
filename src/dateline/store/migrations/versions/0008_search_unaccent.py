"""accent-insensitive search on PostgreSQL, as on SQLite ("cafe" finds "Café")

Revision ID: 0008
Revises: 0007

SQLite's FTS5 index (0003, ``remove_diacritics 2``) already folds accents; this revision
makes PostgreSQL's do the same, so that one query finds the same articles on both engines.
It creates, on PostgreSQL only:

* ``dateline_search``, a text search configuration copied from ``english`` (the same
  stemming and stop words as before). When the ``unaccent`` extension is available (it is
  contrib, and *trusted*: a database owner may create it without being superuser), words
  go through the ``unaccent`` dictionary before the English stemmer, so both the index and
  the query fold accents, and ``ts_headline`` still marks "Café" in the original text.
* ``dateline_fold(text)``, an ``IMMUTABLE`` function applied to the indexed text and to
  every query term. With ``unaccent`` it returns its argument. Without it (the contrib
  package missing, or no ``CREATE`` privilege on the database) it is ``translate()`` with a
  fixed map of the accented Latin letters that decompose to one ASCII letter (plus ø, đ, ł,
  ħ, ı, ŧ), so matching still folds accents; highlights then only mark words spelled as in
  the query. Which of the two was built is recorded in the function's comment.
* ``articles.search_vector`` rebuilt over both: PostgreSQL 15 cannot change a generated
  column's expression, so the column and its GIN index are dropped and added again (a
  table rewrite under an exclusive lock, which also re-indexes every article: plan a
  maintenance window on a large table).

``search.py`` uses the same configuration and function whichever way they were built.
Offline (``--sql``) runs cannot try the extension and emit the ``translate()`` fallback.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CONFIG = "dateline_search"
FOLD = "dateline_fold"
INDEX = "ix_articles_search_vector"

# Letters with no decomposition that readers still type without their stroke.
_NOT_DECOMPOSING = dict(zip("øØđĐłŁħĦıŧŦ", "oOdDlLhHitT", strict=True))


def accent_map() -> tuple[str, str]:
    """(from, to) for ``translate()``: Latin-1 and Latin Extended-A/B letters whose
    compatibility decomposition is one ASCII letter plus marks (stable by Unicode's
    normalization stability policy), and a few that do not decompose."""
    source, target = [], []
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if ch.isalpha() and len(base) == 1 and base.isascii() and base != ch:
            source.append(ch)
            target.append(base)
    for ch, base in _NOT_DECOMPOSING.items():
        source.append(ch)
        target.append(base)
    return "".join(source), "".join(target)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def fold_function_sql(with_unaccent: bool) -> tuple[str, str]:
    """The statements creating ``dateline_fold`` and recording which kind it is."""
    if with_unaccent:
        body, note = "$1", "unaccent"
    else:
        source, target = accent_map()
        body, note = f"translate($1, {_literal(source)}, {_literal(target)})", "translate"
    return (
        f"CREATE FUNCTION {FOLD}(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE"
        f" AS $$ SELECT {body} $$",
        f"COMMENT ON FUNCTION {FOLD}(text) IS {_literal(note)}",
    )


def _vector(config: str, fold: bool) -> str:
    def part(column: str, weight: str) -> str:
        text = f"coalesce({column}, '')"
        if fold:
            text = f"{FOLD}({text})"
        return f"setweight(to_tsvector('{config}'::regconfig, {text}), '{weight}')"

    return (
        "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        f"{part('title', 'A')} || {part('body', 'B')}) STORED"
    )


def _try_unaccent() -> bool:
    """Create the extension if we may; False (and nothing changed) if we may not."""
    if op.get_context().as_sql:
        return False
    bind = op.get_bind()
    savepoint = bind.begin_nested()
    try:
        bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent"))
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return  # SQLite's FTS5 tokenizer already removes diacritics (0003)
    with_unaccent = _try_unaccent()
    op.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = pg_catalog.english)")
    if with_unaccent:
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {CONFIG}"
            " ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem"
        )
    for statement in fold_function_sql(with_unaccent):
        op.execute(statement)
    op.execute(f"DROP INDEX {INDEX}")
    op.execute("ALTER TABLE articles DROP COLUMN search_vector")
    op.execute(_vector(CONFIG, fold=True))
    op.execute(f"CREATE INDEX {INDEX} ON articles USING gin (search_vector)")


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX {INDEX}")
    op.execute("ALTER TABLE articles DROP COLUMN search_vector")
    op.execute(_vector("english", fold=False))
    op.execute(f"CREATE INDEX {INDEX} ON articles USING gin (search_vector)")
    op.execute(f"DROP FUNCTION {FOLD}(text)")
    op.execute(f"DROP TEXT SEARCH CONFIGURATION {CONFIG}")
    # The unaccent extension, if this revision created it, stays: other things may use it.
