"""rank tables: precomputed Related lists, reader controls, the reader change log

Revision ID: 0012
Revises: 0011

* ``related_items``: the enrich stage writes each article's Related list (at most ten
  rows, with the reason each item is there), so the site serves it with one indexed
  read, never a search.
* ``reader_controls``: a reader's mutes, "less like this", pause and reset.
* ``reader_changes``: readers whose Recommendation inputs changed, which every web
  worker polls to drop its cached state of them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "related_items",
        sa.Column(
            "article_id",
            _ID,
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column(
            "related_id", _ID, sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("reason", sa.String(255), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
    )
    op.create_index("ix_related_items_related_id", "related_items", ["related_id"])
    op.create_table(
        "reader_controls",
        sa.Column(
            "reader_id",
            sa.String(36),
            sa.ForeignKey("readers.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(255), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "reader_changes",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("reader_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_reader_changes_created_at", "reader_changes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_reader_changes_created_at", table_name="reader_changes")
    op.drop_table("reader_changes")
    op.drop_table("reader_controls")
    op.drop_index("ix_related_items_related_id", table_name="related_items")
    op.drop_table("related_items")
