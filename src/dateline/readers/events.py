"""Reader state written synchronously: reader rows and reactions, plus the counts pages show.

Every write is an ``INSERT … ON CONFLICT`` or an atomic ``x = x + n`` in one transaction,
so any number of web workers, on SQLite or PostgreSQL, agree without application locks.
Views and impressions are batched instead (see ``buffer.py``). Aggregates are updated in
article-id order so concurrent writers lock rows in one order and never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dateline.readers.identity import reader_key
from dateline.store.db import Store
from dateline.store.models import ArticleDaily, ArticleStats, Event, Reaction, Reader

VIEW = "view"
REACTION = "reaction"
IMPRESSION = "impression"


def naive_utc(at: datetime) -> datetime:
    """Stored datetimes are naive UTC; accept aware ones from callers."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def upsert(session: Session, model: type[Any]) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_*``) for the session's engine."""
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(model)


def affected(result: Any) -> int:
    """Rows an INSERT/UPDATE/DELETE touched (``Session.execute`` is typed as a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def ensure_reader(
    session: Session, reader_id: str, now: datetime, *, simulated: bool = False
) -> bool:
    """Create the reader row if missing (race-safe); True when this call created it."""
    stmt = (
        upsert(session, Reader)
        .values(id=reader_id, created_at=naive_utc(now), simulated=simulated)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return affected(session.execute(stmt)) > 0


def add_stats(session: Session, deltas: Mapping[int, Mapping[str, int]], now: datetime) -> None:
    """Add per-article deltas (``views``/``reactions``) to the running totals, atomically."""
    rows = [
        {"article_id": aid, "views": d.get("views", 0), "reactions": d.get("reactions", 0)}
        | {"updated_at": naive_utc(now)}
        for aid, d in sorted(deltas.items())
        if any(d.values())
    ]
    if not rows:
        return
    stmt = upsert(session, ArticleStats).values(rows)
    table = ArticleStats.__table__
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["article_id"],
            set_={
                "views": table.c.views + stmt.excluded.views,
                "reactions": table.c.reactions + stmt.excluded.reactions,
                "updated_at": stmt.excluded.updated_at,
            },
        )
    )


DAILY_COUNTS = ("views", "reactions", "impressions", "clicks")


def add_daily(session: Session, deltas: Mapping[tuple[int, date], Mapping[str, int]]) -> None:
    """Add per-(article, day) deltas to ``article_daily``, atomically."""
    rows = [
        {"article_id": aid, "day": day} | {c: d.get(c, 0) for c in DAILY_COUNTS}
        for (aid, day), d in sorted(deltas.items())
        if any(d.values())
    ]
    if not rows:
        return
    stmt = upsert(session, ArticleDaily).values(rows)
    table = ArticleDaily.__table__
    set_ = {c: table.c[c] + stmt.excluded[c] for c in DAILY_COUNTS}
    session.execute(stmt.on_conflict_do_update(index_elements=["article_id", "day"], set_=set_))


def toggle_reaction(
    store: Store, reader_id: str, article_id: int, now: datetime
) -> tuple[bool, int]:
    """Add the reader's reaction, or remove it if present; return (reacted now, count).

    One transaction: the state row, a ``reaction`` event (+1/-1) and both aggregates. A
    removal is subtracted from the day the reaction was *made*, so ``article_daily`` holds
    reactions that still stand. Concurrent toggles stay exact: the delete/insert decides
    by rows affected and the totals move by atomic increments.
    """
    now = naive_utc(now)
    with store.write() as session:
        ensure_reader(session, reader_id, now)
        removed = session.execute(
            delete(Reaction)
            .where(Reaction.reader_id == reader_id, Reaction.article_id == article_id)
            .returning(Reaction.created_at)
        ).first()
        if removed is not None:
            delta, day, reacted = -1, removed[0].date(), False
        else:
            inserted = affected(
                session.execute(
                    upsert(session, Reaction)
                    .values(reader_id=reader_id, article_id=article_id, created_at=now)
                    .on_conflict_do_nothing(index_elements=["reader_id", "article_id"])
                )
            )
            delta, day, reacted = (1 if inserted else 0), now.date(), True
        if delta:
            session.add(
                Event(
                    kind=REACTION,
                    article_id=article_id,
                    reader_id=reader_id,
                    viewer_key=reader_key(reader_id),
                    value=delta,
                    created_at=now,
                )
            )
            add_stats(session, {article_id: {"reactions": delta}}, now)
            add_daily(session, {(article_id, day): {"reactions": delta}})
        session.flush()
        total = session.scalar(
            select(ArticleStats.reactions).where(ArticleStats.article_id == article_id)
        )
    return reacted, int(total or 0)


def reaction_state(session: Session, reader_id: str, article_ids: Iterable[int]) -> set[int]:
    """Which of these articles the reader currently reacts to (for the button's state)."""
    ids = list(article_ids)
    if not ids:
        return set()
    rows = session.scalars(
        select(Reaction.article_id).where(
            Reaction.reader_id == reader_id, Reaction.article_id.in_(ids)
        )
    )
    return set(rows)


def counts(session: Session, article_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(views, reactions) per article; articles nobody has seen yet get (0, 0)."""
    ids = list(article_ids)
    result = dict.fromkeys(ids, (0, 0))
    if ids:
        rows = session.execute(
            select(ArticleStats.article_id, ArticleStats.views, ArticleStats.reactions).where(
                ArticleStats.article_id.in_(ids)
            )
        )
        for aid, views, reactions in rows:
            result[aid] = (int(views), int(reactions))
    return result
