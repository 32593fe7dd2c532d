"""Time-decayed engagement per article: what Ranking and the popularity prior rest on.

The formula, for an article ``a`` at site time ``now``::

    engagement(a) = Σ over viewers v of a:  WEIGHT[strongest kind v did on a]
                                            · 0.5 ^ (hours since v's latest event on a / HALF_LIFE_HOURS)

* **One reader counts once per article**: a viewer contributes once, with the strongest
  thing they did (a reaction 3, a click from a list 2, a view 1) and their latest time.
  Reloading a page, or reading it every hour, adds nothing.
* **Bursts are ignored**: a viewer with more than ``BURST_VIEWS_PER_HOUR`` views in one
  clock hour is a scraper or a script, not a reader; none of their events of that hour
  count. Known bots are never recorded at all (``readers.identity.is_bot``).
* **Copies count toward their canonical article**: every page of a copy resolves to its
  article before an event is recorded, so the events are already on the canonical id.
* **The window** is ``WINDOW_DAYS``: older events weigh under 1 % (seven half-lives).

``readers`` is the number of distinct viewers counted, for the reason an item shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dateline.readers.events import IMPRESSION, REACTION, VIEW
from dateline.store.models import Event

HALF_LIFE_HOURS = 24.0
WINDOW_DAYS = 7
WEIGHT = {VIEW: 1.0, "click": 2.0, REACTION: 3.0}
BURST_VIEWS_PER_HOUR = 20
# Rows read per round trip.
FETCH = 5000


@dataclass(frozen=True)
class Engagement:
    score: float
    readers: int


def _decay(hours: float) -> float:
    return 0.5 ** (max(hours, 0.0) / HALF_LIFE_HOURS)


def bursting_viewers(session: Session, since: datetime, until: datetime) -> set[tuple[str, int]]:
    """(viewer key, hour bucket) pairs with more than ``BURST_VIEWS_PER_HOUR`` views."""
    rows = session.execute(
        select(Event.viewer_key, Event.bucket)
        .where(Event.kind == VIEW, Event.created_at >= since, Event.created_at <= until)
        .group_by(Event.viewer_key, Event.bucket)
        .having(func.count() > BURST_VIEWS_PER_HOUR)
    )
    return {(str(v), int(b)) for v, b in rows if b is not None}


def engagement(session: Session, now: datetime) -> dict[int, Engagement]:
    """Decayed engagement of every article engaged with in the window before ``now``."""
    since = now - timedelta(days=WINDOW_DAYS)
    bursts = bursting_viewers(session, since, now)
    rows = session.execute(
        select(Event.article_id, Event.viewer_key, Event.kind, Event.bucket, Event.created_at)
        .where(
            Event.created_at >= since,
            Event.created_at <= now,
            or_(
                Event.kind == VIEW,
                (Event.kind == REACTION) & (Event.value > 0),
                (Event.kind == IMPRESSION) & Event.clicked.is_(True),
            ),
        )
        .execution_options(yield_per=FETCH)
    )
    best: dict[tuple[int, str], tuple[float, datetime]] = {}
    for article_id, viewer, kind, bucket, at in rows:
        if bucket is not None and (viewer, bucket) in bursts:
            continue
        weight = WEIGHT["click" if kind == IMPRESSION else kind]
        key = (int(article_id), str(viewer))
        had = best.get(key)
        if had is None:
            best[key] = (weight, at)
        else:
            best[key] = (max(had[0], weight), max(had[1], at))
    totals: dict[int, list[float]] = {}
    for (article_id, _), (weight, at) in best.items():
        hours = (now - at).total_seconds() / 3600.0
        acc = totals.setdefault(article_id, [0.0, 0.0])
        acc[0] += weight * _decay(hours)
        acc[1] += 1
    return {aid: Engagement(round(s, 6), int(n)) for aid, (s, n) in totals.items()}


def popularity_prior(scores: dict[int, Engagement]) -> dict[int, float]:
    """Engagement squashed to [0, 1] by log(1 + e) / log(1 + max e): a prior, not a rank."""
    top = max((e.score for e in scores.values()), default=0.0)
    if top <= 0:
        return {}
    scale = math.log1p(top)
    return {aid: math.log1p(e.score) / scale for aid, e in scores.items()}
