"""Views and impressions, counted without a database write per request.

Each web worker keeps one ``EventBuffer``. Requests append to it (a lock and a list
append); a daemon thread writes everything pending in **one transaction** every
``event_flush_seconds``, sooner once ``FLUSH_EVERY_EVENTS`` are waiting, and on
``close()``. Durability bound: a crash (not a clean shutdown) loses at most the last
``event_flush_seconds`` of views and impressions; a clean shutdown loses nothing.

The database decides which views count (see ``flush.py``), so two workers flushing the
same view count it once. A failed flush rolls back entirely and its
events go back to the queue (dropped, with an error logged, after
``MAX_FLUSH_ATTEMPTS``), so nothing is ever half-counted.
"""

from __future__ import annotations

import logging
import threading
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
FLUSH_EVERY_EVENTS = 500
# Consecutive failed flushes after which pending events are dropped instead of retried.
MAX_FLUSH_ATTEMPTS = 3
# Pending events kept at most while the database is unreachable; newer ones are dropped.
MAX_PENDING = 100_000


@dataclass
class _Pending:
    events: list[Ev] = field(default_factory=list)
    clicks: list[Ev] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.events) + len(self.clicks)


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
        self._add([Ev(VIEW, article_id, viewer_key, reader_id, at, bucket=hour_bucket(at))])

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
                Ev(IMPRESSION, aid, viewer_key, reader_id, at, None, list_name, pos, False)
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
        ev = Ev(IMPRESSION, article_id, viewer_key, reader_id, at, None, list_name, position, True)
        self._add(clicks=[ev])

    def _add(self, events: Sequence[Ev] = (), clicks: Sequence[Ev] = ()) -> None:
        with self._lock:
            if len(self._pending) + len(events) + len(clicks) > MAX_PENDING:
                self.dropped += len(events) + len(clicks)
                return
            self._pending.events.extend(events)
            self._pending.clicks.extend(clicks)
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

    # --- flushing --------------------------------------------------------------------

    def flush(self) -> FlushResult:
        """Write everything pending in one transaction; on failure re-queue it and raise."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, _Pending()
            if not len(batch):
                return FlushResult()
            try:
                with self.store.write() as session:
                    result = self._write(session, batch)
            except Exception:
                self._requeue(batch)
                raise
            self._failures = 0
            return result

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
            self._pending.events[:0] = batch.events
            self._pending.clicks[:0] = batch.clicks

    def _write(self, session: Session, batch: _Pending) -> FlushResult:
        return write_batch(session, batch.events, batch.clicks, self._on_stage)

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
                self.flush()
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
