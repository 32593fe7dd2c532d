"""story merges: a story merged into another keeps its id as a redirect

Revision ID: 0006
Revises: 0005

When two stories converge the clusterer merges the smaller into the larger
(the enrich stage's stories); the merged row stays, empty, with ``merged_into``
naming the story that took its articles, so ``/s/{id}`` links and feed subscriptions
answer with a permanent redirect instead of a 404. A plain ``ADD COLUMN`` without a
foreign key, as in 0004 (no batch rebuild on SQLite); the clusterer keeps redirects one
hop deep and deletes them with their target.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("stories", sa.Column("merged_into", IdType, nullable=True))
    op.create_index("ix_stories_merged_into", "stories", ["merged_into"])


def downgrade() -> None:
    op.drop_index("ix_stories_merged_into", "stories")
    op.drop_column("stories", "merged_into")
