"""Cutting a backfill's inputs into units of work for the cluster, in input order.

A unit is a file's bytes, or for a big JSON-lines file a run of its lines, sized so a task
takes a second or a few (extraction, MinHash and embedding of ``items_per_task`` articles).
The client reads every file exactly as ``dateline ingest`` does (same size cap, gzip
inflated, kind detected), so a part still records its whole file's hash and kind, and the
tasks carry their bytes: workers need no shared file system.

A JSONL file is split only when it is valid UTF-8 (its declared encoding): a part of a file
in another encoding could be detected differently from the whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dateline.errors import InputError
from dateline.ingest.raw import InputKind, RawDocument
from dateline.ingest.sources import expand_inputs, load
from dateline.settings import Settings

# 50 articles: about 5 s of extraction, MinHash and embedding on one core of the 2-core
# bench machine (bench/ingest.py), inside Dask's comfortable 0.5-10 s a task
ITEMS_PER_TASK = 50


@dataclass(frozen=True)
class Unit:
    """One task's input: ``index`` orders the results; ``first_line`` is 1 unless a part."""

    index: int
    origin: str
    kind: InputKind
    data: bytes
    digest: str
    first_line: int = 1

    def document(self) -> RawDocument:
        return RawDocument(data=self.data, origin=self.origin, kind=self.kind, digest=self.digest)


@dataclass(frozen=True)
class Unreadable:
    """An input that could not be read at all (reported; the backfill goes on)."""

    where: str
    error: InputError


def plan(
    targets: Sequence[str], settings: Settings, items_per_task: int = ITEMS_PER_TASK
) -> Iterator[Unit | Unreadable]:
    """Units in input order, reading one file at a time (a million pages never sit in memory
    at once: the caller submits units as the cluster takes them)."""
    expanded, errors = expand_inputs(targets)
    for where, error in errors:
        yield Unreadable(where, error)
    index = 0
    for target in expanded:
        try:
            raw = load(target, settings)
        except InputError as exc:
            yield Unreadable(target, exc)
            continue
        digest = hashlib.sha256(raw.data).hexdigest()
        for first_line, part in _parts(raw, items_per_task):
            yield Unit(index, raw.origin, raw.kind, part, digest, first_line)
            index += 1


def _parts(raw: RawDocument, items_per_task: int) -> Iterator[tuple[int, bytes]]:
    if raw.kind is not InputKind.JSONL or raw.data.count(b"\n") < items_per_task * 2:
        yield 1, raw.data
        return
    try:
        raw.data.decode("utf-8")
    except UnicodeDecodeError:
        yield 1, raw.data
        return
    lines = raw.data.split(b"\n")
    if lines and not lines[-1].strip():
        lines.pop()  # the file's final newline: no empty task after the last line
    for start in range(0, len(lines), items_per_task):
        yield start + 1, b"\n".join(lines[start : start + items_per_task])
