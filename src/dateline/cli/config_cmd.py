"""``dateline config``: what the settings are and where each value came from."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from dateline.cli.common import console, get_settings
from dateline.settings import REGISTRY, Setting


def config(
    dump: Annotated[
        bool, typer.Option("--dump", help="Print every value (secrets masked).")
    ] = False,
    docs: Annotated[
        bool,
        typer.Option(
            "--docs", help="Print the settings reference as a Markdown table (the README's)."
        ),
    ] = False,
) -> None:
    """Show the resolved settings; invalid values fail here with the key named."""
    if docs:
        typer.echo(settings_markdown())
        return
    settings = get_settings()
    table = Table("setting", "value", "from")
    for env_var, shown, origin in settings.dump():
        table.add_row(env_var, shown, origin)
    console.print(table)
    if not dump:
        console.print(
            "database:",
            settings.resolved_database_url if not settings.database_url else "(configured)",
        )


def _default_text(setting: Setting) -> str:
    if setting.name == "database_url":
        return "SQLite in the data folder"
    return f"`{setting.default}`"


def settings_markdown() -> str:
    """The README's settings table, generated so docs cannot drift from the registry."""
    lines = ["| variable | type | default | what it does |", "|---|---|---|---|"]
    for setting in REGISTRY:
        secret = " (secret: masked in `config --dump`)" if setting.secret else ""
        lines.append(
            f"| `{setting.env_var}` | {setting.type_name} | {_default_text(setting)} | "
            f"{setting.help}{secret} |"
        )
    return "\n".join(lines)
