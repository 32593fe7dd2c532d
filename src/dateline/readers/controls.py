"""A reader's say over their Recommendation list: mute, less like this, pause, reset.

Stored as rows of ``reader_controls`` (one per control), read for many readers at once
when their lists are rebuilt. Every change also appends the reader to ``reader_changes``,
the log each web worker polls to drop its cached state of that reader, so a control
takes effect on the next request whichever worker serves it.

* **mute a source / a category**: never recommended again (until unmuted or reset);
* **less like this**: that article and its story leave the list, and articles like it
  are scored down;
* **pause**: the list stops using the reader's history (the non-personal mix), and what
  they read while paused is never learnt from (the pause is kept as a ``gap``);
* **reset**: history before now is no longer used, and every other control is cleared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dateline.errors import MalformedInput
from dateline.readers.events import ensure_reader, execute_rows, naive_utc, upsert
from dateline.store.models import ReaderChange, ReaderControl

MUTE_SOURCE = "mute_source"
MUTE_CATEGORY = "mute_category"
LESS_LIKE = "less_like"
PAUSED = "paused"
GAP = "gap"
RESET = "reset"
# What a request may set or clear (pause/resume and reset have their own calls).
SETTABLE = (MUTE_SOURCE, MUTE_CATEGORY, LESS_LIKE)
# A reader's controls of one kind, at most (a form cannot grow a row set without bound).
MAX_PER_KIND = 200
# Change-log rows older than this are pruned (workers poll every second or so).
CHANGE_LOG_SECONDS = 600


@dataclass(frozen=True)
class Controls:
    """One reader's controls, as the recommender reads them."""

    muted_sources: frozenset[int] = frozenset()
    muted_categories: frozenset[str] = frozenset()
    less_like: frozenset[int] = frozenset()
    paused_since: datetime | None = None
    reset_at: datetime | None = None
    gaps: tuple[tuple[datetime, datetime], ...] = field(default_factory=tuple)

    def ignores(self, at: datetime) -> bool:
        """Whether a read at ``at`` is not learnt from (before a reset, during a pause)."""
        if self.reset_at is not None and at < self.reset_at:
            return True
        if self.paused_since is not None and at >= self.paused_since:
            return True
        return any(start <= at < end for start, end in self.gaps)


NO_CONTROLS = Controls()


def controls_of(session: Session, reader_ids: Sequence[str]) -> dict[str, Controls]:
    """Controls of these readers (readers without any get :data:`NO_CONTROLS`)."""
    rows: dict[str, list[ReaderControl]] = {}
    ids = list(dict.fromkeys(reader_ids))
    for start in range(0, len(ids), 500):
        for row in session.scalars(
            select(ReaderControl).where(ReaderControl.reader_id.in_(ids[start : start + 500]))
        ):
            rows.setdefault(row.reader_id, []).append(row)
    return {rid: _controls(rows.get(rid, [])) for rid in ids}


def _controls(rows: Iterable[ReaderControl]) -> Controls:
    sources: set[int] = set()
    categories: set[str] = set()
    less: set[int] = set()
    paused = reset = None
    gaps = []
    for row in rows:
        if row.kind == MUTE_SOURCE and row.value.isdigit():
            sources.add(int(row.value))
        elif row.kind == MUTE_CATEGORY:
            categories.add(row.value)
        elif row.kind == LESS_LIKE and row.value.isdigit():
            less.add(int(row.value))
        elif row.kind == PAUSED:
            paused = row.created_at
        elif row.kind == RESET:
            reset = row.created_at
        elif row.kind == GAP:
            start, _, end = row.value.partition("/")
            gaps.append((datetime.fromisoformat(start), datetime.fromisoformat(end)))
    return Controls(
        frozenset(sources), frozenset(categories), frozenset(less), paused, reset, tuple(gaps)
    )


def note_change(session: Session, reader_ids: Iterable[str], now: datetime) -> None:
    """Log that these readers' controls or history changed (workers poll the log)."""
    at = naive_utc(now)
    _log(session, [{"reader_id": r, "article_id": None, "created_at": at} for r in set(reader_ids)])


def note_reads(session: Session, reads: Iterable[tuple[str, int]], now: datetime) -> None:
    """Log (reader, article) views that were just flushed (workers poll the log)."""
    at = naive_utc(now)
    _log(session, [{"reader_id": r, "article_id": a, "created_at": at} for r, a in set(reads)])


def _log(session: Session, rows: list[dict[str, object]]) -> None:
    rows.sort(key=lambda r: (str(r["reader_id"]), r["article_id"] or 0))
    # the prebuilt multi-row statement: an ORM insert of literal rows compiled its SQL anew
    # at every flush, a tenth of a serving worker's GIL time under a flood of views
    execute_rows(session, "change", rows)


