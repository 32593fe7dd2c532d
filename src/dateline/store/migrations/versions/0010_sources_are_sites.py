"""sources are sites: declared name plus scheme, host and port, not the host alone

Revision ID: 0010
Revises: 0009

Until now a page with an address belonged to the source keyed by its host, named after
the first page seen there: three sites served from one host became one source under the
first one's name, and the home URL lost its scheme and port. The key is now the site
(see :mod:`dateline.store.sites`, whose rules this revision copies so that later changes
there cannot change what it did). Every page with an address is re-keyed: the pages of
an old source that now form several sites keep the old row (its id, kind and score) for
the site of its earliest page and get new rows for the others.

Also indexes ``pages.fingerprint``: a page stored from a file and the same page fetched
by URL are found to be one carrier by it.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_pages = sa.table(
    "pages",
    sa.column("id", sa.Integer()),
    sa.column("source_id", sa.Integer()),
    sa.column("url", sa.Text()),
    sa.column("canonical_url", sa.Text()),
    sa.column("site_name", sa.String()),
)
_sources = sa.table(
    "sources",
    sa.column("id", sa.Integer()),
    sa.column("key", sa.String()),
    sa.column("name", sa.String()),
    sa.column("home_url", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("created_at", sa.DateTime()),
)
_KNOWN = {
    "en.wikinews.org": "Wikinews", "apnews.com": "AP News", "reuters.com": "Reuters",
    "bbc.co.uk": "BBC", "bbc.com": "BBC", "msn.com": "MSN",
}  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _site(url: str | None, site_name: str | None) -> tuple[str, str, str] | None:
    """(key, name, home URL) as ``dateline.store.sites.source_key`` gave them at 0010."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().removeprefix("www.")
    origin = f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS[scheme] else "")
    declared = " ".join((site_name or "").split())
    if not declared:
        return origin, _KNOWN.get(host, host), origin + "/"
    key = f"{origin}|{declared.casefold()}"
    if len(key) > 255:
        import hashlib

        key = key[:180] + "|sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key, declared, origin + "/"


def upgrade() -> None:
    op.create_index("ix_pages_fingerprint", "pages", ["fingerprint"])
    bind = op.get_bind()
    sources = {
        row.id: row
        for row in bind.execute(sa.select(_sources)).all()
        if not row.key.startswith("name:") and row.key != "unknown"
    }
    keys = {row.key: row.id for row in bind.execute(sa.select(_sources.c.key, _sources.c.id))}
    pages = bind.execute(
        sa.select(_pages).where(_pages.c.source_id.in_(list(sources) or [-1])).order_by(_pages.c.id)
    ).all()
    rekeyed: set[int] = set()
    moves: dict[int, list[int]] = {}
    for page in pages:
        site = _site(page.canonical_url, page.site_name) or _site(page.url, page.site_name)
        if site is None:
            continue
        key, name, home = site
        old = sources[page.source_id]
        target = keys.get(key)
        if target is None and old.id not in rekeyed:
            bind.execute(
                _sources.update()
                .where(_sources.c.id == old.id)
                .values(key=key, name=name[:255], home_url=home)
            )
            keys.pop(old.key, None)
            target = keys[key] = old.id
        elif target is None:
            target = bind.execute(
                _sources.insert()
                .values(
                    key=key,
                    name=name[:255],
                    home_url=home,
                    kind=old.kind,
                    created_at=old.created_at or datetime(1970, 1, 1),
                )
                .returning(_sources.c.id)
            ).scalar_one()
            keys[key] = target
        rekeyed.add(old.id)
        if target != page.source_id:
            moves.setdefault(target, []).append(page.id)
    for target, ids in moves.items():
        for start in range(0, len(ids), 1000):
            bind.execute(
                _pages.update()
                .where(_pages.c.id.in_(ids[start : start + 1000]))
                .values(source_id=target)
            )

    used = sa.select(_pages.c.source_id).distinct()
    bind.execute(
        _sources.delete().where(
            _sources.c.id.in_(list(sources) or [-1]), _sources.c.id.not_in(used)
        )
    )


def downgrade() -> None:
    # Sources split by site stay split (merging them back would need the old names).
    op.drop_index("ix_pages_fingerprint", "pages")
