"""The install is reproducible: the lock pins, with hashes, every dependency pyproject names.

`make lock` regenerates ``requirements.lock``; these tests fail when someone adds a
dependency to ``pyproject.toml`` and forgets to, or when the lock and the installed
environment the tests run in disagree.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def _pins() -> dict[str, str]:
    return {canonicalize_name(n): v for n, v in PIN.findall(LOCK.read_text(encoding="utf-8"))}


def _declared() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    names = [*project["dependencies"], *(r for group in extras.values() for r in group)]
    return [Requirement(r) for r in names]


def test_every_declared_dependency_is_pinned_within_its_range():
    pins = _pins()
    problems = []
    for req in _declared():
        name = canonicalize_name(req.name)
        if name == "torch":
            continue  # installed alone from the local CPU build (see the Makefile)
        if name not in pins:
            problems.append(f"{name}: not in the lock")
        elif not req.specifier.contains(pins[name], prereleases=True):
            problems.append(f"{name}: locked {pins[name]} outside {req.specifier}")
    assert problems == []


def test_every_pin_carries_a_hash():
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text(encoding="utf-8"))
    unhashed = [b.split()[0] for b in blocks if PIN.match(b) and "--hash=sha256:" not in b]
    assert unhashed == []
    assert len(_pins()) > 50  # the whole stack, not a few top-level names


def test_torch_stays_out_of_the_lock():
    assert "torch" not in _pins()


def test_the_environment_the_tests_run_in_is_the_lock():
    pins = _pins()
    differ = {}
    for name, version in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != version:
            differ[name] = (version, installed)
    assert differ == {}
