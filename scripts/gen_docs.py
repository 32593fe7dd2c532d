"""Regenerate the README's settings table and CLI reference (checked by tests/test_docs.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from dateline.cli.config_cmd import settings_markdown
from dateline.cli.main import app
from dateline.cli.reference import cli_markdown

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = {"settings": settings_markdown, "cli": lambda: cli_markdown(app)}


def render(text: str) -> str:
    for name, make in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            sys.exit(f"README.md has no <!-- {name}:start/end --> block")
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {README}")
