"""Docs that cannot drift: generated blocks match the code, links resolve, the README stays a front door."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_generated_docs_are_current():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        from gen_docs import PAGES, render
    finally:
        sys.path.pop(0)
    assert {p.name for p in PAGES} == {"configuration.md", "cli.md"}
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert render(page, text) == text, f"{page.name} is stale: run `make docs`"


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


README_MAX_LINES = 250


def test_readme_is_a_front_door():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES


def test_every_readme_figure_is_the_one_in_the_benchmarks_page():
    """Each number in the README's results table appears in docs/benchmarks.md, as measured."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- results:start -->\n(.*?)<!-- results:end -->", readme, re.S)
    assert block and block.group(1).count("\n") >= 5
    figures = set(re.findall(r"\d[\d,]*\.\d+|\d{1,3}(?:,\d{3})+", block.group(1)))
    assert figures, "the results table holds no figure"
    page = (REPO / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert sorted(f for f in figures if f not in page) == []
    date = re.search(r"<!-- bench-date -->(\S+)<!-- /bench-date -->", readme)
    assert date and date.group(1) in page, "the README's run date is not the benchmarks page's"


def test_links_between_the_docs_resolve():
    broken = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(REPO)} → {target}")
    assert broken == []
