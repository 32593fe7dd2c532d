"""The README's CLI reference, generated from the Typer app so it cannot drift."""

from __future__ import annotations

from typing import Any

import typer

from dateline.cli.help_style import argument_usage


def cli_markdown(app: typer.Typer) -> str:
    root = typer.main.get_command(app)
    lines = ["| command | what it does | options |", "|---|---|---|"]
    for path, command in _walk(root, "dateline"):
        summary = (command.help or "").strip().split("\n")[0]
        options = []
        for param in command.params:
            opts = getattr(param, "opts", [])
            if param.param_type_name == "argument":
                options.append(f"`{argument_usage(param)}`")
            elif not getattr(param, "hidden", False) and "--help" not in opts:
                options.append(" / ".join(f"`{o}`" for o in opts))
        lines.append(f"| `{path}` | {summary} | {', '.join(options)} |")
    return "\n".join(lines)


def _walk(command: Any, path: str) -> list[tuple[str, Any]]:
    """Leaf commands with their full paths; Typer vendors click, so this duck-types groups."""
    subcommands = getattr(command, "commands", None)
    if subcommands:
        found: list[tuple[str, Any]] = []
        for name in sorted(subcommands):
            found.extend(_walk(subcommands[name], f"{path} {name}"))
        return found
    return [(path, command)]
