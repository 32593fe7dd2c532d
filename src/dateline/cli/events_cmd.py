"""``dateline events``: retention and the MIND export of reader events."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dateline.cli.common import console, get_settings, open_store
from dateline.clock import site_now
from dateline.readers.history import export_behaviors_tsv, prune_events

app = typer.Typer(help="Reader events: retention and export.", no_args_is_help=True)


@app.command("prune")
def prune() -> None:
    """Delete raw events older than DATELINE_EVENT_RETENTION_DAYS (daily totals stay)."""
    settings = get_settings()
    with open_store(settings) as store:
        removed = prune_events(store, site_now(settings), settings.event_retention_days)
    console.print(f"deleted {removed} raw events older than {settings.event_retention_days} days")


@app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Argument(help="File to write; - or nothing: stdout.")
    ] = None,
) -> None:
    """Write list impressions as MIND behaviors.tsv, for offline recommender evaluation."""
    settings = get_settings()
    with open_store(settings) as store, store.read() as session:
        if output is None or str(output) == "-":
            lines = export_behaviors_tsv(session, sys.stdout)
        else:
            with output.open("w", encoding="utf-8") as out:
                lines = export_behaviors_tsv(session, out)
    if output is not None and str(output) != "-":
        console.print(f"wrote {lines} impression lines to {output}")
