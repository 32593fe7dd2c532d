"""The site's notion of "now": the real time, or a pinned one (the demo's newest article).

Time-decayed lists ("most read in the last days") read this clock, so a demo corpus from
2020 has meaningful rankings today. A pinned clock starts at the pinned time when the
process starts and then runs at normal speed, so views recorded while the demo runs stay
in order after the simulated ones. Naive UTC, like every stored datetime.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from dateline.settings import Settings

_STARTED = time.monotonic()


def site_now(settings: Settings) -> datetime:
    if settings.site_clock:
        pinned = datetime.fromisoformat(settings.site_clock)
        if pinned.tzinfo:
            pinned = pinned.astimezone(UTC).replace(tzinfo=None)
        return pinned + timedelta(seconds=time.monotonic() - _STARTED)
    return datetime.now(UTC).replace(tzinfo=None)


def utc_now() -> datetime:
    """The wall clock, naive UTC, whatever the site's clock says: the crawler's politeness,
    leases and schedules happen in real time even on a demo with a pinned clock."""
    return datetime.now(UTC).replace(tzinfo=None)


def started() -> float:
    """The monotonic time a pinned clock counts from (for callers that cache the parse)."""
    return _STARTED
