"""Housekeeping a running site does by itself: pruning once an hour (the event retention
and the reader change log, ``readers.controls``), and retraining the co-reading model
every ``RETRAIN_EVERY_SECONDS`` (``rank.collab``: off the request path, never on one).

Every web worker runs it; deletes are idempotent and batched, so two workers pruning at
once only share the work; each worker fits its own co-reading model (seconds at 100,000
articles and 1,000,000 reads) on the same reads, so they agree.
"""

from __future__ import annotations

import logging
import threading
import time

from dateline.readers.controls import prune_changes
from dateline.readers.history import prune_events
from dateline.store.repository import utcnow
from dateline.web.site import Site

log = logging.getLogger(__name__)
# How often raw events past the retention are deleted.
PRUNE_EVERY_SECONDS = 3600.0
# How often the co-reading model is fitted again.
RETRAIN_EVERY_SECONDS = 600.0


class Maintenance:
    def __init__(
        self,
        site: Site,
        every: float = PRUNE_EVERY_SECONDS,
        retrain_every: float = RETRAIN_EVERY_SECONDS,
    ) -> None:
        self.site = site
        self.every = every
        self.retrain_every = retrain_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        settings = self.site.settings
        removed = prune_events(self.site.store, self.site.now(), settings.event_retention_days)
        with self.site.store.write() as session:
            prune_changes(session, utcnow())
        if removed:
            log.info("pruned raw events past retention", extra={"removed": removed})
        return removed

    def retrain(self) -> bool:
        """Fit the rankers' co-reading model again (False: too little co-reading yet)."""
        retrain = getattr(self.site.rankers, "retrain", None)
        if retrain is None:
            return False
        return bool(retrain(self.site.now()))

    def _loop(self) -> None:
        due = {"prune": 0.0, "retrain": 0.0}
        while not self._stop.is_set():
            now = time.monotonic()
            for job, every, work in (
                ("prune", self.every, self.run_once),
                ("retrain", self.retrain_every, self.retrain),
            ):
                if now < due[job]:
                    continue
                due[job] = now + every
                try:
                    work()
                except Exception:  # never let housekeeping take the worker down
                    log.exception("maintenance job %s failed; will retry", job)
            self._stop.wait(max(0.0, min(due.values()) - time.monotonic()))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="dateline-maintenance", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
