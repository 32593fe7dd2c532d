"""``dateline backfill``: load an archive on a Dask cluster (local or remote)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from dateline.cli.common import EXIT_FAILED, console, error_line, fail, get_settings, open_store
from dateline.cli.enrich_cmd import print_enrich
from dateline.errors import ConfigError


def backfill_command(
    targets: Annotated[
        list[str], typer.Argument(help="Files, folders or glob patterns.", metavar="PATH...")
    ],
    local: Annotated[
        int | None, typer.Option(help="Start a local Dask cluster of N worker processes.")
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Join a running Dask cluster (tcp://host:port).")
    ] = None,
    items_per_task: Annotated[
        int,
        typer.Option(
            help="Articles of a big JSONL file per task (50: about 5 s each on one core)."
        ),
    ] = 200,
) -> None:
    """Ingest and enrich an archive on a Dask cluster: extraction, MinHash and embeddings on
    the workers, every decision by one writer in input order (the same result as `dateline
    ingest`, faster). Exits 1 if any item failed."""
    from dateline.backfill.run import BackfillOptions, backfill

    settings = get_settings()
    options = BackfillOptions(local=local, scheduler=scheduler, items_per_task=items_per_task)
    try:
        with open_store(settings) as store:
            report = backfill(targets, store, settings, options)
    except ConfigError as exc:
        raise fail(exc.message) from exc
    low, median, high = report.task_spread()
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(report.counts.statuses.items()))
    console.print(
        f"backfill: {report.units} tasks on {report.workers} workers "
        f"(task seconds {low:.2f} / {median:.2f} / {high:.2f} min / median / max); "
        f"{statuses or 'nothing stored'}; {len(report.failures)} failed",
        highlight=False,
    )
    if report.enrich is not None:
        print_enrich(report.enrich)
    for where, _code, message in report.failures:
        console.print(f"[red]failed[/]  {escape(error_line(where, message))}", highlight=False)
    if report.failures:
        raise typer.Exit(EXIT_FAILED)
