"""``dateline enrich``: run the enrich stage on stored articles (idempotent)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from dateline.cli.common import console, get_settings, open_store
from dateline.enrich.run import EnrichReport, enrich_articles, pending_articles
from dateline.settings import Settings
from dateline.store.db import Store


def enrich(
    everything: Annotated[
        bool,
        typer.Option(
            "--all", help="Redo every article, not only those not yet enriched by this version."
        ),
    ] = False,
) -> None:
    """Dates, categories, entities, stories and source scores for stored articles."""
    settings = get_settings()
    with open_store(settings) as store:
        report = run_enrich(store, settings, pending_articles(store, everything=everything))
    print_enrich(report)


def run_enrich(store: Store, settings: Settings, ids: list[int]) -> EnrichReport:
    """The enrich stage with a progress bar (shared by ingest, demo and enrich)."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=len(ids) < 2,
    ) as progress:
        task = progress.add_task("enriching", total=len(ids))

        def advance(step: str, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=f"enrich: {step}")

        return enrich_articles(store, settings, ids, on_progress=advance)


def print_enrich(report: EnrichReport) -> None:
    table = Table(title="enrich summary", show_header=False)
    table.add_row("articles", str(report.articles))
    table.add_row("categorised", str(report.categorized))
    table.add_row("with entities", str(report.with_entities))
    table.add_row("in stories", str(report.in_stories))
    table.add_row("sources scored", str(report.sources_scored))
    table.add_row("seconds", ", ".join(f"{k} {v}" for k, v in report.seconds.items()))
    console.print(table)
