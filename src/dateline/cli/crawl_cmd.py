"""``dateline crawl``: the crawler service, or one pass with --once."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Annotated

import typer
from rich.markup import escape

from dateline.cli.common import console, fail, get_settings, open_store
from dateline.cli.enrich_cmd import print_enrich
from dateline.crawl.leases import CrawlerRunning
from dateline.crawl.poll import PollOutcome
from dateline.crawl.service import CrawlOptions, crawl

_STYLES = {"fetched": "green", "not_modified": "dim", "robots": "dim", "refused": "yellow"}


def crawl_command(
    once: Annotated[
        bool, typer.Option("--once", help="Poll what is due now, once, then exit.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only failures and the summary.")
    ] = False,
) -> None:
    """Poll due subscriptions (`dateline sources`) politely, ingest and enrich what is new.
    Runs until stopped (Ctrl-C or SIGTERM finish the current poll and the pending enrich);
    several crawlers share a PostgreSQL store, SQLite takes one."""
    settings = get_settings()
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)

    def on_poll(outcome: PollOutcome) -> None:
        if quiet and outcome.error is None:
            return
        console.print(
            escape(poll_line(outcome)),
            style=_STYLES.get(outcome.status, "red"),
            highlight=False,
            soft_wrap=True,
        )

    options = CrawlOptions(once=once, on_poll=on_poll, on_enrich=None if quiet else print_enrich)
    try:
        with open_store(settings) as store:
            report = crawl(store, settings, options, stop)
    except CrawlerRunning as exc:
        raise fail(exc.message) from exc
    except KeyboardInterrupt:
        stop.set()
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    polls = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in report.polls.most_common())
    console.print(
        f"crawl: {sum(report.polls.values())} polls ({polls or 'none due'}); "
        f"{report.new} new articles, {report.enriched} enriched, "
        f"{len(report.errors)} failed polls",
        highlight=False,
    )


def poll_line(outcome: PollOutcome) -> str:
    status = outcome.status.replace("_", " ")
    if outcome.error:
        return f"{status:<12}  {outcome.url}: {outcome.error}"
    extra = f" ({outcome.new} new)" if outcome.status == "fetched" else ""
    return f"{status:<12}  {outcome.url}{extra}"
