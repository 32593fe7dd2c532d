"""crawler: subscriptions to poll, per-host politeness, running crawlers

Revision ID: 0017
Revises: 0016

``dateline sources`` manages subscriptions (feeds, pages, sitemaps); ``dateline crawl``
polls them, sharing each host's request slot and the subscription leases through these
tables, so several crawler processes on PostgreSQL stay polite together.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False, unique=True),
        sa.Column("name", sa.String(255)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("every_seconds", sa.Integer()),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_due_at", sa.DateTime(), nullable=False),
        sa.Column("last_fetch_at", sa.DateTime()),
        sa.Column("last_success_at", sa.DateTime()),
        sa.Column("last_status", sa.Integer()),
        sa.Column("last_error", sa.Text()),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(1024)),
        sa.Column("last_modified", sa.String(255)),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("not_modified", sa.Integer(), nullable=False),
        sa.Column("items_total", sa.Integer(), nullable=False),
        sa.Column("items_per_day", sa.Float()),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_until", sa.DateTime()),
        sa.Column("source_id", _ID, sa.ForeignKey("sources.id", ondelete="SET NULL")),
    )
    op.create_index("ix_subscriptions_due", "subscriptions", ["paused", "next_due_at"])
    op.create_index("ix_subscriptions_host", "subscriptions", ["host"])
    op.create_index("ix_subscriptions_source_id", "subscriptions", ["source_id"])
    op.create_table(
        "crawl_hosts",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("next_at", sa.DateTime(), nullable=False),
        sa.Column("busy_owner", sa.String(128)),
        sa.Column("busy_until", sa.DateTime()),
        sa.Column("robots_txt", sa.Text()),
        sa.Column("robots_status", sa.Integer()),
        sa.Column("robots_fetched_at", sa.DateTime()),
        sa.Column("requests", sa.Integer(), nullable=False),
    )
    op.create_table(
        "crawlers",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("crawlers")
    op.drop_table("crawl_hosts")
    op.drop_index("ix_subscriptions_source_id", table_name="subscriptions")
    op.drop_index("ix_subscriptions_host", table_name="subscriptions")
    op.drop_index("ix_subscriptions_due", table_name="subscriptions")
    op.drop_table("subscriptions")
