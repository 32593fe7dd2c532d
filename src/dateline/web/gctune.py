"""The garbage collector in a serving worker: long-lived data kept out of its scans.

A worker holds a large, long-lived heap: the catalog keeps a summary of every listed
article (about 220,000 tracked objects for 100,000 articles), and the caches hold pages
and reader states. CPython's cyclic collector walks all of it on every full (oldest
generation) collection, which a busy worker triggers every few seconds: with 100,000
articles each one held the GIL for 50 to 300 ms of CPU, so every request in flight waited
that long (the personalised article page's p99 went past 200 ms). Reference counting
frees what this heap drops (summaries, pages and reader states hold no cycles), so the
collector has nothing to find there.

``start()`` (the app's startup, once the catalog is built) moves everything alive into the
permanent generation (``gc.freeze``), which collections skip; ``settle()`` freezes again
after the catalog is rebuilt; ``stop()`` (shutdown) unfreezes, so what was frozen is
collected as usual again (tests start and stop many apps in one process). Freezing is
O(1); the cost is that cyclic garbage alive at a freeze is kept until ``stop()`` (a few
objects at startup and after each corpus change). The thresholds stay CPython's: request
handling makes cyclic garbage, and collecting it often keeps each young collection short.

**What becomes long-lived later** (each reader's cached list, counts, the rankers'
engagement figures: some 60,000 objects for 1,000 active readers) is frozen after each
full collection that it survives: right after one no garbage is left to freeze, and the
next scans only what became long-lived since. Before, each full collection walked them
all again, 50 to 110 ms with the GIL held, several times a minute under load (the
personalised page's p99 went to 100 ms). Objects frozen this way and later dropped are
freed by reference counting as usual; only one that ends in a reference cycle would be
kept, so every ``UNFREEZE_SECONDS`` everything goes back to the collector for one full
scan that frees such cycles.
"""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

# How often the collector gets one full scan of everything (frees cycles frozen since).
UNFREEZE_SECONDS = 900.0

_lock = threading.Lock()
_active = 0
_unfrozen_at = 0.0


def start() -> None:
    """Freeze what is alive now (nested calls count)."""
    global _active, _unfrozen_at
    with _lock:
        _active += 1
        gc.freeze()
        if _after_collection not in gc.callbacks:
            _unfrozen_at = time.monotonic()
            gc.callbacks.append(_after_collection)


def settle() -> None:
    """After a large long-lived structure was built: freeze it too (no-op when stopped)."""
    with _lock:
        if _active:
            gc.freeze()


def stop() -> None:
    """Undo ``start()``; the last one unfreezes."""
    global _active
    with _lock:
        if _active == 0:
            return
        _active -= 1
        if _active == 0:
            if _after_collection in gc.callbacks:
                gc.callbacks.remove(_after_collection)
            gc.unfreeze()


def active() -> bool:
    return _active > 0


def _after_collection(phase: str, info: dict[str, Any]) -> None:
    """After a full collection: freeze its survivors, or every ``UNFREEZE_SECONDS``
    unfreeze all, for the next full collection to scan (see the module docstring).

    Runs inside the collector's callback, in whichever thread collected: no lock (one
    held by the interrupted thread would deadlock it), only ``gc`` calls, which do not
    collect."""
    global _unfrozen_at
    if phase != "stop" or info.get("generation") != 2 or not _active:
        return
    now = time.monotonic()
    _unfrozen_at = min(_unfrozen_at, now)  # a clock a test or benchmark moved back
    if now - _unfrozen_at >= UNFREEZE_SECONDS:
        _unfrozen_at = now
        gc.unfreeze()
    else:
        gc.freeze()
