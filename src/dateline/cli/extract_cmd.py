"""``dateline extract``: clean article text without a database, for people who want only that."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer

from dateline.cli.common import EXIT_FAILED, error_line, get_settings
from dateline.ingest.sources import expand_inputs
from dateline.pipeline import error_record, extract_records


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


def extract(
    targets: Annotated[
        list[str],
        typer.Argument(help="Files, folders, glob patterns or URLs.", metavar="TARGET..."),
    ],
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--format", "-f", help="json: one object per line; text: title, blank line, body."
        ),
    ] = OutputFormat.json,
    strict: Annotated[bool, typer.Option(help="Exit 1 if any input failed.")] = False,
) -> None:
    """Extract articles and print them; errors go in each record's `error` field."""
    settings = get_settings()
    expanded, errors = expand_inputs(targets)
    failed = False
    records: list[dict[str, Any]] = [error_record(w, e) for w, e in errors]
    for record in records:
        _emit(record, output)
        failed = True
    for target in expanded:
        for record in extract_records(target, settings):
            failed = failed or record["error"] is not None
            _emit(record, output)
    if failed and strict:
        raise typer.Exit(EXIT_FAILED)


def _emit(record: dict[str, Any], output: OutputFormat) -> None:
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif record["error"]:
        code, _, message = str(record["error"]).partition(": ")
        sys.stderr.write(f"{error_line(record['path'], message or code)} ({code})\n")
    else:
        sys.stdout.write(f"{record['title']}\n\n{record['body']}\n\n\f\n")
    sys.stdout.flush()
