"""page identity: a URL-less page is known by its text *at its source*

Revision ID: 0005
Revises: 0004

Data only. Until now a page without a URL was known by the hash of its text alone
(``sha256:<hash>``), so the same wire text arriving from a second site was taken for a
new version of the first site's page, and the first carrier dropped out of the article's
provenance. The key now carries the source (``sha256:<hash>@<source key>``, see
:func:`dateline.store.repository.identity_key`); this rewrites the keys of the stored
URL-less pages whose source is known, so re-ingesting them stays a no-op.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_pages = sa.table(
    "pages",
    sa.column("id", sa.Integer()),
    sa.column("identity_key", sa.Text()),
    sa.column("identity_hash", sa.String(64)),
    sa.column("source_id", sa.Integer()),
)
_sources = sa.table("sources", sa.column("id", sa.Integer()), sa.column("key", sa.String()))
_BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_pages.c.id, _pages.c.identity_key, _sources.c.key)
        .join(_sources, _sources.c.id == _pages.c.source_id)
        .where(
            _pages.c.identity_key.like("sha256:%"),
            ~_pages.c.identity_key.contains("@"),
            _sources.c.key != "unknown",
        )
        .order_by(_pages.c.id)
    ).all()
    update = (
        _pages.update()
        .where(_pages.c.id == sa.bindparam("page_id"))
        .values(identity_key=sa.bindparam("new_key"), identity_hash=sa.bindparam("new_hash"))
    )
    params = []
    for page_id, key, source_key in rows:
        new_key = f"{key}@{source_key}"
        params.append(
            {
                "page_id": page_id,
                "new_key": new_key,
                "new_hash": hashlib.sha256(new_key.encode("utf-8")).hexdigest(),
            }
        )
    for start in range(0, len(params), _BATCH):
        bind.execute(update, params[start : start + _BATCH])


def downgrade() -> None:
    # Keys in the new form are harmless to older code (it would not recognise those pages
    # and store a re-ingested one again); stripping them could collide on
    # (identity_hash, version), so they are left as they are.
    pass
