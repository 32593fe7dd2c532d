"""One request in flight per host, requests at least the host's delay apart, across processes.

Every request the crawler sends (a feed, a page, robots.txt) first claims its host's slot in
the shared ``crawl_hosts`` row with one conditional UPDATE: it succeeds only when nobody
holds the slot (or the holder's claim has lapsed) and the host's ``next_at`` has passed. On
PostgreSQL two crawlers racing for the slot serialise on the row and the loser's condition
no longer holds; SQLite has one writer. So no home-made lock server: the database already
is one. Releasing sets ``next_at`` to the request's start plus the delay (robots.txt's
Crawl-delay when longer, up to 30 s), and to a Retry-After's end when the host sent one.

A crawler killed mid-request leaves its claim; the claim lapses at ``busy_until``, which the
crawler's heartbeat keeps a lease ahead while it lives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from dateline.store.crawl_models import CrawlHost
from dateline.store.db import Store

# Crawl-delay is honoured up to this; a larger one would stall a host's feeds for minutes.
MAX_CRAWL_DELAY = 30.0
# how often a crawler waiting for a busy host looks again
WAIT_STEP = 0.05


def try_acquire(session: Session, host: str, owner: str, now: datetime, hold: float) -> bool:
    """Claim ``host``'s slot for ``owner`` until ``now + hold``; False when it is not free."""
    result = session.execute(
        update(CrawlHost)
        .where(
            CrawlHost.host == host,
            CrawlHost.next_at <= now,
            or_(CrawlHost.busy_owner.is_(None), CrawlHost.busy_until < now),
        )
        .values(
            busy_owner=owner,
            busy_until=now + timedelta(seconds=hold),
            requests=CrawlHost.requests + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release(
    session: Session,
    host: str,
    owner: str,
    started: datetime,
    delay: float,
    not_before: datetime | None = None,
) -> None:
    """Free the slot: the next request starts ``delay`` after this one started, or later."""
    next_at = started + timedelta(seconds=delay)
    if not_before is not None and not_before > next_at:
        next_at = not_before
    session.execute(
        update(CrawlHost)
        .where(CrawlHost.host == host, CrawlHost.busy_owner == owner)
        .values(busy_owner=None, busy_until=None, next_at=next_at)
        .execution_options(synchronize_session=False)
    )


def defer(session: Session, host: str, until: datetime) -> None:
    """Keep every crawler off ``host`` until ``until`` (a Retry-After), whoever holds it."""
    session.execute(
        update(CrawlHost)
        .where(CrawlHost.host == host, CrawlHost.next_at < until)
        .values(next_at=until)
        .execution_options(synchronize_session=False)
    )


def extend(session: Session, owner: str, until: datetime) -> None:
    """The heartbeat: slots ``owner`` holds stay claimed while it lives."""
    session.execute(
        update(CrawlHost)
        .where(CrawlHost.busy_owner == owner)
        .values(busy_until=until)
        .execution_options(synchronize_session=False)
    )


def release_all(session: Session, owner: str) -> None:
    """A crawler shutting down frees its slots at once (a killed one's simply lapse)."""
    session.execute(
        update(CrawlHost)
        .where(CrawlHost.busy_owner == owner)
        .values(busy_owner=None, busy_until=None)
        .execution_options(synchronize_session=False)
    )


def host_delay(base: float, crawl_delay: float | None) -> float:
    """The gap between request starts: the setting, or robots.txt's Crawl-delay when longer."""
    if crawl_delay is None:
        return base
    return max(base, min(crawl_delay, MAX_CRAWL_DELAY))


def wait_for_slot(
    store: Store,
    host: str,
    owner: str,
    hold: float,
    deadline: float,
    clock: Callable[[], datetime],
    stop: Callable[[], bool] = lambda: False,
) -> datetime | None:
    """Claim the slot, waiting while it is busy or early; the claim's time, or None at
    ``deadline`` (a monotonic time) or when ``stop()`` says so."""
    while True:
        now = clock()
        with store.write() as session:
            if try_acquire(session, host, owner, now, hold):
                return now
            next_at = session.scalar(
                select(func.max(CrawlHost.next_at)).where(CrawlHost.host == host)
            )
        if stop() or time.monotonic() >= deadline:
            return None
        gap = (next_at - now).total_seconds() if next_at is not None else WAIT_STEP
        time.sleep(min(max(gap, WAIT_STEP), max(deadline - time.monotonic(), 0.0), 1.0))
