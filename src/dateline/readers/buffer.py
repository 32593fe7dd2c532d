"""Views and impressions, counted without a database write per request.

Each web worker keeps one ``EventBuffer``. Requests append to it (a lock and a list
append); a daemon thread writes everything pending every ``event_flush_seconds``, sooner
once ``FLUSH_EVERY_EVENTS`` are waiting, and on ``close()``, in transactions of at most
``FLUSH_CHUNK`` events: a backlog (after a slow disk, say) is written in bounded slices, so
no transaction holds SQLite's write lock, nor the flusher the GIL, for long, and the other
workers' flushes get their turn in between. Durability bound: a crash (not a clean
shutdown) loses at most the last ``event_flush_seconds`` of views and impressions (plus a
backlog not yet written); a clean shutdown loses nothing.

The database decides which views count (see ``flush.py``), so two workers flushing the
same view count it once. A failed transaction rolls back entirely and its
events go back to the queue (dropped, with an error logged, after
``MAX_FLUSH_ATTEMPTS``), so nothing is ever half-counted. A click is written in the same
or a later transaction than every event queued before it (the impression it marks).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from dateline.readers.events import (
    IMPRESSION,
    VIEW,
    naive_utc,
)
from dateline.readers.flush import Ev, FlushResult, hour_bucket, write_batch
from dateline.readers.identity import reader_key
from dateline.store.db import Store

log = logging.getLogger(__name__)

# Pending events that trigger a flush before the timer (bounds memory and batch size).
# A transaction's cost is mostly per index page it touches and its commit, not per row:
# on SQLite, 1,000 views (plus their impressions) per transaction write 1.5x as fast as
# 250, and 2,000 twice as fast; so under load the flusher waits for a batch this large.
FLUSH_EVERY_EVENTS = 2000
# Events written per transaction at most (a larger backlog is written in several).
FLUSH_CHUNK = 5000
# The background flusher's pause between two transactions of one backlog, so another
# worker waiting for SQLite's write lock gets it.
CHUNK_PAUSE_SECONDS = 0.02
# Consecutive failed flushes after which pending events are dropped instead of retried.
MAX_FLUSH_ATTEMPTS = 3
# Pending events kept at most while the database is unreachable; newer ones are dropped.
MAX_PENDING = 100_000
# Backpressure (see ``delay``): past this many pending events the writes are falling
# behind, and answers wait DELAY_PER_BACKLOG seconds per further BACKLOG_EVENTS pending,
# MAX_DELAY_SECONDS at most.
BACKLOG_EVENTS = 10_000
DELAY_PER_BACKLOG = 0.005
MAX_DELAY_SECONDS = 0.05


# A queued event: the fields of ``Ev`` in a plain tuple. CPython's collector stops
# tracking a tuple of strings, numbers and datetimes, so even a large backlog adds nothing
# to its scans (a named tuple or a dataclass instance stays tracked).
Queued = tuple[str, int, str, str | None, datetime, int | None, str | None, int | None, bool | None]


@dataclass
class _Pending:
    events: list[Queued] = field(default_factory=list)
    # (events queued before it, click): a click is written with or after those events.
    clicks: list[tuple[int, Queued]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.events) + len(self.clicks)

    def take(self, limit: int) -> _Pending:
        """Remove and return the first ``limit`` events and the clicks queued among them."""
        if len(self.events) <= limit:
            taken, self.events, self.clicks = _Pending(self.events, self.clicks), [], []
            return taken
        events, self.events = self.events[:limit], self.events[limit:]
        clicks = [c for c in self.clicks if c[0] <= limit]
        self.clicks = [(n - limit, ev) for n, ev in self.clicks if n > limit]
        return _Pending(events, clicks)

    def put_back(self, batch: _Pending) -> None:
        """Queue ``batch`` (taken earlier) before everything pending, in its order."""
        shift = len(batch.events)
        self.clicks = batch.clicks + [(n + shift, ev) for n, ev in self.clicks]
        self.events[:0] = batch.events


def _check_viewer(viewer_key: str, reader_id: str | None) -> None:
    # clear_history finds a reader's events by reader_id: a reader's key must match it.
    if reader_id is not None and viewer_key != reader_key(reader_id):
        raise ValueError("viewer_key of a reader must be reader_key(reader_id)")


class EventBuffer:
    """A thread-safe, batched writer of views, impressions and clicks for one process.

    Start it in each worker process (after any fork), ``start()`` the flusher, and
    ``close()`` it at shutdown. Without ``start()`` it flushes in the recording thread
    once ``max_events`` are pending (what batch jobs such as the simulation want).
    """

    def __init__(
        self,
        store: Store,
        *,
        flush_seconds: float,
        max_events: int = FLUSH_EVERY_EVENTS,
        on_stage: Callable[[str], None] | None = None,
    ) -> None:
        self.store, self.flush_seconds, self.max_events = store, flush_seconds, max_events
        self._on_stage = on_stage  # test hook: called after each write stage of a flush
        self._pending = _Pending()
        self._lock = threading.Lock()  # guards _pending
        self._flush_lock = threading.Lock()  # one flush at a time
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0
        self.dropped = 0  # events given up on (queue full or flush kept failing)

    # --- recording (called by request handlers) --------------------------------------

    def record_view(
        self, article_id: int, viewer_key: str, reader_id: str | None, at: datetime
    ) -> None:
        """Queue a view; it counts once per viewer per article per clock hour."""
        _check_viewer(viewer_key, reader_id)
        at = naive_utc(at)
        self._add(
            [(VIEW, article_id, viewer_key, reader_id, at, hour_bucket(at), None, None, None)]
        )

    def record_impressions(
        self,
        viewer_key: str,
        reader_id: str | None,
        list_name: str,
        items: Sequence[tuple[int, int]],
        at: datetime,
    ) -> None:
        """Queue one shown list: ``items`` are (position, article id), all sharing ``at``.

        The shared timestamp is what groups the rows back into one impression for export.
        """
        _check_viewer(viewer_key, reader_id)
        at = naive_utc(at)
        self._add(
            [
                (IMPRESSION, aid, viewer_key, reader_id, at, None, list_name, pos, False)
                for pos, aid in items
            ]
        )

    def record_click(
        self,
        viewer_key: str,
        reader_id: str | None,
        list_name: str,
        position: int,
        article_id: int,
        at: datetime,
    ) -> None:
        """Queue a click on a list item; it marks the latest matching impression clicked.

        With no such impression on record (a cached page, a pruned one) the click is stored
        as a clicked impression of its own.
        """
        _check_viewer(viewer_key, reader_id)
        at = naive_utc(at)
        ev: Queued = (
            IMPRESSION,
            article_id,
            viewer_key,
            reader_id,
            at,
            None,
            list_name,
            position,
            True,
        )
        self._add(clicks=[ev])

    def _add(self, events: Sequence[Queued] = (), clicks: Sequence[Queued] = ()) -> None:
        with self._lock:
            if len(self._pending) + len(events) + len(clicks) > MAX_PENDING:
                self.dropped += len(events) + len(clicks)
                return
            queued = len(self._pending.events) + len(events)
            self._pending.events.extend(events)
            self._pending.clicks.extend((queued, c) for c in clicks)
            full = len(self._pending) >= self.max_events
        if full:
            if self._thread is not None:
                self._wake.set()
            else:
                self.flush()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def delay(self) -> float:
        """Seconds a request that records events should wait before it answers: 0 unless
        more than ``BACKLOG_EVENTS`` are pending while flushes succeed.

        A web worker under more load than the database can write views for (every request
        a new view, say) would otherwise queue events until ``MAX_PENDING`` and then drop
        them; slowing its answers a little (clients wait for a page before they ask for
        the next) leaves the flusher the CPU to catch up, and no view is lost. While the
        database fails, the delay is 0: that is what the drop is for.
        """
        backlog = len(self._pending) - BACKLOG_EVENTS  # no lock: an estimate will do
        if backlog <= 0 or self._failures:
            return 0.0
        return min(MAX_DELAY_SECONDS, DELAY_PER_BACKLOG * backlog / BACKLOG_EVENTS)

    # --- flushing --------------------------------------------------------------------

    def flush(self) -> FlushResult:
        """Write everything pending, ``FLUSH_CHUNK`` events per transaction; on a failure
        re-queue that transaction's events and raise (earlier ones stay written).

        Whatever was recorded before the call is in the database when it returns (a flush
        under way in the background is waited for).
        """
        return self._drain(pause=0.0)

    def _drain(self, pause: float) -> FlushResult:
        total = FlushResult()
        with self._flush_lock:  # one flush at a time
            with self._lock:
                left = len(self._pending)  # what arrives meanwhile waits for the next one
            while left > 0:
                result, written = self._flush_chunk()
                total.add(result)
                left -= written
                if written == 0:
                    break
                if left > 0 and pause:
                    time.sleep(pause)
        return total

    def _flush_chunk(self) -> tuple[FlushResult, int]:
        """One transaction of at most ``FLUSH_CHUNK`` events; (result, events taken)."""
        with self._lock:
            batch = self._pending.take(FLUSH_CHUNK)
        if not len(batch):
            return FlushResult(), 0
        try:
            with self.store.write() as session:
                result = self._write(session, batch)
        except Exception:
            self._requeue(batch)
            raise
        self._failures = 0
        return result, len(batch)

    def _requeue(self, batch: _Pending) -> None:
        self._failures += 1
        if self._failures >= MAX_FLUSH_ATTEMPTS:
            self.dropped += len(batch)
            self._failures = 0
            log.error(
                "dropped %d reader events after %d failed flushes", len(batch), MAX_FLUSH_ATTEMPTS
            )
            return
        with self._lock:
            self._pending.put_back(batch)

    def _write(self, session: Session, batch: _Pending) -> FlushResult:
        events = [Ev._make(t) for t in batch.events]
        clicks = [Ev._make(t) for _n, t in batch.clicks]
        return write_batch(session, events, clicks, self._on_stage)

    # --- background thread -----------------------------------------------------------

    def start(self) -> None:
        """Start the daemon flusher thread (idempotent)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="dateline-events", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self._drain(pause=CHUNK_PAUSE_SECONDS)
            except Exception:  # a flush error must never take the web worker down
                log.exception("flushing reader events failed; will retry")

    def close(self) -> FlushResult:
        """Stop the flusher and write what is pending (a clean shutdown loses nothing)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join()
        return self.flush()
