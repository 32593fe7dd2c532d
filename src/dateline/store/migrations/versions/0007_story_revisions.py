"""story revisions: a counter that lets a clusterer keep stories in memory between articles

Revision ID: 0007
Revises: 0006

Every write of a story row sets ``revision`` to one more than the highest in the table
(under the clusterer's lock, so revisions grow in commit order). A long-running clusterer
holds the stories in memory and, per article, reads only the rows whose revision is higher
than the highest it has seen (the enrich stage's story clusterer) instead of every story's mean.
Existing rows start at 0: a clusterer's first read loads them all anyway.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "stories", sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0")
    )
    op.create_index("ix_stories_revision", "stories", ["revision"])


def downgrade() -> None:
    op.drop_index("ix_stories_revision", "stories")
    op.drop_column("stories", "revision")
