"""Every regular expression that sees untrusted text, and inputs crafted to make it slow.

Shared by ``tests/test_regex_growth.py`` (growth with input size must be near-linear) and
``bench/regex_growth.py`` (seconds per MB of the worst input of each).

The patterns are found, not listed: every compiled pattern at module level in the packages
that read pages, feeds, files, queries and cookies. A pattern compiled inside a function
from our own words (a title's words, a date's spellings) is covered by its caller's tests.

The inputs follow the shapes that make backtracking engines slow: a long run of a
character the pattern can take, alone, then followed by one that makes the match fail at
the very end, and runs of two characters in turn. The characters come from the pattern's
own source (its literals and the classes it names), plus a few every text has.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import regex

# The packages whose modules see untrusted text (pages, feeds, files, requests, cookies).
PACKAGES = ("extract", "ingest", "enrich", "store", "web", "crawl", "readers")
MODULES = ("dateline.safetext",)
# Characters every text has, and the ones a class like \s, \w or \d stands for.
COMMON = " a1.\n-"
CLASS_CHARS = {
    "\\s": " \t\u00a0",
    "\\w": "a_é",
    "\\d": "1",
    "\\S": "x",
    "\\W": "!",
    "\\D": "x",
    ".": "x",
}
# A character no pattern here expects at a match's end.
SPOILER = "\x00"


@dataclass(frozen=True)
class Case:
    name: str  # module.NAME
    pattern: Any  # re.Pattern or regex.Pattern


def cases() -> list[Case]:
    import dateline

    found: dict[str, Case] = {}
    names = [
        info.name
        for package in PACKAGES
        for info in pkgutil.walk_packages(
            importlib.import_module(f"dateline.{package}").__path__, f"dateline.{package}."
        )
    ]
    for module_name in [*names, *MODULES]:
        module = importlib.import_module(module_name)
        for attr, value in vars(module).items():
            patterns = value.values() if isinstance(value, dict) else [value]
            for n, pattern in enumerate(patterns):
                if isinstance(pattern, re.Pattern | regex.Pattern) and isinstance(
                    pattern.pattern, str
                ):
                    key = f"{module_name}.{attr}" + (f"[{n}]" if isinstance(value, dict) else "")
                    found.setdefault(key, Case(key, pattern))
    assert dateline  # imported for its package path
    return sorted(found.values(), key=lambda c: c.name)


def alphabet(pattern: str) -> str:
    """Characters the pattern mentions (literals and named classes), and common ones."""
    chars = dict.fromkeys(COMMON)
    for escape, stand_ins in CLASS_CHARS.items():
        if escape in pattern:
            chars.update(dict.fromkeys(stand_ins))
    for ch in re.sub(r"\\[pPN]\{[^}]*\}|\\[a-zA-Z]|\(\?[A-Za-z<>=!:P]*", "", pattern):
        if ch not in "()[]{}?*+|^$\\":
            chars[ch] = None
    return "".join(chars)[:24]


@dataclass(frozen=True)
class Shape:
    """An input shape: ``prefix + unit * k + suffix`` for about ``size`` characters."""

    label: str
    unit: str
    prefix: str = ""
    suffix: str = ""

    def text(self, size: int) -> str:
        return self.prefix + self.unit * max(1, size // len(self.unit)) + self.suffix


def shapes(pattern: str) -> list[Shape]:
    letters = alphabet(pattern)
    found = []
    for a in letters:
        found.append(Shape(f"{a!r}*n", a))
        found.append(Shape(f"{a!r}*n+spoiler", a, suffix=SPOILER))
        found.append(Shape(f"x+{a!r}*n+spoiler", a, prefix="x", suffix=SPOILER))
    for a in letters[:8]:
        for b in letters[:8]:
            if a != b:
                found.append(Shape(f"({a!r}{b!r})*n+spoiler", a + b, suffix=SPOILER))
    return found


def inputs(pattern: str, size: int) -> Iterator[tuple[str, str]]:
    """(label, text) pairs of about ``size`` characters."""
    for shape in shapes(pattern):
        yield shape.label, shape.text(size)


def seconds(pattern: Any, text: str, repeat: int = 2) -> float:
    """The best of ``repeat`` full scans (every match found, as sub, split and findall do)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _match in pattern.finditer(text):
            pass
        pattern.match(text)
        best = min(best, time.perf_counter() - started)
    return best


def worst(case: Case, size: int) -> tuple[Shape, float]:
    """The slowest input shape at ``size`` characters for this pattern, and its seconds."""
    timed = [
        (seconds(case.pattern, shape.text(size), repeat=1), shape)
        for shape in shapes(case.pattern.pattern)
    ]
    took, shape = max(timed, key=lambda pair: pair[0])
    return shape, took
