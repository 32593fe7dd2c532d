"""Regenerate the settings table and the command reference in docs/ (checked by tests/test_docs.py).

Each generated block sits between ``<!-- name:start -->`` and ``<!-- name:end -->`` in
its page; the prose around it is written by hand and left alone.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from dateline.cli.config_cmd import settings_markdown
from dateline.cli.main import app
from dateline.cli.reference import cli_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES: dict[Path, dict[str, Callable[[], str]]] = {
    DOCS / "configuration.md": {"settings": settings_markdown},
    DOCS / "cli.md": {"cli": lambda: cli_markdown(app)},
}


def render(page: Path, text: str) -> str:
    """``text`` of ``page`` with its generated blocks made anew from the code."""
    for name, make in PAGES[page].items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n)(?:.*?\n)?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            sys.exit(f"{page.name} has no <!-- {name}:start/end --> block")
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":
    for page in PAGES:
        page.write_text(render(page, page.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"updated {page}")
