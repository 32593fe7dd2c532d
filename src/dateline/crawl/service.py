"""``dateline crawl``: poll due subscriptions until stopped (or one pass with ``once``).

One loop per process: claim the most overdue subscription whose host is free, poll it,
repeat; when every due subscription's host is busy or early, sleep until the soonest slot.
New articles are enriched in batches (every 200 articles or 30 seconds), not one by one:
enrich loads its models once per batch and stories cluster better with company. A heartbeat
thread keeps this crawler's leases and host slots alive while a slow fetch or a batch
enrich runs; stopping (SIGTERM, Ctrl-C) enriches what is pending and frees them at once.

Several processes crawl one PostgreSQL store together (:mod:`.leases`); SQLite admits one.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from dateline.clock import utc_now
from dateline.crawl.leases import claim_next, heartbeat, new_crawler_id, register, unregister
from dateline.crawl.poll import Poller, PollOutcome
from dateline.enrich.run import EnrichReport, enrich_articles
from dateline.ingest.fetch import make_client
from dateline.settings import Settings
from dateline.store.crawl_models import CrawlHost, Subscription
from dateline.store.db import Store

log = logging.getLogger(__name__)

ENRICH_BATCH = 200
ENRICH_EVERY = 30.0
# the longest an idle crawler sleeps before looking for due work again
IDLE_SLEEP = 5.0
MIN_SLEEP = 0.05
# a pass (--once) waits for a host this long at most (Crawl-delay is capped at 30 s)
ONCE_WAIT = 60.0


@dataclass
class CrawlReport:
    crawler_id: str
    polls: Counter[str] = field(default_factory=Counter)  # by outcome status
    new: int = 0
    failed_items: int = 0
    enriched: int = 0
    errors: list[PollOutcome] = field(default_factory=list)


@dataclass
class CrawlOptions:
    once: bool = False
    enrich: bool = True
    enrich_batch: int = ENRICH_BATCH
    enrich_every: float = ENRICH_EVERY
    on_poll: Callable[[PollOutcome], None] | None = None
    on_enrich: Callable[[EnrichReport], None] | None = None
    clock: Callable[[], datetime] = utc_now
    rng: random.Random | None = None


def crawl(
    store: Store,
    settings: Settings,
    options: CrawlOptions | None = None,
    stop: threading.Event | None = None,
) -> CrawlReport:
    """Run the crawler until ``stop`` is set, or, with ``once``, until everything due at the
    start has been polled. Raises :class:`~dateline.crawl.leases.CrawlerRunning` on a
    SQLite store another crawler holds."""
    opts = options or CrawlOptions()
    stop = stop or threading.Event()
    lease = settings.crawl_lease_seconds
    crawler_id = new_crawler_id()
    register(store, crawler_id, opts.clock(), lease)
    report = CrawlReport(crawler_id)
    beating = threading.Event()
    beat = threading.Thread(
        target=_beat, args=(store, crawler_id, lease, opts.clock, beating), daemon=True
    )
    beat.start()
    pending: list[int] = []
    pending_since = 0.0
    pass_start = opts.clock()
    client = make_client(settings)
    poller = Poller(store, settings, crawler_id, client, opts.clock, opts.rng)
    try:
        while not stop.is_set():
            claim = claim_next(store, crawler_id, opts.clock(), lease)
            if claim is not None:
                outcome = poller.poll(claim)
                _count(report, outcome)
                if opts.on_poll is not None:
                    opts.on_poll(outcome)
                if outcome.touched and not pending:
                    pending_since = time.monotonic()
                pending.extend(outcome.touched)
            waited = time.monotonic() - pending_since
            if pending and (len(pending) >= opts.enrich_batch or waited >= opts.enrich_every):
                _enrich(store, settings, opts, pending, report)
            if claim is not None:
                continue
            if opts.once and not _due_left(store, pass_start, opts.clock()):
                break
            stop.wait(_sleep_for(store, opts.clock(), opts.once, pass_start))
        _enrich(store, settings, opts, pending, report)
    finally:
        client.close()
        beating.set()
        beat.join(timeout=5)
        unregister(store, crawler_id)
    return report


def _count(report: CrawlReport, outcome: PollOutcome) -> None:
    report.polls[outcome.status] += 1
    report.new += outcome.new
    report.failed_items += outcome.failed_items
    if outcome.error is not None:
        report.errors.append(outcome)


def _enrich(
    store: Store, settings: Settings, opts: CrawlOptions, pending: list[int], report: CrawlReport
) -> None:
    ids = sorted(set(pending))
    pending.clear()
    if not ids or not (opts.enrich and settings.enrich_on_ingest):
        return
    result = enrich_articles(store, settings, ids)
    report.enriched += result.articles
    if opts.on_enrich is not None:
        opts.on_enrich(result)


def _beat(
    store: Store,
    crawler_id: str,
    lease: float,
    clock: Callable[[], datetime],
    done: threading.Event,
) -> None:
    while not done.wait(lease / 3):
        try:
            heartbeat(store, crawler_id, clock(), lease)
        except Exception:  # a missed beat is retried; the lease outlives two of them
            log.exception("crawler heartbeat failed")


def _due_left(store: Store, pass_start: datetime, now: datetime) -> bool:
    """Subscriptions due when the pass began that no crawler has polled since, on hosts that
    take requests again within ``ONCE_WAIT`` (a host that sent a long Retry-After is left
    for the next pass rather than holding this one)."""
    with store.read() as session:
        left = session.scalar(
            select(func.count())
            .select_from(Subscription)
            .join(CrawlHost, CrawlHost.host == Subscription.host)
            .where(
                Subscription.paused.is_(False),
                Subscription.next_due_at <= pass_start,
                or_(Subscription.lease_owner.is_(None), Subscription.lease_until < now),
                CrawlHost.next_at <= now + timedelta(seconds=ONCE_WAIT),
            )
        )
    return bool(left)


def _sleep_for(store: Store, now: datetime, once: bool, pass_start: datetime) -> float:
    """Until the soonest due subscription's host may be asked again, or the next one falls
    due. A host busy with another crawler's request has a past ``next_at``: a short nap."""
    with store.read() as session:
        due_hosts = select(Subscription.host).where(
            Subscription.paused.is_(False),
            Subscription.next_due_at <= (pass_start if once else now),
        )
        host_free = session.scalar(
            select(func.min(CrawlHost.next_at)).where(CrawlHost.host.in_(due_hosts))
        )
        next_due = session.scalar(
            select(func.min(Subscription.next_due_at)).where(Subscription.paused.is_(False))
        )
    soonest = [t for t in (host_free, None if once else next_due) if t is not None]
    if not soonest:
        return IDLE_SLEEP
    gap = (min(soonest) - now).total_seconds()
    return min(max(gap, MIN_SLEEP), IDLE_SLEEP)


__all__ = ["CrawlOptions", "CrawlReport", "crawl"]
