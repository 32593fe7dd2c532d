"""Who polls what: crawler registration, heartbeats, and claiming a due subscription.

A crawler claims the subscription due longest whose host is free, in one transaction:
PostgreSQL's ``SELECT … FOR UPDATE SKIP LOCKED`` hands each crawler different candidate
rows without waiting, then the host's slot is claimed (:mod:`.hosts`) and the subscription
leased to the crawler. The lease and the slot lapse unless the crawler's heartbeat renews
them, so a killed crawler's work is picked up by another within one lease.

SQLite has a single writer and no row locks to share work with: a second crawler on the
same SQLite store refuses to start while the first one's heartbeat is fresh, and says why.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from dateline.crawl.hosts import extend, release_all, try_acquire
from dateline.errors import DatelineError
from dateline.store.crawl_models import Crawler, CrawlHost, Subscription
from dateline.store.db import Store

# candidates read per claim: enough that busy hosts do not hide a free one behind them
CANDIDATES = 32


class CrawlerRunning(DatelineError):
    """Another crawler holds a SQLite store."""

    code = "crawler_running"
    http_status = 409


@dataclass(frozen=True)
class Claim:
    """A subscription leased to this crawler, with its host's slot claimed at ``started``."""

    id: int
    url: str
    host: str
    kind: str
    etag: str | None
    last_modified: str | None
    every_seconds: int | None
    items_per_day: float | None
    error_count: int
    last_success_at: datetime | None
    source_id: int | None
    started: datetime


def new_crawler_id() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def register(store: Store, crawler_id: str, now: datetime, lease: float) -> None:
    """Record this crawler; on SQLite refuse while another one's heartbeat is fresh."""
    fresh = now - timedelta(seconds=lease)
    with store.write() as session:
        session.execute(delete(Crawler).where(Crawler.heartbeat_at < fresh))
        if store.dialect == "sqlite":
            other = session.scalar(select(Crawler).where(Crawler.id != crawler_id).limit(1))
            if other is not None:
                age = (now - other.heartbeat_at).total_seconds()
                raise CrawlerRunning(
                    f"another crawler is running on this SQLite store ({other.hostname}, pid "
                    f"{other.pid}, heartbeat {age:.0f} s ago). SQLite has one writer, so one "
                    "crawler at a time; run several on PostgreSQL (DATELINE_DATABASE_URL). If "
                    f"that crawler was killed, its claim lapses {lease:g} s after its last "
                    "heartbeat."
                )
        session.add(
            Crawler(
                id=crawler_id,
                hostname=socket.gethostname()[:255],
                pid=os.getpid(),
                started_at=now,
                heartbeat_at=now,
            )
        )


def heartbeat(store: Store, crawler_id: str, now: datetime, lease: float) -> None:
    """Renew this crawler's row, its leases and its host slots for another ``lease``."""
    until = now + timedelta(seconds=lease)
    with store.write() as session:
        session.execute(update(Crawler).where(Crawler.id == crawler_id).values(heartbeat_at=now))
        session.execute(
            update(Subscription)
            .where(Subscription.lease_owner == crawler_id)
            .values(lease_until=until)
            .execution_options(synchronize_session=False)
        )
        extend(session, crawler_id, until)


def unregister(store: Store, crawler_id: str) -> None:
    """A clean stop: leases and slots are freed at once, the row goes."""
    with store.write() as session:
        session.execute(
            update(Subscription)
            .where(Subscription.lease_owner == crawler_id)
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        release_all(session, crawler_id)
        session.execute(delete(Crawler).where(Crawler.id == crawler_id))


def claim_next(store: Store, crawler_id: str, now: datetime, lease: float) -> Claim | None:
    """Lease the most overdue subscription whose host is free now, and claim that host."""
    with store.write() as session:
        rows = session.execute(_candidates(now)).all()
        for sub_id, host in rows:
            if not try_acquire(session, host, crawler_id, now, lease):
                continue
            sub = session.get(Subscription, sub_id)
            assert sub is not None  # locked by this transaction
            sub.lease_owner = crawler_id
            sub.lease_until = now + timedelta(seconds=lease)
            return _claim(sub, now)
    return None


def _candidates(now: datetime) -> Select[int, str]:
    free_host = and_(
        CrawlHost.next_at <= now,
        or_(CrawlHost.busy_owner.is_(None), CrawlHost.busy_until < now),
    )
    return (
        select(Subscription.id, Subscription.host)
        .join(CrawlHost, CrawlHost.host == Subscription.host)
        .where(
            Subscription.paused.is_(False),
            Subscription.next_due_at <= now,
            or_(Subscription.lease_owner.is_(None), Subscription.lease_until < now),
            free_host,
        )
        .order_by(Subscription.next_due_at, Subscription.id)
        .limit(CANDIDATES)
        .with_for_update(of=Subscription, skip_locked=True)
    )


def _claim(sub: Subscription, started: datetime) -> Claim:
    return Claim(
        id=sub.id,
        url=sub.url,
        host=sub.host,
        kind=sub.kind,
        etag=sub.etag,
        last_modified=sub.last_modified,
        every_seconds=sub.every_seconds,
        items_per_day=sub.items_per_day,
        error_count=sub.error_count,
        last_success_at=sub.last_success_at,
        source_id=sub.source_id,
        started=started,
    )


def next_due(session: Session) -> datetime | None:
    """When the next unpaused subscription falls due (the idle crawler sleeps until then)."""
    return session.scalar(
        select(Subscription.next_due_at)
        .where(Subscription.paused.is_(False))
        .order_by(Subscription.next_due_at)
        .limit(1)
    )
