"""Views a web worker served in the last moments, before they reach the database.

Views are written in batches (``event_flush_seconds``), but a reader's next page must
already know the article they just read: their Recommendation is rebuilt from their
stored history *plus* these. Bounded: ``PER_READER`` views per reader, ``MAX_READERS``
readers (the least recently active are forgotten first; forgetting is harmless once the
views are flushed).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from datetime import datetime

PER_READER = 50
MAX_READERS = 50_000


class RecentReads:
    """Thread-safe: the event loop adds, rebuild threads read."""

    def __init__(self) -> None:
        self._reads: OrderedDict[str, deque[tuple[int, datetime]]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, reader_id: str, article_id: int, at: datetime) -> None:
        with self._lock:
            reads = self._reads.pop(reader_id, None)
            if reads is None:
                reads = deque(maxlen=PER_READER)
            reads.append((article_id, at))
            self._reads[reader_id] = reads
            while len(self._reads) > MAX_READERS:
                self._reads.popitem(last=False)

    def of(self, reader_id: str) -> list[tuple[int, datetime]]:
        with self._lock:
            return list(self._reads.get(reader_id, ()))

    def has(self, reader_id: str, article_id: int) -> bool:
        with self._lock:
            return any(aid == article_id for aid, _ in self._reads.get(reader_id, ()))

    def forget(self, reader_id: str) -> None:
        with self._lock:
            self._reads.pop(reader_id, None)
