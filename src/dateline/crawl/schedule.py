"""When to poll a subscription next: adaptive to how often it publishes, backing off on errors.

A feed that publishes 48 items a day is polled about every 30 minutes, one that publishes
one item a week once a day: the interval is one item's worth of time (a day divided by
items per day), kept within the crawler's bounds (5 minutes to 24 hours by default). The
operator may fix the interval instead (``--every``). A random 0-25 % is added so thousands
of feeds added together do not stay in lock-step and hit their hosts at the same second.

A failed poll backs off: the interval doubles with each consecutive failure, up to 7 days,
and a server's Retry-After is never cut short. The failure stays visible (``last_error``)
the whole time: a feed is never silently dead.

Items per day come from the dates the feed states for its entries when it gives at least
two, else from the new items seen between polls, smoothed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dateline.errors import ConfigError

DAY = 86_400.0
MAX_BACKOFF = 7 * DAY
JITTER = 0.25
# before a subscription has told us anything: hourly
UNKNOWN_RATE_INTERVAL = 3_600.0
# entries older than this before the newest one say little about today's rate
RATE_WINDOW = timedelta(days=7)
# weight of one poll's observation in the smoothed rate (no dated entries)
RATE_SMOOTHING = 0.3
MIN_EVERY = 60
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)?\s*$", re.I)
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3_600, "d": 86_400, "w": 604_800}


@dataclass(frozen=True)
class Bounds:
    """The adaptive interval's limits, in seconds (settings crawl_min/max_interval)."""

    low: float = 300.0
    high: float = DAY


def parse_every(text: str) -> int:
    """``--every``: seconds from '90s', '30m', '2h', '1d', '1w' or bare seconds.

    Raises :class:`ConfigError` naming the accepted forms; 1 minute to 7 days.
    """
    match = _EVERY.match(text)
    if match is None:
        raise ConfigError(
            f"--every {text!r}: expected a number with a unit: 90s, 30m, 2h, 1d or 1w"
        )
    seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()]
    if not MIN_EVERY <= seconds <= MAX_BACKOFF:
        raise ConfigError(f"--every {text!r}: must be between 1 minute and 7 days")
    return round(seconds)


def base_interval(items_per_day: float | None, every: int | None, bounds: Bounds) -> float:
    """Seconds between polls before jitter: the operator's choice, else one item's worth."""
    if every is not None:
        return float(every)
    if items_per_day is None:
        return min(max(UNKNOWN_RATE_INTERVAL, bounds.low), bounds.high)
    if items_per_day <= 0:
        return bounds.high
    return min(max(DAY / items_per_day, bounds.low), bounds.high)


def jittered(seconds: float, rng: random.Random) -> float:
    return seconds * (1.0 + rng.uniform(0.0, JITTER))


def next_after_success(
    now: datetime,
    items_per_day: float | None,
    every: int | None,
    bounds: Bounds,
    rng: random.Random,
) -> datetime:
    return now + timedelta(seconds=jittered(base_interval(items_per_day, every, bounds), rng))


def backoff_seconds(
    errors: int, items_per_day: float | None, every: int | None, bounds: Bounds
) -> float:
    """After ``errors`` consecutive failures: the interval doubled per failure, up to 7 days."""
    base = max(base_interval(items_per_day, every, bounds), bounds.low)
    return min(base * 2.0 ** max(errors - 1, 0), MAX_BACKOFF)


def next_after_error(
    now: datetime,
    errors: int,
    items_per_day: float | None,
    every: int | None,
    bounds: Bounds,
    rng: random.Random,
    retry_after: float | None = None,
) -> datetime:
    """Back off; a Retry-After longer than the back-off wins (capped at 7 days)."""
    wait = jittered(backoff_seconds(errors, items_per_day, every, bounds), rng)
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_BACKOFF))
    return now + timedelta(seconds=wait)


def rate_from_dates(dates: Sequence[datetime]) -> float | None:
    """Items per day from entry dates (naive UTC): the entries of the week before the newest
    one, over the time they span (at least a day, so a burst does not read as a torrent).
    None with fewer than two dates."""
    if len(dates) < 2:
        return None
    newest = max(dates)
    recent = sorted(d for d in dates if d >= newest - RATE_WINDOW)
    if len(recent) < 2:
        return 1.0 / RATE_WINDOW.days
    span_days = max((newest - recent[0]).total_seconds() / DAY, 1.0)
    return (len(recent) - 1) / span_days


def smoothed_rate(
    previous: float | None, new_items: int, since: datetime | None, now: datetime
) -> float | None:
    """Without dates: new items per day since the last successful poll, smoothed."""
    if since is None:
        return previous
    elapsed_days = (now - since).total_seconds() / DAY
    if elapsed_days <= 0:
        return previous
    observed = new_items / elapsed_days
    if previous is None:
        return observed
    return (1.0 - RATE_SMOOTHING) * previous + RATE_SMOOTHING * observed
