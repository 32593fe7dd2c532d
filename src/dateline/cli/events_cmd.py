"""``dateline events``: retention and the MIND export of reader events."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, TextIO, cast

import typer

from dateline.cli.common import console, err_console, fail, get_settings, open_store
from dateline.clock import site_now
from dateline.readers.history import export_behaviors_tsv, export_news_tsv, prune_events
from dateline.settings import Settings

app = typer.Typer(help="Reader events: retention and export.", no_args_is_help=True)


@app.command("prune")
def prune() -> None:
    """Delete raw events older than DATELINE_EVENT_RETENTION_DAYS (daily totals stay)."""
    settings = get_settings()
    with open_store(settings) as store:
        removed = prune_events(store, site_now(settings), settings.event_retention_days)
    console.print(f"deleted {removed} raw events older than {settings.event_retention_days} days")


class _ViewerCounter:
    """A text stream that passes behaviors.tsv lines on and counts the distinct viewers."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.viewers: set[str] = set()

    def write(self, text: str) -> int:
        for line in text.splitlines():
            fields = line.split("\t")
            if len(fields) > 1:
                self.viewers.add(fields[1])
        return self.out.write(text)


def sampling_note(settings: Settings, viewers: int) -> str:
    """Why the export holds only some readers: impressions are sampled when they are logged."""
    rate = settings.impression_sample_rate
    if rate >= 1:
        sampled = "every viewer's impressions are stored"
    else:
        sampled = (
            f"impressions are stored for a sample of about {rate:.0%} of viewers "
            "(a stable choice per viewer): each article view would otherwise write up to "
            "26 impression rows, more than SQLite's single writer can sustain; set it to 1 "
            "to store every viewer's"
        )
    return f"{viewers} viewers in the export; DATELINE_IMPRESSION_SAMPLE_RATE={rate:g}: {sampled}"


@app.command("export")
def export(
    output: Annotated[
        Path | None, typer.Argument(help="File to write; - or nothing: stdout.", metavar="FILE")
    ] = None,
) -> None:
    """Write list impressions as MIND behaviors.tsv, and news.tsv beside it, for offline
    recommender evaluation (dateline eval recs)."""
    settings = get_settings()
    to_stdout = output is None or str(output) == "-"
    news = output.parent / "news.tsv" if output is not None and not to_stdout else None
    if output is not None and news is not None:
        if output.is_dir():
            raise fail(f"{output}: is a folder; give a file name, e.g. {output / 'behaviors.tsv'}")
        if not output.parent.is_dir():
            raise fail(f"{output}: folder {output.parent} does not exist; create it first")
        if output.name == news.name:
            raise fail(f"{output}: news.tsv is written beside it; name it behaviors.tsv")
    with open_store(settings) as store, store.read() as session:
        if output is None or news is None:
            counter = _ViewerCounter(sys.stdout)
            lines = export_behaviors_tsv(session, cast(TextIO, counter))
        else:
            try:
                with output.open("w", encoding="utf-8") as out:
                    counter = _ViewerCounter(out)
                    lines = export_behaviors_tsv(session, cast(TextIO, counter))
                with news.open("w", encoding="utf-8") as out:
                    articles = export_news_tsv(session, out)
            except OSError as exc:
                raise fail(
                    f"{exc.filename or output}: cannot write: {exc.strerror or exc}"
                ) from exc
    if not to_stdout:
        console.print(
            f"wrote {lines} impression lines to {output} and {articles} articles to {news}",
            highlight=False,
        )
    err_console.print(f"[dim]{sampling_note(settings, len(counter.viewers))}[/]", highlight=False)
