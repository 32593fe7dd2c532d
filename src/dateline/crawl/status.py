"""A subscription's polling state in words, the same in ``dateline sources`` and on the site.

The point is that a failing feed is never silently dead: its health line says what went
wrong, how many polls in a row, and when the next try is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dateline.store.crawl_models import Subscription

_UNITS = ((86_400, "d"), (3_600, "h"), (60, "min"), (1, "s"))


def span(seconds: float) -> str:
    """A duration the way people say it: '45 s', '12 min', '3 h', '2 d'."""
    seconds = abs(seconds)
    for size, unit in _UNITS:
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return "0 s"


def ago(when: datetime | None, now: datetime) -> str:
    return "never" if when is None else f"{span((now - when).total_seconds())} ago"


def describe_due(sub: Subscription, now: datetime) -> str:
    if sub.paused:
        return "paused"
    gap = (sub.next_due_at - now).total_seconds()
    return "due now" if gap <= 0 else f"in {span(gap)}"


def describe_every(sub: Subscription) -> str:
    return f"every {span(sub.every_seconds)}" if sub.every_seconds else "adaptive"


@dataclass(frozen=True)
class PollingState:
    last_fetch: str
    next_due: str
    items_per_day: str
    health: str
    failing: bool
    fields: tuple[tuple[str, str], ...]  # (label, value), for a full view


def polling_state(sub: Subscription, now: datetime) -> PollingState:
    failing = sub.last_error is not None
    if sub.paused:
        health = "paused"
    elif failing:
        in_a_row = f", {sub.error_count} in a row" if sub.error_count > 1 else ""
        health = f"failing: {sub.last_error}{in_a_row}; next try {describe_due(sub, now)}"
    elif sub.last_fetch_at is None:
        health = "not polled yet"
    else:
        health = "ok"
    rate = "unknown" if sub.items_per_day is None else f"{sub.items_per_day:.1f}"
    fields = (
        ("subscription", f"#{sub.id} {sub.kind} {sub.url}"),
        ("name", sub.name or "-"),
        ("schedule", describe_every(sub)),
        ("last fetch", ago(sub.last_fetch_at, now)),
        ("last success", ago(sub.last_success_at, now)),
        ("last status", "-" if sub.last_status is None else str(sub.last_status)),
        ("next due", describe_due(sub, now)),
        ("items per day", rate),
        ("items stored", str(sub.items_total)),
        ("polls", f"{sub.polls} ({sub.not_modified} not modified)"),
        ("health", health),
    )
    return PollingState(
        ago(sub.last_fetch_at, now), describe_due(sub, now), rate, health, failing, fields
    )
