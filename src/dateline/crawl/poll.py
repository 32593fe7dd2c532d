"""Polling one claimed subscription: robots.txt, a conditional GET, ingest, the next due time.

The claim arrives with its host's slot held (:mod:`.leases`). If the host's robots.txt is
stale, this slot fetches it and the poll itself waits for the next slot, so robots.txt
counts toward the host's politeness like any request. Otherwise the subscription is fetched
with its validators (ETag, Last-Modified): an unchanged feed costs a 304 and no parsing.
What changed runs through ingest (extraction, dedup, store) item by item; enrich runs later,
in batches (:mod:`.service`). Every outcome, failures included, ends in one write of the
subscription's state and next due time, and the slot is released in every case.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from dateline.crawl import robots as robots_txt
from dateline.crawl.hosts import host_delay, release, wait_for_slot
from dateline.crawl.kinds import Sitemap, kind_of, read_sitemap
from dateline.crawl.leases import Claim
from dateline.crawl.schedule import (
    Bounds,
    next_after_error,
    next_after_success,
    rate_from_dates,
    smoothed_rate,
)
from dateline.errors import FetchStatus, InputError
from dateline.extract.dates import to_utc_naive
from dateline.extract.model import ExtractedArticle
from dateline.ingest.fetch import Fetched, fetch_bytes
from dateline.pipeline import FAILED, ItemReport, ingest_document
from dateline.settings import Settings
from dateline.store.crawl_models import CrawlHost, Subscription
from dateline.store.db import Store
from dateline.store.models import Page
from dateline.store.repository import page_identity_hash

# pages fetched from one sitemap poll (the rest wait for the next poll)
SITEMAP_PAGES_PER_POLL = 10


@dataclass
class PollOutcome:
    """What one poll did: ``status`` is fetched, not_modified, robots, refused or error."""

    subscription_id: int
    url: str
    status: str
    http_status: int | None = None
    new: int = 0
    failed_items: int = 0
    touched: list[int] = field(default_factory=list)  # articles to enrich
    error: str | None = None


class Poller:
    """Polls claims for one crawler: its client, its clock and its random jitter."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        crawler_id: str,
        client: httpx.Client,
        clock: Callable[[], datetime],
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.crawler_id = crawler_id
        self.client = client
        self.clock = clock
        self.rng = rng or random.Random()
        self.bounds = Bounds(settings.crawl_min_interval, settings.crawl_max_interval)
        self.agent = settings.user_agent

    def poll(self, claim: Claim) -> PollOutcome:
        with self.store.read() as session:
            host = session.get(CrawlHost, claim.host)
            assert host is not None  # created with the subscription
            stale = robots_txt.stale(host, claim.started)
            robots = robots_txt.Robots(host.robots_status, host.robots_txt)
        if stale:
            return self._refresh_robots(claim)
        delay = host_delay(self.settings.crawl_host_delay, robots.crawl_delay(self.agent))
        if not robots.allowed(claim.url, self.agent):
            with self.store.write() as session:
                release(session, claim.host, self.crawler_id, claim.started, delay)
            message = robots.why_refused(claim.url)
            retry = robots_txt.RETRY if robots.unreachable else robots_txt.TTL
            self._record_error(claim, None, message, claim.started + retry)
            return PollOutcome(claim.id, claim.url, "refused", error=message)
        not_before = None
        sent = self.clock()  # the delay runs from the request, not from the claim before it
        try:
            fetched = fetch_bytes(
                claim.url,
                self.settings,
                self.client,
                etag=claim.etag,
                last_modified=claim.last_modified,
            )
        except FetchStatus as exc:
            if exc.retry_after is not None:
                not_before = self.clock() + timedelta(seconds=exc.retry_after)
            return self._failed(claim, exc.status, exc.message, exc.retry_after)
        except InputError as exc:
            return self._failed(claim, None, exc.message, None)
        finally:
            with self.store.write() as session:
                release(session, claim.host, self.crawler_id, sent, delay, not_before)
        if fetched.data is None:
            self._record_success(claim, fetched, None, [], 0)
            return PollOutcome(claim.id, claim.url, "not_modified", fetched.status)
        try:
            return self._ingest(claim, fetched, robots, delay)
        except InputError as exc:
            return self._failed(claim, fetched.status, exc.message, None)

    # --- the steps ---------------------------------------------------------------------

    def _refresh_robots(self, claim: Claim) -> PollOutcome:
        sent = self.clock()
        robots = robots_txt.fetch_robots(claim.url, self.settings, self.client)
        delay = host_delay(self.settings.crawl_host_delay, robots.crawl_delay(self.agent))
        with self.store.write() as session:
            host = session.get(CrawlHost, claim.host)
            assert host is not None
            host.robots_txt = robots.text
            host.robots_status = robots.status
            host.robots_fetched_at = sent
            release(session, claim.host, self.crawler_id, sent, delay)
            sub = session.get(Subscription, claim.id)
            if sub is not None and sub.lease_owner == self.crawler_id:
                sub.lease_owner = sub.lease_until = None  # still due: polled at the next slot
        return PollOutcome(claim.id, claim.url, "robots", robots.status)

    def _ingest(
        self, claim: Claim, fetched: Fetched, robots: robots_txt.Robots, delay: float
    ) -> PollOutcome:
        kind, doc = kind_of(fetched)
        dates: list[datetime] = []

        def on_article(item: ExtractedArticle) -> None:
            if item.claimed_date is not None:
                dates.append(to_utc_naive(item.claimed_date.value))

        if doc is None:  # a sitemap
            reports = self._sitemap_pages(claim, fetched, robots, delay, on_article)
        else:
            reports = ingest_document(doc, self.store, on_article=on_article)
        new = sum(1 for r in reports if r.status == "new")
        touched = sorted(
            {r.article_id for r in reports if r.article_id and r.status in ("new", "updated")}
        )
        pages = [r.page_id for r in reports if r.page_id is not None]
        self._record_success(claim, fetched, kind, dates, new, pages[0] if pages else None)
        failed = sum(1 for r in reports if r.status == FAILED)
        return PollOutcome(claim.id, claim.url, "fetched", fetched.status, new, failed, touched)

    def _sitemap_pages(
        self,
        claim: Claim,
        fetched: Fetched,
        robots: robots_txt.Robots,
        delay: float,
        on_article: Callable[[ExtractedArticle], None],
    ) -> list[ItemReport]:
        """The newest pages a sitemap lists that we lack, each through the host's slot."""
        sitemap = read_sitemap(fetched.data or b"", claim.url)
        if sitemap.index and sitemap.entries:  # the newest child sitemap
            child = self._fetch_waiting(claim, sitemap.entries[0].url, robots, delay)
            sitemap = read_sitemap(child.data or b"", sitemap.entries[0].url)
            if sitemap.index:
                raise InputError(f"{claim.url}: a sitemap index of indexes: not followed")
        reports: list[ItemReport] = []
        for url in self._unknown(claim, sitemap):
            try:
                page = self._fetch_waiting(claim, url, robots, delay)
                reports.extend(ingest_document(page.document(), self.store, on_article=on_article))
            except InputError as exc:
                reports.append(ItemReport(where=url, status=FAILED, error=exc.message))
        return reports

    def _unknown(self, claim: Claim, sitemap: Sitemap) -> list[str]:
        since = claim.last_success_at - timedelta(days=1) if claim.last_success_at else None
        fresh = [
            e.url
            for e in sitemap.entries
            if since is None or e.lastmod is None or e.lastmod > since
        ]
        hashes = {
            key: url
            for url in fresh[: SITEMAP_PAGES_PER_POLL * 20]
            if (key := page_identity_hash(url)) is not None
        }
        with self.store.read() as session:
            known = set(
                session.scalars(
                    select(Page.identity_hash).where(Page.identity_hash.in_(list(hashes)))
                )
            )
        return [url for h, url in hashes.items() if h not in known][:SITEMAP_PAGES_PER_POLL]

    def _fetch_waiting(
        self, claim: Claim, url: str, robots: robots_txt.Robots, delay: float
    ) -> Fetched:
        if not robots.allowed(url, self.agent):
            raise InputError(robots.why_refused(url))
        deadline = time.monotonic() + self.settings.crawl_lease_seconds
        started = wait_for_slot(
            self.store,
            claim.host,
            self.crawler_id,
            self.settings.crawl_lease_seconds,
            deadline,
            self.clock,
        )
        if started is None:
            raise InputError(f"{url}: the host stayed busy; left for the next poll")
        started = self.clock()
        try:
            return fetch_bytes(url, self.settings, self.client)
        finally:
            with self.store.write() as session:
                release(session, claim.host, self.crawler_id, started, delay)

    # --- recording ---------------------------------------------------------------------

    def _failed(
        self, claim: Claim, status: int | None, message: str, retry_after: float | None
    ) -> PollOutcome:
        now = self.clock()
        due = next_after_error(
            now,
            claim.error_count + 1,
            claim.items_per_day,
            claim.every_seconds,
            self.bounds,
            self.rng,
            retry_after,
        )
        self._record_error(claim, status, message, due, count=True)
        return PollOutcome(claim.id, claim.url, "error", status, error=message)

    def _record_error(
        self, claim: Claim, status: int | None, message: str, due: datetime, *, count: bool = False
    ) -> None:
        with self.store.write() as session:
            sub = session.get(Subscription, claim.id)
            if sub is None:  # removed while it was polled
                return
            _note_poll(sub, claim, status)
            sub.last_error = message[:2000]
            if count:
                sub.error_count += 1
            sub.next_due_at = due
            _unlease(sub, self.crawler_id)

    def _record_success(
        self,
        claim: Claim,
        fetched: Fetched,
        kind: str | None,
        dates: list[datetime],
        new: int,
        page_id: int | None = None,
    ) -> None:
        now = self.clock()
        with self.store.write() as session:
            sub = session.get(Subscription, claim.id)
            if sub is None:
                return
            _note_poll(sub, claim, fetched.status)
            sub.last_success_at = now
            sub.last_error = None
            sub.error_count = 0
            if fetched.data is None:
                sub.not_modified += 1
            else:
                sub.etag = (fetched.headers.get("etag") or "")[:1024] or None
                sub.last_modified = (fetched.headers.get("last-modified") or "")[:255] or None
                sub.kind = kind or sub.kind
                sub.items_total += new
            rate = rate_from_dates(dates) if fetched.data is not None else None
            sub.items_per_day = (
                rate
                if rate is not None
                else smoothed_rate(sub.items_per_day, new, claim.last_success_at, now)
            )
            sub.next_due_at = next_after_success(
                now, sub.items_per_day, sub.every_seconds, self.bounds, self.rng
            )
            if sub.source_id is None and page_id is not None:
                page = session.get(Page, page_id)
                sub.source_id = page.source_id if page is not None else None
            _unlease(sub, self.crawler_id)


def _note_poll(sub: Subscription, claim: Claim, status: int | None) -> None:
    """What every poll records, whatever came of it."""
    sub.polls += 1
    sub.last_fetch_at = claim.started
    sub.last_status = status


def _unlease(sub: Subscription, crawler_id: str) -> None:
    if sub.lease_owner == crawler_id:
        sub.lease_owner = None
        sub.lease_until = None
