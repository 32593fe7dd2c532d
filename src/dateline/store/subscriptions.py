"""Subscriptions in the store: add, find, list, pause, remove, and each host's row.

Library functions over a session, so the CLI, the web layer and the crawler share them; the
crawler's own claims and leases live in :mod:`dateline.crawl.leases`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dateline.errors import InputError, NotFound
from dateline.store.crawl_models import URL_CHARS, CrawlHost, Subscription
from dateline.store.sites import DEFAULT_PORTS, normalise_url

KINDS = ("feed", "page", "sitemap")


def subscription_url(url: str) -> str:
    """The identity of a subscription: the normalised http(s) URL (trackers, fragment gone).

    Raises :class:`InputError` for anything else, so a typo never becomes a dead row."""
    normal = normalise_url(url)
    if normal is None:
        raise InputError(f"{url}: not an http(s) URL with a host")
    if len(normal) > URL_CHARS:
        raise InputError(f"{url[:80]}…: longer than {URL_CHARS} characters")
    return normal


def host_key(url: str) -> str:
    """Politeness is per host: lower-case host, with its port unless the scheme's default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and port != DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


@dataclass(frozen=True)
class Added:
    subscription: Subscription
    created: bool


def add_subscription(
    session: Session,
    url: str,
    kind: str,
    now: datetime,
    *,
    name: str | None = None,
    every: int | None = None,
) -> Added:
    """Subscribe to ``url`` (due at once); an address already there is returned unchanged."""
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    normal = subscription_url(url)
    existing = session.scalar(select(Subscription).where(Subscription.url == normal))
    if existing is not None:
        return Added(existing, created=False)
    host = host_key(normal)
    row = Subscription(
        url=normal,
        name=(name or "").strip()[:255] or None,
        kind=kind,
        host=host,
        every_seconds=every,
        paused=False,
        created_at=now,
        next_due_at=now,
        error_count=0,
        polls=0,
        not_modified=0,
        items_total=0,
    )
    session.add(row)
    ensure_host(session, host, now)
    session.flush()
    return Added(row, created=True)


def ensure_host(session: Session, host: str, now: datetime) -> None:
    """The host's politeness row, created once (concurrent crawlers may race to it)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(CrawlHost)
        .values(host=host, next_at=now, requests=0)
        .on_conflict_do_nothing(index_elements=["host"])
    )


def find_subscription(session: Session, ref: str) -> Subscription:
    """By id (digits) or by URL; :class:`NotFound` says which was looked for."""
    ref = ref.strip()
    if ref.isdigit():
        row = session.get(Subscription, int(ref))
    else:
        try:
            normal = subscription_url(ref)
        except InputError:
            normal = ref
        row = session.scalar(select(Subscription).where(Subscription.url == normal))
    if row is None:
        raise NotFound(f"no subscription {ref!r} (`dateline sources list` shows them)")
    return row


def list_subscriptions(session: Session) -> Sequence[Subscription]:
    return session.scalars(select(Subscription).order_by(Subscription.id)).all()


def subscriptions_of_source(session: Session, source_id: int) -> Sequence[Subscription]:
    """What brings a site's pages in: shown with its polling state on the source page."""
    return session.scalars(
        select(Subscription).where(Subscription.source_id == source_id).order_by(Subscription.id)
    ).all()


def set_paused(session: Session, ref: str, paused: bool, now: datetime) -> Subscription:
    """Pause or resume; a resumed subscription is due at once (its state was frozen)."""
    row = find_subscription(session, ref)
    row.paused = paused
    if not paused:
        row.next_due_at = min(row.next_due_at, now)
    return row


def remove_subscription(session: Session, ref: str) -> Subscription:
    """Stop polling it; the articles it brought stay (they are the site's, not the feed's)."""
    row = find_subscription(session, ref)
    session.execute(delete(Subscription).where(Subscription.id == row.id))
    return row
