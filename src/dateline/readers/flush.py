"""Writing one batch of views, impressions and clicks: the half of the buffer that is SQL.

Views are inserted with ``ON CONFLICT DO NOTHING`` against ``uq_events_view_once``, so
the database, not the worker, decides that a viewer counts once per article per hour,
even when two workers flush the same view; only the rows actually inserted (``RETURNING``)
are added to ``article_stats`` and ``article_daily``. The caller's transaction makes the
batch all-or-nothing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dateline.readers.events import (
    IMPRESSION,
    VIEW,
    add_daily,
    add_stats,
    ensure_reader,
    naive_utc,
    statement,
    upsert,
)
from dateline.store.models import Article, Event
from dateline.store.repository import utcnow

SECONDS_PER_HOUR = 3600


@dataclass
class FlushResult:
    """What one flush wrote: views newly counted, views the database already had, …"""

    views: int = 0
    duplicate_views: int = 0
    impressions: int = 0
    clicks: int = 0


@dataclass(frozen=True)
class Ev:
    """One queued event, shaped like an ``events`` row."""

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
    known = set(session.scalars(select(Article.id).where(Article.id.in_(wanted))))
    events = [e for e in events if e.article_id in known]
    clicks = [e for e in clicks if e.article_id in known]
    first_seen: dict[str, datetime] = {}
    for e in events + clicks:
        if e.reader_id is not None:
            first_seen[e.reader_id] = min(e.created_at, first_seen.get(e.reader_id, e.created_at))
    for rid, at in sorted(first_seen.items()):
        ensure_reader(session, rid, at)  # a cookie from a wiped database, say
    result = FlushResult()
    stats: dict[int, dict[str, int]] = defaultdict(lambda: {"views": 0})
    daily: dict[tuple[int, date], Counter[str]] = defaultdict(Counter)
    first_views: dict[tuple[int, str, int | None], Ev] = {}
    for e in events:
        if e.kind == VIEW:
            first_views.setdefault((e.article_id, e.viewer_key, e.bucket), e)
    views = list(first_views.values())
    for aid, at in _insert_views(session, views):
        result.views += 1
        stats[aid]["views"] += 1
        daily[aid, at.date()]["views"] += 1
    result.duplicate_views = sum(e.kind == VIEW for e in events) - result.views
    _stage(on_stage, "views")
    shown = [e for e in events if e.kind == IMPRESSION]
    clicks = _click_in_batch(shown, clicks)
    if shown:
        session.execute(upsert(session, Event), [e.row() for e in shown])
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
    add_stats(session, stats, utcnow())
    add_daily(session, daily)
    _stage(on_stage, "aggregates")
    return result


def _stage(hook: Callable[[str], None] | None, name: str) -> None:
    if hook is not None:
        hook(name)


def _insert_views(session: Session, views: list[Ev]) -> list[tuple[int, datetime]]:
    """Insert views the database has not seen this hour; return (article, time) of those."""
    if not views:
        return []
    stmt = statement(session, "view")
    return [(int(a), t) for a, t in session.execute(stmt, [e.row() for e in views])]


def _click_in_batch(shown: list[Ev], clicks: list[Ev]) -> list[Ev]:
    """Mark clicks on impressions of this same batch in memory; return the other clicks."""
    latest: dict[tuple[str, int, str | None, int | None], int] = {}
    for n, e in enumerate(shown):
        latest[e.viewer_key, e.article_id, e.list_name, e.position] = n  # time-ordered
    rest = []
    for click in clicks:
        n = latest.pop((click.viewer_key, click.article_id, click.list_name, click.position), -1)
        if n >= 0 and shown[n].created_at <= click.created_at:
            shown[n] = replace(shown[n], clicked=True)
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
