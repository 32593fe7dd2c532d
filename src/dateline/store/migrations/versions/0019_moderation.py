"""moderation: hidden articles, and sources the operator marked wire or farm

Revision ID: 0019
Revises: 0018

``dateline admin`` and the admin API hide an article (it leaves every list, search, feed
and sitemap, and its page answers 410; copies keep attaching to it, so it stays hidden) and
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
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("hidden_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("hidden_reason", sa.String(255), nullable=True))
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("operator_kind", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("operator_kind")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("hidden_reason")
        batch.drop_column("hidden_at")
