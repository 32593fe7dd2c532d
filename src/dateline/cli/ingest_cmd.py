"""``dateline ingest``: files, folders, globs and URLs into the store, with a summary."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from dateline.cli.common import EXIT_FAILED, console, get_settings, open_store
from dateline.cli.enrich_cmd import print_enrich, run_enrich
from dateline.ingest.sources import expand_inputs
from dateline.pipeline import FAILED, IngestReport, ItemReport, ingest_many

STATUS_LABELS = {
    "new": "ingested",
    "updated": "new version",
    "known": "already known",
    FAILED: "failed",
}


def ingest(
    targets: Annotated[list[str], typer.Argument(help="Files, folders, glob patterns or URLs.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the summary.")] = False,
) -> None:
    """Ingest news into the store; exits 1 if any item failed (each failure is listed)."""
    settings = get_settings()
    expanded, errors = expand_inputs(targets)
    with open_store(settings) as store:
        report = IngestReport()
        report.items.extend(
            ItemReport(where=w, status=FAILED, error=e.message, error_code=e.code)
            for w, e in errors
        )
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=quiet or len(expanded) < 2,
        ) as progress:
            task = progress.add_task("ingesting", total=len(expanded))

            def advance(target: str, _items: list[ItemReport]) -> None:
                progress.update(task, advance=1, description=f"ingesting {target[-40:]}")

            batch = ingest_many(targets, store, settings, on_input=advance, expanded=expanded)
        report.items.extend(batch.items)
        touched = sorted(
            {
                i.article_id
                for i in report.items
                if i.article_id is not None and i.status in ("new", "updated")
            }
        )
        if settings.enrich_on_ingest and touched:
            print_enrich(run_enrich(store, settings, touched))
    print_summary(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def print_summary(report: IngestReport) -> None:
    counts = report.counts
    table = Table(title="ingest summary", show_header=False)
    for status in ("new", "updated", "known", FAILED):
        style = "red" if status == FAILED and counts[status] else ""
        table.add_row(STATUS_LABELS[status], str(counts[status]), style=style)
    console.print(table)
    for item in report.failures:
        console.print(
            f"[red]failed[/] {escape(item.where)}: {escape(item.error or '')}", highlight=False
        )
