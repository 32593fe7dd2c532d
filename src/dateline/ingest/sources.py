"""Turning what a user typed (URLs, files, folders, globs) into inputs, and loading one.

Expansion never raises: a batch of a thousand inputs should not die because one pattern was
mistyped, so failures come back as ``(target, error)`` pairs beside the inputs found. A file
named explicitly is always tried (its reader will say if it cannot cope); files found by
searching (a folder walk or a glob) are kept only when their extension is one we read, so
pointing Dateline at a dataset folder skips its README, licences and embeddings.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

from dateline.errors import InputError
from dateline.ingest.detect import SNIFF_BYTES, detect_kind, kind_for_name, supported_extensions
from dateline.ingest.fetch import check_url, fetch_url
from dateline.ingest.files import read_file
from dateline.ingest.raw import RawDocument
from dateline.settings import Settings

# MIND ships its impressions log beside news.tsv with the same extension; it is not news.
SKIP_IN_SEARCH = frozenset({"behaviors.tsv", "behaviors.tsv.gz"})
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_GLOB_CHARS = re.compile(r"[*?[]")


def is_url(target: str) -> bool:
    """Anything with a scheme is treated as a URL (and refused later unless http/https)."""
    return _URL.match(target) is not None


def expand_inputs(targets: Sequence[str]) -> tuple[list[str], list[tuple[str, InputError]]]:
    """Inputs in a stable order (as given; folders and globs sorted), each once, plus errors."""
    found: list[str] = []
    errors: list[tuple[str, InputError]] = []
    seen: set[str] = set()

    def add(item: str) -> None:
        key = item if is_url(item) else os.path.realpath(item)
        if key not in seen:
            seen.add(key)
            found.append(item)

    for target in targets:
        try:
            for item in _expand_one(target):
                add(item)
        except InputError as exc:
            errors.append((target, exc))
    return found, errors


def _expand_one(target: str) -> list[str]:
    if is_url(target):
        check_url(target)
        return [target]
    path = Path(target).expanduser()
    if path.is_dir():
        files = list(_walk(path))
        if not files:
            raise InputError(f"{target}: directory holds no files we read ({_supported()})")
        return files
    if path.exists() or path.is_symlink():
        return [str(path)]  # named explicitly: always tried, whatever its extension
    if not _GLOB_CHARS.search(target):
        raise InputError(f"{target}: no such file or directory")
    # glob.glob, not Path.glob: the pattern may be absolute or start with "..".
    matches = sorted(glob.glob(str(path), recursive=True))  # noqa: PTH207
    if not matches:
        raise InputError(f"{target}: pattern matched no files")
    files = []
    for match in matches:
        matched = Path(match)
        if matched.is_dir():
            files.extend(_walk(matched))
        elif _searchable(matched.name):
            files.append(match)
    if not files:
        raise InputError(
            f"{target}: pattern matched {len(matches)} path(s), none a file we read "
            f"({_supported()})"
        )
    return files


def _walk(root: Path) -> Iterator[str]:
    """Files under ``root`` we can read, sorted, hidden files and folders (``.git``) skipped.

    Symlinked folders are not followed (a link back up would loop); symlinked files are read.
    """
    found: list[Path] = []
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        found.extend(Path(folder, name) for name in filenames if _searchable(name))
    yield from (str(p) for p in sorted(found, key=lambda p: p.relative_to(root).parts))


def _searchable(name: str) -> bool:
    return (
        not name.startswith(".")
        and name.lower() not in SKIP_IN_SEARCH
        and kind_for_name(name) is not None
    )


def _supported() -> str:
    return "extensions " + " ".join(supported_extensions()) + ", each optionally .gz"


def load(target: str, settings: Settings, client: httpx.Client | None = None) -> RawDocument:
    """One input's bytes and kind: a URL is fetched, anything else read as a local file.

    Pass a shared ``client`` when loading many URLs, to reuse connections.
    """
    if is_url(target):
        return fetch_url(target, settings, client)
    path = Path(target).expanduser()
    data = read_file(path, settings.max_input_bytes)
    return RawDocument(data=data, origin=str(path), kind=detect_kind(str(path), data[:SNIFF_BYTES]))
