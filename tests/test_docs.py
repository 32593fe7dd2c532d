"""Docs that cannot drift: the README's generated blocks match the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_readme_generated_blocks_are_current():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from gen_docs import README, render
    finally:
        sys.path.pop(0)
    text = README.read_text(encoding="utf-8")
    assert render(text) == text, "README.md is stale: run `make docs`"


def test_readme_shows_the_two_commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make demo" in text and "make test" in text


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO / ".ci" / "run").read_text()


def test_console_script_is_installed():
    out = subprocess.run(
        [sys.executable, "-m", "dateline.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("dateline ")
