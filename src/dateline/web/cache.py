"""Rendered-bytes caches with a time bound, background refresh and explicit invalidation.

What is the same for every reader (an article page without its per-reader parts, home,
category pages, feeds) is rendered once and served as bytes; per-reader state and
counts are cached the same way.

**Staleness bound.** An entry is served for at most ``ttl`` seconds after the data it
shows was read (the documented bound across web workers, ``page_cache_seconds``). Once it
is older than ``refresh_after`` (three quarters of ``ttl``), the first request that reads
it (``peek`` with a rebuild function) still gets it, and the entry is rebuilt *once* in the
background by the ``Refresher``: requests never wait for a rebuild and never rebuild the
same entry in parallel (no stampede when a hot entry expires). A value is put with the
time its data was read, so a rebuild that took a while is not made to look newer than it
is. An entry older than ``ttl`` is never served: the caller builds it itself, and
``get_or_build`` makes concurrent callers share one build (single flight).

**Entries in use are refreshed ahead.** A key read only every second or so may see no read
between ``refresh_after`` and ``ttl``; it would then expire, and its next request would
build it in the request path. Reads with ``watch=True`` (the per-article counts and the
per-reader states, each read a few times per ``ttl``) register the entry: ``take_due()``
hands back every watched entry past ``refresh_after``, read or not since, so one batched
background job refreshes all of them (``Site._refresh_counts``). An entry stays watched
while it was read within the last ``KEEP_WATCHING`` ttls; one nobody reads expires.

**Invalidation.** ``invalidate`` / ``clear`` drop entries at once (this worker shows a
reaction immediately), and a rebuild that started before an invalidation cannot put its
older value back (each put carries the generation it started from).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

V = TypeVar("V")
# Enough for the hot set of a large site; least recently used entries go first.
DEFAULT_MAX_ENTRIES = 20_000
# Most of a worker's time its low-priority background jobs take (Refresher).
LOW_SHARE = 0.3
# Fraction of the ttl after which a read schedules a background rebuild.
REFRESH_AT = 0.75
# A watched entry is refreshed ahead while it was read within this many ttls.
KEEP_WATCHING = 2.0
# Keys remembered as invalidated since a generation before they are forgotten wholesale
# (forgetting is treated as a clear: in-flight rebuilds are then all discarded).
MAX_KILLED = 10_000


class Refresher:
    """One daemon thread per worker process running deduplicated background jobs.

    ``schedule(key, job)`` queues ``job`` unless a job with that key is already queued or
    running (with ``again``, only unless one is queued: a job that is running may have
    read its data before the reason to schedule it). Jobs run one at a time, off the
    event loop; an error is logged and dropped (the entry then expires and the next
    request builds it itself).

    ``low`` jobs (one per reader view: many, each worth little alone) run only when no
    other job waits, and take at most ``low_share`` of the time: after one, the next
    waits until its run time is that share of the time since, so a flood of them leaves
    the worker's requests (and its GIL) the rest.
    """

    def __init__(self, low_share: float = LOW_SHARE) -> None:
        self._jobs: OrderedDict[Hashable, Callable[[], object]] = OrderedDict()
        self._low: OrderedDict[Hashable, Callable[[], object]] = OrderedDict()
        self._running: set[Hashable] = set()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.low_share = low_share
        self._low_after = 0.0  # time.monotonic() before which no low job starts
        self.ran = 0  # jobs run (for tests and measurements)

    def schedule(
        self, key: Hashable, job: Callable[[], object], *, again: bool = False, low: bool = False
    ) -> bool:
        """Queue ``job``; False when one with ``key`` is already pending."""
        with self._cond:
            if key in self._jobs or key in self._low or (key in self._running and not again):
                return False
            (self._low if low else self._jobs)[key] = job
            self._ensure_thread()
            self._cond.notify()
            return True

    def pending(self) -> int:
        with self._cond:
            return len(self._jobs) + len(self._low) + len(self._running)

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until no job is queued or running (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while self.pending():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def _ensure_thread(self) -> None:
        # Started lazily, and again in a forked child (threads do not survive a fork).
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            self._pid = os.getpid()
            self._running.clear()
            self._thread = threading.Thread(target=self._run, name="dateline-refresh", daemon=True)
            self._thread.start()

    def _next(self) -> tuple[Hashable, Callable[[], object], bool]:
        """The next job (under the lock), waiting for one that may start."""
        while True:
            if self._jobs:
                key, job = self._jobs.popitem(last=False)
                return key, job, False
            rest = self._low_after - time.monotonic()
            if self._low and rest <= 0:
                key, job = self._low.popitem(last=False)
                return key, job, True
            self._cond.wait(rest if self._low else None)

    def _run(self) -> None:
        while True:
            with self._cond:
                key, job, low = self._next()
                self._running.add(key)
            started = time.monotonic()
            try:
                job()
            except Exception:
                log.exception("background refresh failed", extra={"key": repr(key)})
            finally:
                with self._cond:
                    self._running.discard(key)
                    self.ran += 1
                    if low:
                        now = time.monotonic()
                        self._low_after = now + (now - started) * (1 / self.low_share - 1)


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: object = None
        self.error: BaseException | None = None
        self.since = 0  # the cache generation the build started at


class TTLCache(Generic[V]):
    def __init__(
        self,
        ttl: float,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        refresher: Refresher | None = None,
        refresh_at: float = REFRESH_AT,
    ) -> None:
        self.ttl = ttl
        self.refresh_after = ttl * refresh_at
        self.max_entries = max_entries
        self.refresher = refresher
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._gen = 0  # bumped by every invalidate/clear
        self._cleared_at = 0
        self._killed: dict[Hashable, int] = {}
        self._flights: dict[Hashable, _Flight] = {}
        self._superseded: set[Hashable] = set()  # served meanwhile, but a newer value is due
        # Watched entries: key -> (``born`` of the value that was read, time it is due);
        # and a heap of (time it is due, tie-breaker, key), in due order (see take_due).
        self._watched: dict[Hashable, tuple[float, float]] = {}
        self._last_read: dict[Hashable, float] = {}  # of watched keys
        self._due_heap: list[tuple[float, int, Hashable]] = []
        self._seq = itertools.count()
        self.builds = 0  # values built by get_or_build or a rebuild (tests, measurements)

    # --- reading ---------------------------------------------------------------------------

    def get(self, key: Hashable) -> V | None:
        """The value if it is younger than ``ttl`` (no refresh is scheduled)."""
        return self.read(key)[0]

    def peek(self, key: Hashable, rebuild: Callable[[], V] | None = None) -> V | None:
        """The value if younger than ``ttl``; past ``refresh_after``, rebuild in background."""
        value, due = self.read(key)
        if due and rebuild is not None:
            self.refresh(key, rebuild)
        return value

    def read(self, key: Hashable, *, watch: bool = False) -> tuple[V | None, bool]:
        """(value or None, whether it is past ``refresh_after``); nothing is scheduled.

        ``watch``: hand the entry to ``take_due()`` once it is past ``refresh_after``.
        """
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None, False
            born, value = item
            now = time.monotonic()
            age = now - born
            if age >= self.ttl:
                del self._items[key]
                return None, False
            self._items.move_to_end(key)
            if watch:
                self._last_read[key] = now
                if key not in self._watched:
                    self._watch(key, born)
            return value, age >= self.refresh_after

    def _watch(self, key: Hashable, born: float) -> None:
        due = born + self.refresh_after
        self._watched[key] = (born, due)
        heapq.heappush(self._due_heap, (due, next(self._seq), key))

    def _unwatch(self, key: Hashable) -> None:
        self._watched.pop(key, None)
        self._last_read.pop(key, None)

    def any_due(self) -> bool:
        """Whether a watched entry is past ``refresh_after`` (``take_due`` has work)."""
        with self._lock:
            return bool(self._due_heap) and self._due_heap[0][0] <= time.monotonic()

    def take_due(self) -> list[Hashable]:
        """The watched entries past ``refresh_after`` (no longer watched once taken)."""
        now = time.monotonic()
        keys = []
        with self._lock:
            heap = self._due_heap
            while heap and heap[0][0] <= now:
                due, _n, key = heapq.heappop(heap)
                watched = self._watched.get(key)
                if watched is None or watched[1] != due:
                    continue  # rebuilt or invalidated since, perhaps watched again
                del self._watched[key]
                born = watched[0]
                item = self._items.get(key)
                if item is not None and item[0] == born and now - born < self.ttl:
                    keys.append(key)  # its next put watches it again if it is still read
                else:
                    self._last_read.pop(key, None)  # evicted or expired meanwhile
        return keys

    def refresh(self, key: Hashable, rebuild: Callable[[], V]) -> None:
        """Rebuild ``key`` in the background (once, however many callers ask)."""
        if self.refresher is None:
            return

        def job() -> None:
            since, born = self.generation(), time.monotonic()
            value = rebuild()
            self.builds += 1
            if value is None:  # gone meanwhile (a deleted article, say)
                self.invalidate(key)
            else:
                self.put(key, value, since=since, born=born)

        self.refresher.schedule((id(self), key), job)

    def get_or_build(self, key: Hashable, build: Callable[[], V], *, force: bool = False) -> V:
        """The cached value, or one build shared by every concurrent caller (blocking).

        A build that returns None (nothing to show) is passed on but not cached. ``force``:
        build even if a value is cached (one :meth:`supersede` asked to replace).
        """
        value = None if force else self.peek(key, build)
        if value is not None:
            return value
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
                flight.since = self._gen
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            with self._lock:
                stale = self._killed.get(key, -1) > flight.since or flight.since < self._cleared_at
            if stale:  # invalidated while that build ran (a reaction, say): build anew
                return self.get_or_build(key, build)
            return flight.value  # type: ignore[return-value]
        try:
            since, born = flight.since, time.monotonic()
            value = build()
            self.builds += 1
            if value is not None:
                self.put(key, value, since=since, born=born)
            flight.value = value
            return value
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._flights.pop(key, None)
            flight.done.set()

    # --- writing ---------------------------------------------------------------------------

    def generation(self) -> int:
        with self._lock:
            return self._gen

    def put(
        self, key: Hashable, value: V, *, since: int | None = None, born: float | None = None
    ) -> bool:
        """Store ``value`` (read at ``born``, default now); with ``since``, only if ``key``
        was not invalidated after generation ``since``. False when discarded.

        A value :meth:`supersede`-d after ``since`` is still replaced by a newer one (it
        is nearer what is wanted than the value served), but stays superseded."""
        with self._lock:
            now = time.monotonic()
            born = now if born is None else born
            wanted = True
            if since is not None and (
                since < self._cleared_at or self._killed.get(key, -1) > since
            ):
                item = self._items.get(key)
                if key not in self._superseded or item is None or item[0] >= born:
                    return False
                wanted = False  # newer than what serves, older than what is wanted
            self._items[key] = (born, value)
            self._items.move_to_end(key)
            if wanted:
                self._superseded.discard(key)
            self._watched.pop(key, None)
            last_read = self._last_read.get(key)
            if last_read is not None:
                if now - last_read < self.ttl * KEEP_WATCHING:
                    self._watch(key, self._items[key][0])
                else:
                    del self._last_read[key]  # watched again from its next read
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
            return True

    def invalidate(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)
            self._unwatch(key)
            self._superseded.discard(key)
            self._kill(key)

    def supersede(self, key: Hashable) -> None:
        """A newer value is wanted, but the current one is served until it comes (within
        ``ttl``): builds that started before now cannot put theirs, and
        :meth:`superseded` says so until a newer value is put. For a change that may show
        a moment late (a reader's view under load), where ``invalidate`` would make the
        next request wait for the build."""
        with self._lock:
            self._kill(key)
            if key in self._items:
                if len(self._superseded) >= MAX_KILLED:
                    self._superseded.clear()  # their entries still expire within ttl
                self._superseded.add(key)

    def superseded(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._superseded

    def _kill(self, key: Hashable) -> None:
        self._gen += 1
        if len(self._killed) >= MAX_KILLED:
            self._killed.clear()
            self._cleared_at = self._gen
        self._killed[key] = self._gen

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._watched.clear()
            self._last_read.clear()
            self._due_heap.clear()
            self._superseded.clear()
            self._gen += 1
            self._cleared_at = self._gen
            self._killed.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        """Whether ``key`` holds a value (perhaps one past ``ttl``, not yet dropped)."""
        with self._lock:
            return key in self._items
