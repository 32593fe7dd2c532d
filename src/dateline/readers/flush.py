"""Writing one batch of views, impressions and clicks: the half of the buffer that is SQL.

Views are inserted with ``ON CONFLICT DO NOTHING`` against ``uq_events_view_once``, so
the database, not the worker, decides that a viewer counts once per article per hour,
even when two workers flush the same view; only the rows actually inserted are added to
``article_stats`` and ``article_daily``. The caller's transaction makes the batch
all-or-nothing. Rows go in index order (article, then viewer): neighbouring rows then
touch the same index pages, which halves SQLite's insert time on a large table, and two
PostgreSQL writers take the unique key's locks in one order.

Every statement runs once for many rows (``execute_rows``: never an executemany on
SQLite, see ``events.py``). PostgreSQL says which views it stored (``RETURNING``). On
SQLite, where reading back a row also costs the GIL round trip ``execute_rows`` avoids,
the views stored are added to the aggregates in SQL: the write transaction (``BEGIN
IMMEDIATE``, see ``store/db.py``) shuts every other writer out, so the views past the
largest event id from before the insert are exactly this batch's new ones.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, literal, select, update
from sqlalchemy.orm import Session

from dateline.readers.controls import note_reads
from dateline.readers.events import (
    DAILY_COUNTS,
    IMPRESSION,
    VIEW,
    add_daily,
    add_stats,
    ensure_readers,
    execute_rows,
    naive_utc,
    prebuilt,
    statement,
    table_of,
    upsert,
)
from dateline.store.models import Article, ArticleStats, Event
from dateline.store.repository import utcnow

SECONDS_PER_HOUR = 3600


@dataclass
class FlushResult:
    """What one flush wrote: views newly counted, views the database already had, …"""

    views: int = 0
    duplicate_views: int = 0
    impressions: int = 0
    clicks: int = 0

    def add(self, other: FlushResult) -> None:
        self.views += other.views
        self.duplicate_views += other.duplicate_views
        self.impressions += other.impressions
        self.clicks += other.clicks


class Ev(NamedTuple):
    """One queued event, shaped like an ``events`` row.

    A named tuple: made per request, and ``Ev._make`` of the plain tuple the buffer queues
    (see ``buffer.py``) costs next to nothing.
    """

    kind: str
    article_id: int
    viewer_key: str
    reader_id: str | None
    created_at: datetime
    bucket: int | None = None
    list_name: str | None = None
    position: int | None = None
    clicked: bool | None = None

    @property
    def day(self) -> date:
        return self.created_at.date()

    def row(self) -> dict[str, object]:
        """The ``events`` row (``dataclasses.asdict`` is several times slower)."""
        return {
            "kind": self.kind,
            "article_id": self.article_id,
            "viewer_key": self.viewer_key,
            "reader_id": self.reader_id,
            "created_at": self.created_at,
            "bucket": self.bucket,
            "list_name": self.list_name,
            "position": self.position,
            "clicked": self.clicked,
            "value": 1,  # the column's default, spelled out for multi-row statements
        }


def hour_bucket(at: datetime) -> int:
    """Hours since the epoch: the slot a view is deduplicated in."""
    return int((naive_utc(at) - datetime(1970, 1, 1)).total_seconds()) // SECONDS_PER_HOUR


def write_batch(
    session: Session,
    events: list[Ev],
    clicks: list[Ev],
    on_stage: Callable[[str], None] | None = None,
) -> FlushResult:
    """Write one batch in the caller's transaction; return what was newly counted."""
    # Drop events for articles deleted meanwhile: one stale id must not fail the batch.
    wanted = {e.article_id for e in events + clicks}
    listed = select(Article.id).where(Article.id.in_(wanted))
    # Counted first: one row back, not one per article (each costs a GIL round trip).
    if session.scalar(select(func.count()).select_from(listed.subquery())) != len(wanted):
        known = set(session.scalars(listed))
        events = [e for e in events if e.article_id in known]
        clicks = [e for e in clicks if e.article_id in known]
    first_seen: dict[str, datetime] = {}
    for e in events + clicks:
        if e.reader_id is not None:
            first_seen[e.reader_id] = min(e.created_at, first_seen.get(e.reader_id, e.created_at))
    ensure_readers(session, first_seen)  # a cookie from a wiped database, say
    # other web workers rebuild their cached Recommendation of these readers (controls.py)
    read = {(e.reader_id, e.article_id) for e in events if e.kind == VIEW and e.reader_id}
    note_reads(session, read, utcnow())
    result = FlushResult()
    stats: dict[int, dict[str, int]] = defaultdict(lambda: {"views": 0})
    daily: dict[tuple[int, date], Counter[str]] = defaultdict(Counter)
    first_views: dict[tuple[int, str, int | None], Ev] = {}
    for e in events:
        if e.kind == VIEW:
            first_views.setdefault((e.article_id, e.viewer_key, e.bucket), e)
    views = sorted(first_views.values(), key=_view_order)
    now = utcnow()
    if session.get_bind().dialect.name == "sqlite":
        result.views = _count_views_sqlite(session, views, now)
    else:
        for aid, at in _insert_views(session, views):
            result.views += 1
            stats[aid]["views"] += 1
            daily[aid, at.date()]["views"] += 1
    result.duplicate_views = sum(e.kind == VIEW for e in events) - result.views
    _stage(on_stage, "views")
    shown = [e for e in events if e.kind == IMPRESSION]
    clicks = _click_in_batch(shown, clicks)
    # By article (a stable sort: each article's rows stay in time order).
    execute_rows(session, "event", [e.row() for e in sorted(shown, key=_article_of)])
    for e in shown:
        daily[e.article_id, e.day]["impressions"] += 1
        daily[e.article_id, e.day]["clicks"] += int(bool(e.clicked))
    result.impressions, result.clicks = len(shown), sum(bool(e.clicked) for e in shown)
    for e in clicks:
        result.clicks += 1
        if not _mark_clicked(session, e):
            session.execute(upsert(session, Event), [e.row()])
            daily[e.article_id, e.day]["impressions"] += 1
        daily[e.article_id, e.day]["clicks"] += 1
    _stage(on_stage, "impressions")
    add_stats(session, stats, now)
    add_daily(session, daily)
    _stage(on_stage, "aggregates")
    return result


