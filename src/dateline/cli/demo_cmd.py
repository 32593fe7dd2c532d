"""``dateline demo``: load the bundled Wikinews corpus and show what is in the store."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dateline.cli.common import EXIT_FAILED, console, get_settings, open_store
from dateline.cli.enrich_cmd import print_enrich, run_enrich
from dateline.cli.ingest_cmd import print_summary
from dateline.cli.serve_cmd import DEFAULT_PORT, run_server
from dateline.demo import (
    WIKINEWS_ATTRIBUTION,
    load_demo,
    load_farm_copies,
    simulate_demo_readers,
    summarise,
)
from dateline.enrich.run import pending_articles
from dateline.settings import load_settings
from dateline.store.db import Store


def demo(
    reset: Annotated[bool, typer.Option(help="Delete the SQLite database first.")] = False,
    serve: Annotated[
        bool, typer.Option(help="Then serve the site (what `make demo` does).")
    ] = False,
    port: Annotated[int, typer.Option(help="Port for --serve.")] = DEFAULT_PORT,
    enrich: Annotated[bool, typer.Option(help="Run the enrich stage (about a minute).")] = True,
) -> None:
    """Load the demo corpus and simulated readers, print a summary; --serve then serves it."""
    settings = get_settings()
    if reset and not settings.database_url:
        for suffix in ("", "-wal", "-shm"):
            (settings.data_path / f"dateline.db{suffix}").unlink(missing_ok=True)
    with open_store(settings, auto_migrate=True) as store:
        console.print(f"Loading the Wikinews demo corpus into {store.display_url} …")
        report = load_demo(store, settings)
        farm = load_farm_copies(store, settings)
        report.items.extend(farm.items)
        print_summary(report)
        if enrich:
            print_enrich(run_enrich(store, settings, pending_articles(store)))
        show_store(store)
        clock, readers = simulate_demo_readers(store, settings)
    if clock is not None:
        again = " (already present, not simulated again)" if readers.skipped else ""
        console.print(
            f"simulated {readers.readers} readers, {readers.views} views, "
            f"{readers.reactions} reactions (clearly labelled simulated){again}"
        )
        console.print(
            f"site clock pinned to the newest article: DATELINE_SITE_CLOCK={clock:%Y-%m-%dT%H:%M:%S}"
        )
    console.print(f"[dim]{WIKINEWS_ATTRIBUTION}[/]")
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)
    if serve:
        pinned = settings.site_clock or (clock.isoformat() if clock else "")
        run_server(load_settings(overrides={"site_clock": pinned}), host="127.0.0.1", port=port)


def show_store(store: Store) -> None:
    summary = summarise(store)
    table = Table(title="what the store holds")
    table.add_column("articles", justify="right")
    table.add_column("pages", justify="right")
    table.add_column("sources", justify="right")
    table.add_column("dates")
    table.add_column("per year")
    span = (
        f"{summary.first:%Y-%m-%d} … {summary.last:%Y-%m-%d}"
        if summary.first and summary.last
        else "–"
    )
    table.add_row(
        str(summary.articles),
        str(summary.pages),
        str(summary.sources),
        span,
        ", ".join(f"{y}: {n}" for y, n in summary.by_year),
    )
    console.print(table)
    latest = Table(title="newest articles")
    latest.add_column("published")
    latest.add_column("headline")
    latest.add_column("source")
    for published, title, source in summary.latest:
        latest.add_row(f"{published:%Y-%m-%d}" if published else "–", escape(title), escape(source))
    console.print(latest)
