"""headlines, names and labels without bidi controls and invisible characters

Revision ID: 0018
Revises: 0017

Extraction now strips them (:mod:`dateline.safetext`); this cleans what was stored before,
so an old "\\u202egnp.exe\\u202c" headline stops displaying as "exe.png". Only the shown
columns change: bodies and each page's raw hash stay, and a source keeps its key (a source
whose declared name held such characters is renamed, not re-keyed). Rows are read in
batches and only those that change are written, so a clean store costs one read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dateline.safetext import clean_label

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# (table, its key column, the label columns)
_COLUMNS = (
    ("articles", "id", ("title", "byline")),
    (
        "pages",
        "id",
        ("title", "byline", "site_name", "claimed_category", "claimed_reaction_label"),
    ),
    ("sources", "id", ("name",)),
    ("entities", "id", ("name",)),
    ("stories", "id", ("label",)),
)
_BATCH = 2000


def upgrade() -> None:
    bind = op.get_bind()
    for table, key, columns in _COLUMNS:
        t = sa.table(table, sa.column(key), *(sa.column(c) for c in columns))
        last = None
        while True:
            query = sa.select(t).order_by(t.c[key]).limit(_BATCH)
            if last is not None:
                query = query.where(t.c[key] > last)
            rows = bind.execute(query).all()
            if not rows:
                break
            last = rows[-1][0]
            for row in rows:
                changed = {}
                for column in columns:
                    value = row._mapping[column]
                    cleaned = clean_label(value)
                    if value and cleaned != value:
                        changed[column] = cleaned or "?"  # never empty a NOT NULL headline
                if changed:
                    bind.execute(t.update().where(t.c[key] == row[0]).values(**changed))


def downgrade() -> None:
    """Nothing to undo: the stripped characters were never meant to be shown."""
