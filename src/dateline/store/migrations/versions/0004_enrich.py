"""enrich stage: provenance LSH index, vectors, stories, entities, categories, date evidence

Revision ID: 0004
Revises: 0003

Written by hand: new columns on existing tables use plain ``ADD COLUMN`` (no batch mode),
because rebuilding ``articles`` on SQLite would drop the FTS5 triggers of migration 0003.
New columns therefore carry no foreign-key constraints (``articles.story_id`` is indexed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

IdType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONType = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("sources", sa.Column("score", sa.Float(), nullable=True))
    op.add_column("sources", sa.Column("score_details", JSONType, nullable=True))
    op.add_column("sources", sa.Column("scored_at", sa.DateTime(), nullable=True))
    op.add_column("articles", sa.Column("category", sa.String(length=32), nullable=True))
    op.add_column("articles", sa.Column("category_confidence", sa.Float(), nullable=True))
    op.add_column("articles", sa.Column("date_status", sa.String(length=16), nullable=True))
    op.add_column("articles", sa.Column("date_reason", sa.Text(), nullable=True))
    op.add_column("articles", sa.Column("date_evidence", JSONType, nullable=True))
    op.add_column("articles", sa.Column("story_id", IdType, nullable=True))
    op.add_column("articles", sa.Column("enrich_version", sa.Integer(), nullable=True))
    op.create_index("ix_articles_category", "articles", ["category"])
    op.create_index("ix_articles_story_id", "articles", ["story_id"])
    op.add_column("pages", sa.Column("date_flag", sa.Text(), nullable=True))

    op.create_table(
        "article_signatures",
        sa.Column("article_id", IdType, nullable=False),
        sa.Column("num_perm", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_table(
        "minhash_bands",
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("article_id", IdType, nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("band", "bucket", "article_id"),
    )
    op.create_index("ix_minhash_bands_lookup", "minhash_bands", ["band", "bucket"])
    op.create_index("ix_minhash_bands_article_id", "minhash_bands", ["article_id"])
    op.create_table(
        "article_vectors",
        sa.Column("article_id", IdType, nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id"),
    )
    op.create_table(
        "stories",
        sa.Column("id", IdType, nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("centroid", sa.LargeBinary(), nullable=True),
        sa.Column("key_entities", JSONType, nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_stories_first_seen_at", "stories", ["first_seen_at"])
    op.create_index("ix_stories_last_seen_at", "stories", ["last_seen_at"])
    op.create_table(
        "entities",
        sa.Column("id", IdType, nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "key", name="uq_entities_kind_key"),
    )
    op.create_table(
        "entity_aliases",
        sa.Column("id", IdType, nullable=False),
        sa.Column("entity_id", IdType, nullable=False),
        sa.Column("alias", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity_id", "alias", name="uq_entity_alias"),
    )
    op.create_index("ix_entity_aliases_entity_id", "entity_aliases", ["entity_id"])
    op.create_index("ix_entity_aliases_alias", "entity_aliases", ["alias"])
    op.create_table(
        "article_entities",
        sa.Column("article_id", IdType, nullable=False),
        sa.Column("entity_id", IdType, nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("in_title", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["entity_id"], ["entities.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "entity_id"),
    )
    op.create_index("ix_article_entities_entity_id", "article_entities", ["entity_id"])


def downgrade() -> None:
    for table in (
        "article_entities",
        "entity_aliases",
        "entities",
        "stories",
        "article_vectors",
        "minhash_bands",
        "article_signatures",
    ):
        op.drop_table(table)
    op.drop_index("ix_articles_story_id", "articles")
    op.drop_index("ix_articles_category", "articles")
    op.drop_column("pages", "date_flag")
    for column in (
        "enrich_version",
        "story_id",
        "date_evidence",
        "date_reason",
        "date_status",
        "category_confidence",
        "category",
    ):
        op.drop_column("articles", column)
    for column in ("scored_at", "score_details", "score"):
        op.drop_column("sources", column)