def set_control_value(kind: str, value: str) -> str:
    """The stored form of a control's value; raises ``MalformedInput`` when invalid."""
    if kind not in SETTABLE:
        raise MalformedInput(f"unknown control {kind!r}; expected one of {', '.join(SETTABLE)}")
    value = value.strip()
    if kind in (MUTE_SOURCE, LESS_LIKE):
        if not value.isdigit() or len(value) > 18:
            raise MalformedInput(f"{kind} takes an id, not {value[:40]!r}")
        return str(int(value))
    if not value or len(value) > 255:
        raise MalformedInput("mute_category takes a category name of 1 to 255 characters")
    return value.casefold()


def set_control(
    session: Session, reader_id: str, kind: str, value: str, now: datetime, *, on: bool = True
) -> None:
    """Set (``on``) or clear one mute or "less like this"."""
    value = set_control_value(kind, value)
    ensure_reader(session, reader_id, now)
    if on:
        have = session.scalars(
            select(ReaderControl.value).where(
                ReaderControl.reader_id == reader_id, ReaderControl.kind == kind
            )
        ).all()
        if value not in have and len(have) >= MAX_PER_KIND:
            raise MalformedInput(f"at most {MAX_PER_KIND} controls of kind {kind}")
        stmt = upsert(session, ReaderControl).on_conflict_do_nothing()
        session.execute(
            stmt,
            {"reader_id": reader_id, "kind": kind, "value": value, "created_at": naive_utc(now)},
        )
    else:
        session.execute(
            delete(ReaderControl).where(
                ReaderControl.reader_id == reader_id,
                ReaderControl.kind == kind,
                ReaderControl.value == value,
            )
        )
    note_change(session, [reader_id], now)


def set_paused(session: Session, reader_id: str, paused: bool, now: datetime) -> None:
    """Pause (the list stops using history) or resume (the pause becomes a gap)."""
    ensure_reader(session, reader_id, now)
    now = naive_utc(now)
    since = session.scalar(
        select(ReaderControl.created_at).where(
            ReaderControl.reader_id == reader_id, ReaderControl.kind == PAUSED
        )
    )
    if paused and since is None:
        session.add(ReaderControl(reader_id=reader_id, kind=PAUSED, value="", created_at=now))
    elif not paused and since is not None:
        session.execute(
            delete(ReaderControl).where(
                ReaderControl.reader_id == reader_id, ReaderControl.kind == PAUSED
            )
        )
        gap = f"{since.isoformat()}/{now.isoformat()}"
        session.add(ReaderControl(reader_id=reader_id, kind=GAP, value=gap, created_at=now))
    note_change(session, [reader_id], now)


def reset(session: Session, reader_id: str, now: datetime) -> None:
    """Forget, for Recommendation, everything read before now, and clear every control."""
    ensure_reader(session, reader_id, now)
    session.execute(delete(ReaderControl).where(ReaderControl.reader_id == reader_id))
    session.add(ReaderControl(reader_id=reader_id, kind=RESET, value="", created_at=naive_utc(now)))
    note_change(session, [reader_id], now)


@dataclass(frozen=True)
class Changes:
    """What the change log holds after some id: readers whose controls or history changed,
    and (reader, article, when) views."""

    last_id: int
    readers: frozenset[str]
    reads: tuple[tuple[str, int, datetime], ...]


def changed_since(session: Session, after_id: int) -> Changes:
    """The changes logged after change ``after_id`` (at most 10,000 a call)."""
    rows = session.execute(
        select(
            ReaderChange.id,
            ReaderChange.reader_id,
            ReaderChange.article_id,
            ReaderChange.created_at,
        )
        .where(ReaderChange.id > after_id)
        .order_by(ReaderChange.id)
        .limit(10_000)
    ).all()
    if not rows:
        return Changes(after_id, frozenset(), ())
    readers = frozenset(str(r) for _, r, a, _ in rows if a is None)
    reads = tuple((str(r), int(a), at) for _, r, a, at in rows if a is not None)
    return Changes(int(rows[-1][0]), readers, reads)


def latest_change(session: Session) -> int:
    """The newest change id (a worker starts polling after it)."""
    return int(session.scalar(select(func.max(ReaderChange.id))) or 0)


def prune_changes(session: Session, now: datetime) -> int:
    """Delete change-log rows every worker has had time to see."""
    cutoff = naive_utc(now) - timedelta(seconds=CHANGE_LOG_SECONDS)
    result = session.execute(delete(ReaderChange).where(ReaderChange.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
