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
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_active = 0


def start() -> None:
    """Freeze what is alive now (nested calls count)."""
    global _active
    with _lock:
        _active += 1
        gc.freeze()


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
            gc.unfreeze()


def active() -> bool:
    return _active > 0
