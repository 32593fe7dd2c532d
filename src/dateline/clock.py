"""The site's notion of "now": the real time, or a pinned one (the demo's newest article).

Time-decayed lists ("most read in the last days") read this clock, so a demo corpus from
2020 has meaningful rankings today. Naive UTC, like every stored datetime.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dateline.settings import Settings


def site_now(settings: Settings) -> datetime:
    if settings.site_clock:
        pinned = datetime.fromisoformat(settings.site_clock)
        return pinned.astimezone(UTC).replace(tzinfo=None) if pinned.tzinfo else pinned
    return datetime.now(UTC).replace(tzinfo=None)