def _view_order(e: Ev) -> tuple[int, str, int | None]:
    return (e.article_id, e.viewer_key, e.bucket)  # uq_events_view_once, after the kind


def _article_of(e: Ev) -> int:
    return e.article_id


def _stage(hook: Callable[[str], None] | None, name: str) -> None:
    if hook is not None:
        hook(name)


def _insert_views(session: Session, views: list[Ev]) -> list[tuple[int, datetime]]:
    """Insert views the database has not seen this hour; return (article, time) of those."""
    if not views:
        return []
    stmt = statement(session, "view")
    return [(int(a), t) for a, t in session.execute(stmt, [e.row() for e in views])]


def _count_views_sqlite(session: Session, views: list[Ev], now: datetime) -> int:
    """SQLite: insert the views and add those stored to both aggregates; how many."""
    if not views:
        return 0
    last_id = select(func.max(Event.id))
    before = session.scalar(last_id) or 0
    stored = execute_rows(session, "view_once", [e.row() for e in views])
    if stored:
        # Nothing else was written since: the new ids are exactly the views stored.
        params = {"first": before + 1, "last": session.scalar(last_id), "now": naive_utc(now)}
        session.execute(_sqlite_view_totals("stats"), params)
        session.execute(_sqlite_view_totals("daily"), params)
    return stored


@functools.cache
def _sqlite_view_totals(name: str) -> Any:
    """``add_stats``/``add_daily`` of the views with ids ``:first`` to ``:last``, in one
    ``INSERT … SELECT … GROUP BY`` (SQLite; ``:now`` is the stats' ``updated_at``).

    The id range is the only condition, so SQLite reads just those rows (by rowid);
    with ``kind = 'view'`` as well it would scan every view through an index.
    """
    ev = table_of(Event)
    new_views = ev.c.id.between(bindparam("first"), bindparam("last"))
    zero = literal(0)
    columns: list[Any]
    group: list[Any]
    if name == "stats":
        now = bindparam("now", type_=table_of(ArticleStats).c.updated_at.type)
        columns = [ev.c.article_id, func.count(), zero, now]
        keys = ["article_id", "views", "reactions", "updated_at"]
        group = [ev.c.article_id]
    else:
        day = func.date(ev.c.created_at)  # the date of SQLAlchemy's stored text, as Date's
        columns = [ev.c.article_id, day, func.count(), zero, zero, zero]
        keys = ["article_id", "day", *DAILY_COUNTS]
        group = [ev.c.article_id, day]
    rows = select(*columns).where(new_views).group_by(*group)
    return prebuilt("sqlite", name).from_select(keys, rows)


def _click_in_batch(shown: list[Ev], clicks: list[Ev]) -> list[Ev]:
    """Mark clicks on impressions of this same batch in memory; return the other clicks."""
    latest: dict[tuple[str, int, str | None, int | None], int] = {}
    for n, e in enumerate(shown):
        latest[e.viewer_key, e.article_id, e.list_name, e.position] = n  # time-ordered
    rest = []
    for click in clicks:
        n = latest.pop((click.viewer_key, click.article_id, click.list_name, click.position), -1)
        if n >= 0 and shown[n].created_at <= click.created_at:
            shown[n] = shown[n]._replace(clicked=True)
        else:
            rest.append(click)
    return rest


def _mark_clicked(session: Session, click: Ev) -> bool:
    """Set ``clicked`` on the latest matching unclicked impression; False when none."""
    target = (
        select(Event.id)
        .where(
            Event.kind == IMPRESSION,
            Event.viewer_key == click.viewer_key,
            Event.article_id == click.article_id,
            Event.list_name == click.list_name,
            Event.position == click.position,
            Event.clicked.is_(False),
            Event.created_at <= click.created_at,
        )
        .order_by(Event.created_at.desc(), Event.id.desc())
        .limit(1)
    )
    event_id = session.scalar(target)
    if event_id is None:
        return False
    session.execute(update(Event).where(Event.id == event_id).values(clicked=True))
    return True
