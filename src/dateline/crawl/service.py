"""``dateline crawl``: poll due subscriptions until stopped (or one pass with ``once``).

``crawl_concurrency`` poll loops per process (threads: polling waits on the network), each
claiming the most overdue subscription whose host is free, polling it, and repeating; when
every due subscription's host is busy or early, a loop sleeps until the soonest slot. The
host slots live in the database, so one request per host holds however many loops and
processes run. New articles are enriched by the main thread in batches (every 200 articles
or 30 seconds), not one by one: enrich loads its models once per batch and stories cluster
better with company. A heartbeat thread keeps this crawler's leases and host slots alive
while a slow fetch or a batch enrich runs; stopping (SIGTERM, Ctrl-C) lets each loop finish
its poll, enriches what is pending and frees the leases at once.

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
# how often the main thread looks for a batch to enrich
ENRICH_CHECK = 0.5
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
    concurrency: int | None = None  # poll loops; None: the crawl_concurrency setting
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
    run = _Run(CrawlReport(crawler_id), opts)
    beating = threading.Event()
    beat = threading.Thread(
        target=_beat, args=(store, crawler_id, lease, opts.clock, beating), daemon=True
    )
    beat.start()
    client = make_client(settings)  # httpx clients are thread-safe: one pool for the loops
    poller = Poller(store, settings, crawler_id, client, opts.clock, opts.rng)
    loops = [
        threading.Thread(
            target=run.guarded,
            args=(_poll_loop, store, poller, run, stop),
            name=f"crawl-poll-{n}",
            daemon=True,
        )
        for n in range(opts.concurrency or settings.crawl_concurrency)
    ]
    try:
        for loop in loops:
            loop.start()
        # this thread enriches what the loops ingested, in batches, while they go on
        while alive := [loop for loop in loops if loop.is_alive()]:
            alive[0].join(ENRICH_CHECK)  # not stop.wait: once stopped, it would spin
            batch = run.take_batch(opts.enrich_batch, opts.enrich_every)
            if batch:
                _enrich(store, settings, opts, batch, run.report)
        run.raise_failure()
        _enrich(store, settings, opts, run.take_batch(0, 0.0), run.report)
    finally:
        stop.set()  # on an error or Ctrl-C here, the loops finish their poll and stop
        for loop in loops:
            loop.join(timeout=lease)
        client.close()
        beating.set()
        beat.join(timeout=5)
        unregister(store, crawler_id)
    return run.report


class _Run:
    """What the poll loops share: the report, the articles waiting for enrich, a failure."""

    def __init__(self, report: CrawlReport, opts: CrawlOptions) -> None:
        self.report = report
        self.opts = opts
        self.lock = threading.Lock()
        self.pending: list[int] = []
        self.pending_since = 0.0
        self.pass_start = opts.clock()
        self.failure: BaseException | None = None

    def record(self, outcome: PollOutcome) -> None:
        with self.lock:
            _count(self.report, outcome)
            if self.opts.on_poll is not None:
                self.opts.on_poll(outcome)
            if outcome.touched and not self.pending:
                self.pending_since = time.monotonic()
            self.pending.extend(outcome.touched)

    def take_batch(self, size: int, every: float) -> list[int]:
        """The pending articles once there are ``size`` of them or the oldest waited
        ``every`` seconds; else nothing."""
        with self.lock:
            waited = time.monotonic() - self.pending_since
            if not self.pending or (len(self.pending) < size and waited < every):
                return []
            batch, self.pending = self.pending, []
            return batch

    def guarded(self, target: Callable[..., None], *args: object) -> None:
        """Run a loop; an error stops the crawler and is raised again by its main thread."""
        try:
            target(*args)
        except BaseException as exc:
            with self.lock:
                self.failure = self.failure or exc
            stop = args[-1]
            assert isinstance(stop, threading.Event)
            stop.set()

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure


def _poll_loop(store: Store, poller: Poller, run: _Run, stop: threading.Event) -> None:
    """Claim the most overdue subscription whose host is free, poll it, repeat; sleep when
    every due host is busy or early. With ``once``, end when nothing due is left."""
    opts, lease = run.opts, poller.settings.crawl_lease_seconds
    while not stop.is_set():
        claim = claim_next(store, poller.crawler_id, opts.clock(), lease)
        if claim is not None:
            run.record(poller.poll(claim))
            continue
        if opts.once and not _due_left(store, run.pass_start, opts.clock()):
            return
        stop.wait(_sleep_for(store, opts.clock(), opts.once, run.pass_start))


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
