"""``dateline sources``: what the crawler polls (add, list, show, pause, resume, remove, OPML)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dateline.cli.common import console, fail, get_settings, open_store
from dateline.clock import utc_now
from dateline.crawl.schedule import parse_every
from dateline.crawl.sources import add_source, export_opml, import_opml
from dateline.crawl.status import describe_due, describe_every, polling_state
from dateline.errors import DatelineError
from dateline.store.crawl_models import Subscription
from dateline.store.subscriptions import (
    KINDS,
    find_subscription,
    list_subscriptions,
    remove_subscription,
    set_paused,
)

app = typer.Typer(
    help="Subscriptions the crawler polls: feeds, pages and sitemaps.", no_args_is_help=True
)


@app.command("add")
def add(
    url: Annotated[str, typer.Argument(help="Address of a feed, a page or a sitemap.")],
    every: Annotated[
        str | None,
        typer.Option(help="Poll at this interval (90s, 30m, 2h, 1d) instead of adaptively."),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Name shown in lists (default: its own).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help=f"One of {', '.join(KINDS)}: skip the check fetch and trust this."),
    ] = None,
) -> None:
    """Subscribe to an address: fetched once to learn its kind (a page that advertises a
    feed is followed to it), then polled by `dateline crawl`."""
    settings = get_settings()
    try:
        seconds = parse_every(every) if every is not None else None
    except DatelineError as exc:
        raise fail(str(exc)) from exc
    with open_store(settings) as store:
        outcome = add_source(store, settings, url, utc_now(), name=name, every=seconds, kind=kind)
    sub = outcome.subscription
    verb = "subscribed" if outcome.created else "known"
    console.print(
        f"{verb}  #{sub.id} {escape(sub.kind)} {escape(sub.url)}"
        + (f" ({escape(sub.name)})" if sub.name else ""),
        highlight=False,
        soft_wrap=True,
    )
    if outcome.note:
        console.print(f"[dim]{escape(outcome.note)}[/]", highlight=False, soft_wrap=True)


@app.command("list")
def list_() -> None:
    """Every subscription with its polling state: last fetch, next due, last error."""
    settings = get_settings()
    with open_store(settings) as store, store.read() as session:
        rows = list_subscriptions(session)
        if not rows:
            console.print("no subscriptions yet: `dateline sources add URL` or `sources import`")
            return
        console.print(_table(rows, utc_now()))


def _table(rows: Sequence[Subscription], now: datetime) -> Table:
    table = Table(title=f"{len(rows)} subscriptions")
    for column in ("#", "kind", "address", "every", "last fetch", "next", "items/day", "state"):
        table.add_column(column, overflow="fold")
    for sub in rows:
        state = polling_state(sub, now)
        table.add_row(
            str(sub.id),
            sub.kind,
            escape(sub.name + " " + sub.url if sub.name else sub.url),
            describe_every(sub),
            state.last_fetch,
            describe_due(sub, now),
            state.items_per_day,
            f"[red]{escape(state.health)}[/]" if state.failing else escape(state.health),
        )
    return table


@app.command("show")
def show(ref: Annotated[str, typer.Argument(help="Its number or address.")]) -> None:
    """One subscription's polling state in full, its last error included."""
    settings = get_settings()
    with open_store(settings) as store, store.read() as session:
        state = polling_state(find_subscription(session, ref), utc_now())
    for label, value in state.fields:
        console.print(f"{label:>14}  {escape(value)}", highlight=False, soft_wrap=True)


@app.command("pause")
def pause(ref: Annotated[str, typer.Argument(help="Its number or address.")]) -> None:
    """Stop polling it for now (its state is kept)."""
    _set_paused(ref, True)


@app.command("resume")
def resume(ref: Annotated[str, typer.Argument(help="Its number or address.")]) -> None:
    """Poll it again, starting now."""
    _set_paused(ref, False)


def _set_paused(ref: str, paused: bool) -> None:
    settings = get_settings()
    with open_store(settings) as store, store.write() as session:
        sub = set_paused(session, ref, paused, utc_now())
        line = f"{'paused' if paused else 'resumed'}  #{sub.id} {sub.url}"
    console.print(escape(line), highlight=False, soft_wrap=True)


@app.command("remove")
def remove(ref: Annotated[str, typer.Argument(help="Its number or address.")]) -> None:
    """Stop polling it for good; the articles it brought stay."""
    settings = get_settings()
    with open_store(settings) as store, store.write() as session:
        sub = remove_subscription(session, ref)
        line = f"removed  #{sub.id} {sub.url}"
    console.print(escape(line), highlight=False, soft_wrap=True)


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="An OPML file; - reads stdin.", metavar="FILE")],
) -> None:
    """Subscribe to every feed an OPML file lists (nothing is fetched until the crawl)."""
    settings = get_settings()
    try:
        data = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise fail(f"{path}: cannot read: {exc.strerror or exc}") from exc
    with open_store(settings) as store:
        report = import_opml(store, data, utc_now(), where=str(path))
    console.print(
        f"{len(report.added)} subscribed, {len(report.known)} already known, "
        f"{len(report.failed)} failed",
        highlight=False,
    )
    for where, why in report.failed:
        console.print(f"[red]failed[/]  {escape(where)}: {escape(why)}", highlight=False)
    if report.failed:
        raise typer.Exit(1)


@app.command("export")
def export(
    path: Annotated[
        Path | None, typer.Argument(help="File to write; - or nothing: stdout.", metavar="FILE")
    ] = None,
) -> None:
    """Write every subscription as OPML 2.0 (for another reader, or a backup)."""
    settings = get_settings()
    with open_store(settings) as store, store.read() as session:
        rows = list_subscriptions(session)
        data = export_opml(rows, settings.site_name, utc_now())
    if path is None or str(path) == "-":
        sys.stdout.buffer.write(data)
        return
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise fail(f"{path}: cannot write: {exc.strerror or exc}") from exc
    console.print(f"wrote {len(rows)} subscriptions to {path}", highlight=False)
