"""The ``dateline`` command: one Typer app, each command a small module."""

from __future__ import annotations

import typer

from dateline import __version__
from dateline.cli import (
    admin_cmd,
    db_cmd,
    eval_cmd,
    events_cmd,
    help_style,
    sources_cmd,
    stories_cmd,
    train_cmd,
)
from dateline.cli.backfill_cmd import backfill_command
from dateline.cli.config_cmd import config
from dateline.cli.crawl_cmd import crawl_command
from dateline.cli.demo_cmd import demo
from dateline.cli.enrich_cmd import enrich
from dateline.cli.extract_cmd import extract
from dateline.cli.ingest_cmd import ingest
from dateline.cli.serve_cmd import serve

help_style.install()

app = typer.Typer(
    name="dateline",
    help="Dateline: a self-hostable news aggregator and recommender.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(ingest)
app.command()(extract)
app.command()(config)
app.command()(demo)
app.command()(serve)
app.command()(enrich)
app.command("crawl")(crawl_command)
app.command("backfill")(backfill_command)
app.add_typer(sources_cmd.app, name="sources")
app.add_typer(db_cmd.app, name="db")
app.add_typer(admin_cmd.app, name="admin")
app.add_typer(events_cmd.app, name="events")
app.add_typer(eval_cmd.app, name="eval")
app.add_typer(stories_cmd.app, name="stories")
app.add_typer(train_cmd.app, name="train")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dateline {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Dateline: ingest → extract → store news, and (soon) serve it."""
