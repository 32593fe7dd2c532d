"""reader change log: the article a flushed view read

Revision ID: 0013
Revises: 0012

A change-log row of a view names the article read, so another web worker can keep
serving that reader's cached list (less the article) while it rebuilds it, instead of
dropping it and making the reader's next page wait. A control's row leaves it NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reader_changes") as batch:
        batch.add_column(sa.Column("article_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("reader_changes") as batch:
        batch.drop_column("article_id")
