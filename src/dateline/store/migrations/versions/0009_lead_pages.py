"""lead pages: the best carrier, not the first, speaks for an article

Revision ID: 0009
Revises: 0008

* ``articles.lead_page_id``: the page whose headline, text, byline, source and claims the
  article shows (see :mod:`dateline.store.lead`). Filled with each article's first page,
  which is what spoke for it until now; the next carrier to arrive, or the next
  ``dateline enrich``, re-decides it.
* ``pages.body``: a page's own text when it differs from its article's. Near-copies stored
  before this revision did not keep theirs: they stay carriers but cannot lead.
* ``pages.byline``: each page's byline, filled with its article's for stored pages.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("articles", sa.Column("lead_page_id", _IdType, nullable=True))
    op.add_column("pages", sa.Column("body", sa.Text(), nullable=True))
    op.add_column("pages", sa.Column("byline", sa.String(512), nullable=True))
    op.execute(
        "UPDATE articles SET lead_page_id = "
        "(SELECT min(pages.id) FROM pages WHERE pages.article_id = articles.id)"
    )
    op.execute(
        "UPDATE pages SET byline = "
        "(SELECT articles.byline FROM articles WHERE articles.id = pages.article_id)"
    )


def downgrade() -> None:
    # plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of ``articles`` would
    # trip the foreign keys that point at it
    op.drop_column("pages", "byline")
    op.drop_column("pages", "body")
    op.drop_column("articles", "lead_page_id")
