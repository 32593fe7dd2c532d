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

from sqlalchemy import CTE, Float, Integer, Select, case, func, or_, select, text, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from dateline.readers.events import IMPRESSION, REACTION, VIEW, naive_utc
from dateline.readers.flush import hour_bucket
from dateline.store.models import Event
from dateline.store.sqltime import epoch_hours

HALF_LIFE_HOURS = 24.0
WINDOW_DAYS = 7
WEIGHT = {VIEW: 1.0, "click": 2.0, REACTION: 3.0}
BURST_VIEWS_PER_HOUR = 20
EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class Engagement:
    score: float
    readers: int


def _in_window(since: datetime, until: datetime) -> ColumnElement[bool]:
    return (Event.created_at >= since) & (Event.created_at <= until)


def _bursts(since: datetime, until: datetime) -> Select[str, int | None]:
    """(viewer key, hour bucket) pairs with more than ``BURST_VIEWS_PER_HOUR`` views."""
    return (
        select(Event.viewer_key, Event.bucket)
        .where(Event.kind == VIEW, _in_window(since, until))
        .group_by(Event.viewer_key, Event.bucket)
        .having(func.count() > BURST_VIEWS_PER_HOUR)
    )


def engagement(session: Session, now: datetime) -> dict[int, Engagement]:
    """Decayed engagement of every article engaged with in the window before ``now``.

    The database does all of it: one row per (article, viewer) with the strongest kind and
    the hour of the latest event, bursts left out, decayed by a join on a table of the
    window's hours, summed per article. Python reads one row per article, not every event
    of a week: at a million events that was 2.6 s of Python objects (hundreds of
    thousands of rows for the collector to walk) in a serving worker's background
    thread, stalling its requests. An event's time is taken as the middle of its clock
    hour: within 1.5 % of the exact decay.
    """
    since = now - timedelta(days=WINDOW_DAYS)
    bursts = _bursts(since, now).cte("bursts")
    weight = case(
        (Event.kind == REACTION, WEIGHT[REACTION]),
        (Event.kind == IMPRESSION, WEIGHT["click"]),
        else_=WEIGHT[VIEW],
    )
    in_burst = (
        select(bursts.c.viewer_key)
        .where(bursts.c.viewer_key == Event.viewer_key, bursts.c.bucket == Event.bucket)
        .exists()
    )
    per_viewer = (
        select(
            Event.article_id.label("article_id"),
            func.max(weight).label("weight"),
            func.max(epoch_hours(Event.created_at)).label("hour"),
        )
        .where(
            _in_window(since, now),
            or_(
                Event.kind == VIEW,
                (Event.kind == REACTION) & (Event.value > 0),
                (Event.kind == IMPRESSION) & (Event.clicked == true()),  # = (not IS): indexable
            ),
            ~in_burst,
        )
        .group_by(Event.article_id, Event.viewer_key)
        .subquery()
    )
    last_hour = hour_bucket(now)
    rows = session.execute(
        select(
            per_viewer.c.article_id, func.sum(per_viewer.c.weight * _DECAY.c.factor), func.count()
        )
        .join(_DECAY, _DECAY.c.age == last_hour - per_viewer.c.hour)
        .group_by(per_viewer.c.article_id)
    )
    scale = _hour_scale(now, last_hour)
    return {int(aid): Engagement(round(float(score) * scale, 6), int(n)) for aid, score, n in rows}


def _decay_by_age() -> CTE:
    """(age in whole clock hours, 0.5 ^ (age / HALF_LIFE_HOURS)) for every hour of the
    window: the decay as a constant table the database joins on.

    Keyed by age, not by clock hour, it is the same table at every refresh; written as
    SQL text (both engines name a VALUES list's columns column1, column2), the statement
    is compiled once and then served from SQLAlchemy's cache, which a ``values()``
    construct's literal rows opt out of: compiling the whole query again at every refresh
    was a fifth of a refresh's time at a small store."""
    ages = range(WINDOW_DAYS * 24 + 2)  # the window's first clock hour may be partial
    rows = ", ".join(f"({age}, {0.5 ** (age / HALF_LIFE_HOURS)!r})" for age in ages)
    # only numbers computed here: nothing from outside reaches the text
    sql = f"SELECT column1 AS age, column2 AS factor FROM (VALUES {rows}) AS hours"  # noqa: S608
    return text(sql).columns(age=Integer, factor=Float).cte("decay")


_DECAY = _decay_by_age()


def _hour_scale(now: datetime, last_hour: int) -> float:
    """The factor from an event's age in whole clock hours to its age from the middle of
    its hour to ``now``: every event is aged by (now's minutes into its hour − ½ h), the
    same for all, so it multiplies the sums (an event of the current hour may weigh up
    to 1.5 % over 1 in the first half of the hour)."""
    now_hours = (naive_utc(now) - EPOCH).total_seconds() / 3600.0
    return 0.5 ** ((now_hours - last_hour - 0.5) / HALF_LIFE_HOURS)


def popularity_prior(scores: dict[int, Engagement]) -> dict[int, float]:
    """Engagement squashed to [0, 1] by log(1 + e) / log(1 + max e): a prior, not a rank."""
    top = max((e.score for e in scores.values()), default=0.0)
    if top <= 0:
        return {}
    scale = math.log1p(top)
    return {aid: math.log1p(e.score) / scale for aid, e in scores.items()}
