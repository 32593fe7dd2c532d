"""moderation: hidden articles, and sources the operator marked wire or farm

Revision ID: 0019
Revises: 0018

``dateline admin`` and the admin API hide an article (it leaves every list, search, feed
and sitemap, and its page answers 404; copies keep attaching to it, so it stays hidden) and
mark a source as a wire or a content farm, which overrides what the source scores measure.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("hidden_at", sa.DateTime(), nullable=True))
    op.add_column("articles", sa.Column("hidden_reason", sa.String(255), nullable=True))
    op.add_column("sources", sa.Column("operator_kind", sa.String(16), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), as in 0009: a batch copy of
    # ``articles`` or ``sources`` would trip the foreign keys that point at them
    op.drop_column("sources", "operator_kind")
    op.drop_column("articles", "hidden_reason")
    op.drop_column("articles", "hidden_at")
