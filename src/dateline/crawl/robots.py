"""robots.txt: fetched per host, kept in the store for hours, read with Protego (Scrapy's parser).

What a host's answer means follows RFC 9309: a robots.txt allows and disallows by its rules;
a 4xx (none there) allows everything; a 5xx, a 429 or a network failure means the host cannot say,
so nothing is fetched until it can (the crawler asks again sooner than after a success).
The file is fetched through the same host slot as any request, so it counts toward the
host's politeness like the feed it guards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

import httpx
from protego import Protego

from dateline.errors import FetchError, FetchStatus, InputError
from dateline.ingest.fetch import fetch_bytes
from dateline.settings import Settings
from dateline.store.crawl_models import CrawlHost

TTL = timedelta(hours=6)
# an unreachable robots.txt is asked for again sooner
RETRY = timedelta(minutes=30)
# RFC 9309 asks crawlers to parse at least the first 500 KiB; we parse exactly that
MAX_BYTES = 500 * 1024
UNREACHABLE = 0  # robots_status for a network failure


@dataclass(frozen=True)
class Robots:
    """A host's verdict: ``allowed`` for a URL, and its Crawl-delay for our user agent."""

    status: int | None
    text: str | None

    @property
    def unreachable(self) -> bool:
        # 429 Too Many Requests is read as unreachable too, as Google does
        return self.status is not None and (self.status in (UNREACHABLE, 429) or self.status >= 500)

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.unreachable:
            return False
        if self.text is None:
            return True
        return _parsed(self.text).can_fetch(url, user_agent)

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.text is None:
            return None
        return _parsed(self.text).crawl_delay(user_agent)

    def why_refused(self, url: str) -> str:
        if self.unreachable:
            what = (
                "did not answer" if self.status == UNREACHABLE else f"answered HTTP {self.status}"
            )
            return (
                f"robots.txt of {urlsplit(url).netloc} {what}: nothing is fetched until it answers"
            )
        return f"{url}: disallowed by robots.txt of {urlsplit(url).netloc}"


@lru_cache(maxsize=256)
def _parsed(text: str) -> Protego:
    return Protego.parse(text)


def stale(host: CrawlHost, now: datetime) -> bool:
    """Whether the host's robots.txt must be fetched (again) before its next request."""
    if host.robots_fetched_at is None:
        return True
    robots = Robots(host.robots_status, host.robots_txt)
    return now - host.robots_fetched_at >= (RETRY if robots.unreachable else TTL)


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def fetch_robots(url: str, settings: Settings, client: httpx.Client | None) -> Robots:
    """The robots.txt of ``url``'s host, as a verdict (never raises for the host's answer).

    Only its first 500 KiB are parsed (RFC 9309, 2.5); one over the input size cap is
    treated as unreachable (nothing fetched) rather than guessed at."""
    try:
        fetched = fetch_bytes(robots_url(url), settings, client)
    except FetchStatus as exc:
        return Robots(exc.status, None)
    except (FetchError, InputError):
        return Robots(UNREACHABLE, None)
    text = (fetched.data or b"")[:MAX_BYTES].decode("utf-8", errors="replace")
    return Robots(fetched.status, text)
