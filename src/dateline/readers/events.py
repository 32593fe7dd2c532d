"""Reader state written synchronously: reader rows and reactions, plus the counts pages show.

Every write is an ``INSERT … ON CONFLICT`` or an atomic ``x = x + n`` in one transaction,
so any number of web workers, on SQLite or PostgreSQL, agree without application locks.
Views and impressions are batched instead (see ``buffer.py``). Aggregates are updated in
article-id order so concurrent writers lock rows in one order and never deadlock.

Many rows go in as one statement run (``execute_rows``): on SQLite as multi-row VALUES,
not ``executemany``. The ``sqlite3`` driver releases the GIL around every step, one per
row of an executemany, and takes it back after; in a web worker whose event loop is busy
each take-back waits for the loop to hand the GIL over (up to the 5 ms switch interval),
so a 3,000-row executemany took 17 s on a loaded worker, and 0.3 s as 90-row statements.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dateline.readers.identity import reader_key
from dateline.store.db import Store
from dateline.store.models import (
    ArticleDaily,
    ArticleStats,
    Event,
    Reaction,
    Reader,
    ReaderChange,
)

VIEW = "view"
REACTION = "reaction"
IMPRESSION = "impression"
# The columns of ``uq_events_view_once``: a view counts once per viewer, article and hour.
VIEW_KEY = ["kind", "article_id", "viewer_key", "bucket"]


def naive_utc(at: datetime) -> datetime:
    """Stored datetimes are naive UTC; accept aware ones from callers."""
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def upsert(session: Session, model: type[Any]) -> Any:
    """The dialect's ``insert`` (with ``on_conflict_*``) on the model's table.

    Core, on the table: executed with a list of rows it is one cached statement run as
    an executemany (batched into multi-row VALUES by SQLAlchemy), where ``.values(rows)``
    would compile a new statement every time.
    """
    name = session.get_bind().dialect.name
    return (postgresql.insert if name == "postgresql" else sqlite.insert)(table_of(model))


def table_of(model: type[Any]) -> Table:
    """The Core table of a mapped class (Core statements skip the ORM's bulk machinery)."""
    return cast(Table, model.__table__)


def affected(result: Any) -> int:
    """Rows an INSERT/UPDATE/DELETE touched (``Session.execute`` is typed as a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def ensure_reader(
    session: Session, reader_id: str, now: datetime, *, simulated: bool = False
) -> bool:
    """Create the reader row if missing (race-safe); True when this call created it."""
    row = {"id": reader_id, "created_at": naive_utc(now), "simulated": simulated}
    return affected(session.execute(statement(session, "reader"), row)) > 0


def ensure_readers(session: Session, first_seen: Mapping[str, datetime]) -> None:
    """Create the missing reader rows (race-safe) in one statement run for all of them.

    ``first_seen``: reader id → when it was first seen. Rows go in id order, so two
    writers lock them in one order (as the aggregates do).
    """
    rows = [
        {"id": rid, "created_at": naive_utc(at), "simulated": False}
        for rid, at in sorted(first_seen.items())
    ]
    execute_rows(session, "reader", rows)


def add_stats(session: Session, deltas: Mapping[int, Mapping[str, int]], now: datetime) -> None:
    """Add per-article deltas (``views``/``reactions``) to the running totals, atomically."""
    rows = [
        {"article_id": aid, "views": d.get("views", 0), "reactions": d.get("reactions", 0)}
        | {"updated_at": naive_utc(now)}
        for aid, d in sorted(deltas.items())
        if any(d.values())
    ]
    execute_rows(session, "stats", rows)


DAILY_COUNTS = ("views", "reactions", "impressions", "clicks")


def add_daily(session: Session, deltas: Mapping[tuple[int, date], Mapping[str, int]]) -> None:
    """Add per-(article, day) deltas to ``article_daily``, atomically."""
    rows = [
        {"article_id": aid, "day": day} | {c: d.get(c, 0) for c in DAILY_COUNTS}
        for (aid, day), d in sorted(deltas.items())
        if any(d.values())
    ]
    execute_rows(session, "daily", rows)


def statement(session: Session, name: str) -> Any:
    """The prebuilt upsert ``name`` for the session's dialect (building one costs more
    than running it)."""
    return _build(session.get_bind().dialect.name, name)


def prebuilt(dialect: str, name: str) -> Any:
    """``statement`` by dialect name ("sqlite", "postgresql")."""
    return _build(dialect, name)


# Bound parameters per multi-row statement on SQLite (under the old 999 limit).
SQLITE_PARAMS_PER_STATEMENT = 900


def execute_rows(session: Session, name: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """Run the prebuilt statement ``name`` (no RETURNING) for every row.

    The rows must share their keys. On PostgreSQL an executemany (sent as multi-row
    VALUES by SQLAlchemy and psycopg); on SQLite statements of up to
    ``SQLITE_PARAMS_PER_STATEMENT`` parameters on the session's connection, with values
    converted by the columns' own types, as SQLAlchemy would store them. Returns the rows
    inserted or updated on SQLite (a conflict that does nothing is not counted); on
    PostgreSQL what the driver reports, which may be -1.
    """
    if not rows:
        return 0
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        return affected(session.execute(statement(session, name), list(rows)))
    keys = frozenset(rows[0])
    per = max(1, SQLITE_PARAMS_PER_STATEMENT // len(keys))
    cursor = session.connection().connection.cursor()
    total = 0
    try:
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            sql, convert = _sqlite_multi_row(name, keys, len(chunk))
            params = [f(row[k]) for row in chunk for k, f in convert]
            cursor.execute(sql, params)
            total += max(cursor.rowcount, 0)
    finally:
        cursor.close()
    return total


@functools.cache
def _sqlite_multi_row(
    name: str, keys: frozenset[str], count: int
) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """``name`` for SQLite with ``count`` rows of ``keys`` as ``?`` placeholders, and per
    placeholder of a row (rows follow each other) its key and value → driver value (the
    column type's SQLite bind processor)."""
    values: list[dict[str, Any]] = [
        {k: bindparam(f"r{n}_{k}") for k in sorted(keys)} for n in range(count)
    ]
    stmt = _build("sqlite", name)
    compiled = stmt.values(values).compile(dialect=sqlite.dialect())
    names = list(compiled.positiontup or ())
    order = [n.removeprefix("r0_") for n in names[: len(keys)]]
    if names != [f"r{n}_{k}" for n in range(count) for k in order]:
        raise RuntimeError(f"unexpected parameters in the {name!r} statement")
    dialect = sqlite.dialect()
    convert = []
    for key in order:
        processor = stmt.table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        convert.append((key, processor or _same))
    return str(compiled), tuple(convert)


def _same(value: Any) -> Any:
    return value


@functools.cache
def _build(dialect: str, name: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    if name == "stats":
        stmt = insert(table_of(ArticleStats))
        table = stmt.table
        return stmt.on_conflict_do_update(
            index_elements=["article_id"],
            set_={
                "views": table.c.views + stmt.excluded.views,
                "reactions": table.c.reactions + stmt.excluded.reactions,
                "updated_at": stmt.excluded.updated_at,
            },
        )
    if name == "daily":
        stmt = insert(table_of(ArticleDaily))
        set_ = {c: stmt.table.c[c] + stmt.excluded[c] for c in DAILY_COUNTS}
        return stmt.on_conflict_do_update(index_elements=["article_id", "day"], set_=set_)
    if name == "reader":
        return insert(table_of(Reader)).on_conflict_do_nothing(index_elements=["id"])
    if name == "change":  # the reader-change log other workers poll (readers.controls)
        return insert(table_of(ReaderChange))
    if name == "event":  # impressions (and clicks stored as impressions)
        return insert(table_of(Event))
    if name == "view_once":  # a view, unless the viewer's view this hour is stored
        return insert(table_of(Event)).on_conflict_do_nothing(index_elements=VIEW_KEY)
    if name == "view":  # the same, saying which were stored
        stmt = _build(dialect, "view_once")
        return stmt.returning(stmt.table.c.article_id, stmt.table.c.created_at)
    raise KeyError(name)


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
            event = {"kind": REACTION, "article_id": article_id, "reader_id": reader_id}
            event |= {"viewer_key": reader_key(reader_id), "value": delta, "created_at": now}
            session.execute(upsert(session, Event), [event])
            add_stats(session, {article_id: {"reactions": delta}}, now)
            add_daily(session, {(article_id, day): {"reactions": delta}})
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
