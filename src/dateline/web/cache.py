"""Rendered-bytes caches with a time bound and explicit invalidation.

What is the same for every reader (an article page without its per-reader parts, home,
category pages, feeds) is rendered once and served as bytes. An entry lives at most
``ttl`` seconds (the documented staleness bound across web workers); this worker drops an
entry at once when it changes something the entry shows (a reaction, say).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")
# Enough for the hot set of a large site; least recently used entries go first.
DEFAULT_MAX_ENTRIES = 20_000


class TTLCache(Generic[V]):
    def __init__(self, ttl: float, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            expires, value = item
            if expires < time.monotonic():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + self.ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def invalidate(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
