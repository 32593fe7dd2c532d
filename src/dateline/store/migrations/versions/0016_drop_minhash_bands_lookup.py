"""minhash_bands: drop the (band, bucket) index the primary key already covers

Revision ID: 0016
Revises: 0015

The primary key (band, bucket, article_id) serves the LSH lookup as a covering index
(both engines use it: the planners never picked the narrower one), so
``ix_minhash_bands_lookup`` only cost every new article 37 more index inserts.
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_minhash_bands_lookup", table_name="minhash_bands")


def downgrade() -> None:
    op.create_index("ix_minhash_bands_lookup", "minhash_bands", ["band", "bucket"])
