"""Help screens without Typer's type artefacts (``{TARGETS}...``, ``<bool>``, ``<list[str]>``).

This Typer renders every parameter's Python type in angle brackets and wraps required
arguments in braces on the usage line. For a person reading ``--help`` a flag has no value
to describe, and an argument's name already says what it is. So: flags show no type,
options show a plain value name (``INTEGER``, ``TEXT``, ``PATH``, ``[json|text]``) unless
they give their own ``metavar``, arguments show their name only, and the usage line reads
``TARGET...`` (required) or ``[FILE]`` (optional). Applied once, when the app is built.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption

_VALUE_NAMES = {
    "int": "INTEGER",
    "float": "FLOAT",
    "str": "TEXT",
    "path": "PATH",
    "file": "FILE",
    "directory": "DIRECTORY",
    "datetime": "DATETIME",
}


def _value_name(label: str) -> str:
    bare = label.strip("<>")
    if "|" in bare and not bare.startswith("list["):
        return f"[{bare}]"  # a choice: its values are the best description
    return _VALUE_NAMES.get(bare, bare.upper())


def _option_type(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag or self.count:
        return None
    if self.metavar is not None:
        return str(self.metavar)
    shown = _value_name(self.display_type(ctx))
    return f"{shown}..." if self.nargs != 1 else shown


def _argument_type(self: TyperArgument, ctx: Any) -> str | None:
    return None  # the argument's name (its metavar) is in the first column already


def argument_usage(self: TyperArgument) -> str:
    """How an argument reads on the usage line (and in docs/cli.md)."""
    name = self.display_name_raw.upper() if self.metavar is None else self.display_name_raw
    if self.nargs != 1 and not name.endswith("..."):
        name += "..."
    return name if self.required else f"[{name}]"


def install() -> None:
    """Use these renderings for every command of this process's app."""
    setattr(TyperOption, "display_type_rich", _option_type)  # noqa: B010
    setattr(TyperArgument, "display_type_rich", _argument_type)  # noqa: B010
    setattr(TyperArgument, "_usage_display_name", argument_usage)  # noqa: B010
