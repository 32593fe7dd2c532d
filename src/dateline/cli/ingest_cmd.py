"""``dateline ingest``: files, folders, globs and URLs into the store, with a summary."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from dateline.cli.common import EXIT_FAILED, console, error_line, get_settings, open_store
from dateline.cli.enrich_cmd import print_enrich, run_enrich
from dateline.ingest.sources import expand_inputs
from dateline.pipeline import FAILED, IngestReport, ItemReport, ingest_many

STATUS_LABELS = {
    "new": "ingested",
    "updated": "new version",
    "known": "already known",
    FAILED: "failed",
}
_STATUS_STYLES = {"new": "green", "updated": "cyan", "known": "dim", FAILED: "red"}
_LABEL_WIDTH = max(len(label) for label in STATUS_LABELS.values())


def ingest(
    targets: Annotated[
        list[str],
        typer.Argument(help="Files, folders, glob patterns or URLs.", metavar="TARGET..."),
    ],
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only the summary (and any failures).")
    ] = False,
) -> None:
    """Ingest news into the store, listing each item as it is stored (a line is printed once
    its item is committed); exits 1 if any item failed."""
    settings = get_settings()
    expanded, errors = expand_inputs(targets)
    with open_store(settings) as store:
        report = IngestReport()
        report.items.extend(
            ItemReport(where=w, status=FAILED, error=e.message, error_code=e.code)
            for w, e in errors
        )
        if not quiet:
            for item in report.items:
                print_item(item)
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

            def acknowledge(item: ItemReport) -> None:
                # printed once its commit is done: a line on screen is an item in the store
                if not quiet:
                    print_item(item, progress.console)

            batch = ingest_many(
                targets,
                store,
                settings,
                on_input=advance,
                on_item=acknowledge,
                expanded=expanded,
            )
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
    print_summary(report, list_failures=quiet)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def item_line(item: ItemReport) -> str:
    """One item as a line: its status, then what it is (title and where, or the error)."""
    label = STATUS_LABELS.get(item.status, item.status)
    if item.status == FAILED:
        what = error_line(item.where, item.error or "")
    elif item.title:
        what = f"{item.title} ({item.where})"
    else:
        what = item.where
    return f"{label:<{_LABEL_WIDTH}}  {what}"


def print_item(item: ItemReport, out: Console | None = None) -> None:
    style = _STATUS_STYLES.get(item.status, "")
    line = escape(item_line(item))
    (out or console).print(
        f"[{style}]{line}[/]" if style else line, highlight=False, soft_wrap=True
    )


def print_summary(report: IngestReport, *, list_failures: bool = True) -> None:
    """The counts table; then each failure unless the items were already listed."""
    counts = report.counts
    table = Table(title="ingest summary", show_header=False)
    for status in ("new", "updated", "known", FAILED):
        style = "red" if status == FAILED and counts[status] else ""
        table.add_row(STATUS_LABELS[status], str(counts[status]), style=style)
    console.print(table)
    if list_failures:
        for item in report.failures:
            print_item(item)
