"""events: the clicked-impressions index becomes partial (clicked rows only)

Revision ID: 0015
Revises: 0014

0014's full index on (kind, clicked, created_at) served engagement's window, but any
query filtering on kind could pick it. SQLite did so for a reader's history (reader_id
and kind) once ANALYZE had given the older indexes statistics and the new one had none:
the planner's default guess made "kind = ?" look selective, and every history read
scanned all views (1.7 s at a million events). A partial index on the clicked rows holds
only what engagement reads there and cannot be chosen by a query without that condition.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_events_kind_clicked_time", table_name="events")
    op.create_index(
        "ix_events_clicked_kind_time",
        "events",
        ["kind", "created_at"],
        sqlite_where=sa.text("clicked = 1"),
        postgresql_where=sa.text("clicked"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_clicked_kind_time", table_name="events")
    op.create_index("ix_events_kind_clicked_time", "events", ["kind", "clicked", "created_at"])
