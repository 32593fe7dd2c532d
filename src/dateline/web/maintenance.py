"""Housekeeping a running site does by itself: the event retention, once an hour.

Every web worker runs it; deletes are idempotent and batched, so two workers pruning at
once only share the work.
"""

from __future__ import annotations

import logging
import threading

from dateline.readers.history import prune_events
from dateline.web.site import Site

log = logging.getLogger(__name__)
# How often raw events past the retention are deleted.
PRUNE_EVERY_SECONDS = 3600.0


class Maintenance:
    def __init__(self, site: Site, every: float = PRUNE_EVERY_SECONDS) -> None:
        self.site = site
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        settings = self.site.settings
        removed = prune_events(self.site.store, self.site.now(), settings.event_retention_days)
        if removed:
            log.info("pruned raw events past retention", extra={"removed": removed})
        return removed

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # never let housekeeping take the worker down
                log.exception("event pruning failed; will retry")
            self._stop.wait(self.every)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="dateline-maintenance", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
