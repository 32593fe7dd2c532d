"""corpus revision: what web workers watch for changes ``enrich`` makes

Revision ID: 0011
Revises: 0010

A one-row table whose ``revision`` the enrich stage bumps after each run that changed
stored articles (categories, dates, which carrier leads). Web workers compare it, with
the page table's max id and count, to decide when to reload their in-memory lists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "corpus_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.bulk_insert(table, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    op.drop_table("corpus_state")
