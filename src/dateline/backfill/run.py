"""``dateline backfill``: an archive through ingest and enrich on a Dask cluster.

The client plans units (:mod:`.units`), keeps a bounded window of them in flight on the
cluster (a million pages never sit in memory at once), and writes results strictly in
input order as they come back (:mod:`.write`), then enriches everything stored once, as
``dateline ingest`` does. Dask may run a task twice (a worker killed mid-task is replaced
and its tasks rerun elsewhere): each unit's result is written once, and a rerun of the
whole backfill finds every page known. ``--local N`` starts a ``LocalCluster`` of N worker
processes with one thread each; ``--scheduler tcp://…`` joins a running cluster, whose
workers need Dateline installed (the tasks carry their input bytes: no shared disk).
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from distributed import Client, Future, LocalCluster, as_completed

from dateline.backfill.units import ITEMS_PER_TASK, Unit, Unreadable, plan
from dateline.backfill.work import PLUGIN_NAME, ModelsPlugin, UnitResult, process_unit
from dateline.backfill.write import WriteCounts, write_unit
from dateline.enrich.run import EnrichReport, enrich_articles
from dateline.errors import ConfigError
from dateline.settings import Settings
from dateline.store.db import Store

# units in flight per worker: enough to keep each busy while the writer catches up
WINDOW_PER_WORKER = 3


@dataclass
class BackfillReport:
    units: int = 0
    counts: WriteCounts = field(default_factory=WriteCounts)
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)
    task_seconds: list[float] = field(default_factory=list)
    workers: int = 0
    write_seconds: float = 0.0  # the single writer's busy time (the bound on throughput)
    enrich: EnrichReport | None = None

    @property
    def failures(self) -> list[tuple[str, str, str]]:
        return [*self.unreadable, *self.counts.failures]

    def task_spread(self) -> tuple[float, float, float]:
        """(shortest, median, longest) task seconds."""
        s = self.task_seconds or [0.0]
        return min(s), statistics.median(s), max(s)


@dataclass
class BackfillOptions:
    local: int | None = None
    scheduler: str | None = None
    items_per_task: int = ITEMS_PER_TASK
    enrich: bool = True
    on_unit: Callable[[Unit, UnitResult], None] | None = None
    # called with the client once the first results are back (tests kill a worker here),
    # and after the last one, before the cluster closes (the benchmark reads workers' memory)
    on_started: Callable[[Client], None] | None = None
    on_finished: Callable[[Client], None] | None = None


def connect(options: BackfillOptions) -> tuple[Client, LocalCluster | None]:
    if (options.local is None) == (options.scheduler is None):
        raise ConfigError("give one of --local N or --scheduler tcp://host:port")
    if options.scheduler is not None:
        return Client(options.scheduler), None
    assert options.local is not None
    if options.local < 1:
        raise ConfigError("--local: at least one worker")
    cluster = LocalCluster(
        n_workers=options.local, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster), cluster


def backfill(
    targets: Sequence[str], store: Store, settings: Settings, options: BackfillOptions
) -> BackfillReport:
    client, cluster = connect(options)
    try:
        client.register_plugin(ModelsPlugin(settings.embed_model), name=PLUGIN_NAME)
        report = _run(client, targets, store, settings, options)
        if options.on_finished is not None:
            options.on_finished(client)
        return report
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run(
    client: Client,
    targets: Sequence[str],
    store: Store,
    settings: Settings,
    options: BackfillOptions,
) -> BackfillReport:
    report = BackfillReport(workers=len(client.scheduler_info()["workers"]))
    window = max(report.workers, 1) * WINDOW_PER_WORKER
    units: Iterator[Unit | Unreadable] = plan(targets, settings, options.items_per_task)
    pending: dict[Future, Unit] = {}
    ready: dict[int, tuple[Unit, UnitResult]] = {}
    next_index = 0
    finished = as_completed()
    run_id = uuid.uuid4().hex[:8]  # two backfills on one scheduler never share a task key
    exhausted = False
    started = False

    def top_up() -> None:
        nonlocal exhausted
        while not exhausted and len(pending) + len(ready) < window:
            unit = next(units, None)
            if unit is None:
                exhausted = True
            elif isinstance(unit, Unreadable):
                report.unreadable.append((unit.where, unit.error.code, unit.error.message))
            else:
                future = client.submit(
                    process_unit, unit, key=f"dateline-{run_id}-{unit.index}", pure=False
                )
                pending[future] = unit
                finished.add(future)
                report.units += 1

    top_up()
    while pending:
        future = next(finished)
        unit = pending.pop(future)
        result: UnitResult = future.result()
        ready[unit.index] = (unit, result)
        report.task_seconds.append(result.seconds)
        if not started and options.on_started is not None:
            started = True
            options.on_started(client)
        while next_index in ready:  # written strictly in input order
            in_order, in_result = ready.pop(next_index)
            writing = time.perf_counter()
            write_unit(store, in_order, in_result, report.counts)
            report.write_seconds += time.perf_counter() - writing
            if options.on_unit is not None:
                options.on_unit(in_order, in_result)
            next_index += 1
        top_up()
    touched = sorted(set(report.counts.touched))
    if options.enrich and settings.enrich_on_ingest and touched:
        report.enrich = enrich_articles(store, settings, touched)
    return report
