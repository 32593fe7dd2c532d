"""The queries on the events table keep their indexes whatever SQLite's statistics say.

A reader's history (``rank.rankers.reads_of``, on every personal page rebuild) must seek
the reader's own rows. Migration 0014 added a full index led by ``kind``; once ANALYZE
had given the older indexes statistics and the new one had none, SQLite's default guess
made ``kind IN (...)`` look more selective than ``reader_id = ?`` and every history read
scanned all views: 1.7 s a call at a million events (bench/rank_speed.py). The index is
partial since 0015 (clicked impressions only). Statistics are injected, not grown: the
planner reads only them, and these are the figures ANALYZE wrote for that million-event
store.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event, text

from dateline.rank.engagement import engagement
from dateline.rank.rankers import reads_of
from dateline.store.db import Store
from dateline.store.schema import upgrade

# sqlite_stat1 of bench/rank_speed.py's store (1,000,000 events, 10,000 readers)
MILLION_EVENTS = {
    "ix_events_time": "1000000 1",
    "ix_events_reader_time": "1000000 100 1",
    "ix_events_article_kind_time": "1000000 67 41 1",
    "sqlite_autoindex_events_1": "1000000 500000 41 1 1",
}
CLICKED = {"ix_events_clicked_kind_time": "30000 10000 1"}


@pytest.fixture
def store(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'dateline.db'}")
    upgrade(store)
    yield store
    store.dispose()


def _with_statistics(store: Store, stats: dict[str, str] | None) -> None:
    with store.engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # creates sqlite_stat1 (an empty table has no rows)
        conn.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = 'events'"))
        for index, stat in (stats or {}).items():
            conn.execute(
                text("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('events', :i, :s)"),
                {"i": index, "s": stat},
            )
    store.engine.dispose()  # statistics are read when a connection opens


def _plan_of(store: Store, run) -> str:
    """The query plan of the last statement ``run`` sends, as one string."""
    sent: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        with store.read() as session:
            run(session)
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)
    statement, parameters = sent[-1]
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return " | ".join(str(row[-1]) for row in rows)


@pytest.mark.parametrize(
    "stats",
    [None, MILLION_EVENTS, MILLION_EVENTS | CLICKED],
    ids=["no statistics", "the index added after ANALYZE", "every index analysed"],
)
def test_a_readers_history_seeks_the_reader_index(store, stats):
    _with_statistics(store, stats)
    plan = _plan_of(store, lambda session: reads_of(session, ["a-reader"]))
    assert "USING INDEX ix_events_reader_time (reader_id=?)" in plan, plan


def test_engagement_can_read_clicked_impressions_as_a_range_of_the_partial_index(store):
    """The query's condition is the index's, so SQLite may use it (with statistics it may
    prefer the time index for a week of a long archive: its choice)."""
    _with_statistics(store, None)
    plan = _plan_of(store, lambda session: engagement(session, datetime(2021, 1, 1)))
    assert "USING INDEX ix_events_clicked_kind_time (kind=? AND created_at>? AND" in plan, plan
