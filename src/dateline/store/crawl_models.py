"""What the crawler keeps: the addresses it polls, each host's manners, and who is crawling.

A **Subscription** is an address the operator asked us to poll (``dateline sources add``):
a feed, a page or a sitemap. It is not a :class:`~dateline.store.models.Source`, which is
the *site* pages come from; a subscription links to the site its items came from once one
is stored. Its polling state (last fetch, next due, last error, items per day) is what the
source page and ``dateline sources list`` show, so a failing feed is never silently dead.

A **CrawlHost** row is one host's shared politeness state. Every crawler process claims a
host's single request slot with one conditional UPDATE before it sends anything, so at most
one request is in flight per host across all processes, and requests start at least the
per-host delay apart (longer when robots.txt or a Retry-After says so).

A **Crawler** row is a running ``dateline crawl`` process and its heartbeat: leases on
subscriptions and host slots carry its id, and SQLite (one writer) admits only one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dateline.store.models import Base, IdType

URL_CHARS = 2048
OWNER_CHARS = 128


class Subscription(Base):
    """An address polled by ``dateline crawl``, with its schedule, validators and health."""

    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_due", "paused", "next_due_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_CHARS), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    # feed, page or sitemap: detected when added, corrected by what a poll finds
    kind: Mapped[str] = mapped_column(String(16))
    # politeness key: lower-case host[:port] of the URL
    host: Mapped[str] = mapped_column(String(255), index=True)
    # a fixed interval the operator chose; None: adaptive, from items per day
    every_seconds: Mapped[int | None] = mapped_column(Integer)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    next_due_at: Mapped[datetime] = mapped_column(DateTime)
    last_fetch_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    # consecutive failed polls: the back-off grows with it, a success resets it
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # validators of the last full response, sent back as If-None-Match / If-Modified-Since
    etag: Mapped[str | None] = mapped_column(String(1024))
    last_modified: Mapped[str | None] = mapped_column(String(255))
    polls: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)
    items_total: Mapped[int] = mapped_column(Integer, default=0)
    items_per_day: Mapped[float | None] = mapped_column(Float)
    # the crawler polling it now, until when (a killed crawler's lease simply runs out)
    lease_owner: Mapped[str | None] = mapped_column(String(OWNER_CHARS))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    source_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )


class CrawlHost(Base):
    """One host's request slot and manners, shared by every crawler process."""

    __tablename__ = "crawl_hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    # the earliest a next request may start (per-host delay, Crawl-delay, Retry-After)
    next_at: Mapped[datetime] = mapped_column(DateTime)
    # the crawler with a request in flight, and when its claim lapses if it died
    busy_owner: Mapped[str | None] = mapped_column(String(OWNER_CHARS))
    busy_until: Mapped[datetime | None] = mapped_column(DateTime)
    # robots.txt as fetched (None with a status: none there, or unreadable: all allowed)
    robots_txt: Mapped[str | None] = mapped_column(Text)
    robots_status: Mapped[int | None] = mapped_column(Integer)
    robots_fetched_at: Mapped[datetime | None] = mapped_column(DateTime)
    requests: Mapped[int] = mapped_column(Integer, default=0)


class Crawler(Base):
    """A running crawler process; its heartbeat keeps its leases alive."""

    __tablename__ = "crawlers"

    id: Mapped[str] = mapped_column(String(OWNER_CHARS), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime)
