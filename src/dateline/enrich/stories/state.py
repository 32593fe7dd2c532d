"""The core's records: one member, one story's running state, and what a step decided.

Pure data (numpy only), apart from the clusterer that fills it, so the store adapter and
the benchmark can read a :class:`Decision` or a story's window without the scoring code.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from dateline.enrich.stories.scoring import MEMBER_WINDOW, top_entities


@dataclass(frozen=True)
class _Member:
    vector: np.ndarray
    when: datetime | None
    entities: frozenset[str]
    words: tuple[str, ...]
    ref: int | None = None  # the article's id, when the story comes from the database


@dataclass
class _Story:
    """A story's running state: all-member size, dates and mean; the rest over its window."""

    key: int
    size: int = 0
    first: datetime | None = None
    last: datetime | None = None
    window: deque[_Member] = field(default_factory=deque)  # newest MEMBER_WINDOW members
    entities: Counter[str] = field(default_factory=Counter)  # over the window
    words: Counter[str] = field(default_factory=Counter)  # over the window
    word_total: int = 0
    _key_entities: frozenset[str] | None = field(default=None, init=False, repr=False)

    @property
    def key_entities(self) -> frozenset[str]:
        if self._key_entities is None:
            self._key_entities = frozenset(e for e, _ in top_entities(self.entities))
        return self._key_entities

    def push(self, member: _Member) -> None:
        self._key_entities = None
        self.window.append(member)
        self.entities.update(member.entities)
        self.words.update(member.words)
        self.word_total += len(member.words)
        while len(self.window) > MEMBER_WINDOW:
            old = self.window.popleft()
            _forget(self.entities, old.entities)
            _forget(self.words, old.words)
            self.word_total -= len(old.words)

    def refill(self, members: Iterable[_Member]) -> None:
        self._key_entities = None
        self.window.clear()
        self.entities.clear()
        self.words.clear()
        self.word_total = 0
        for member in members:
            self.push(member)


def _forget(counts: Counter[str], items: Iterable[str]) -> None:
    for item in items:
        counts[item] -= 1
        if counts[item] <= 0:
            del counts[item]


@dataclass(frozen=True)
class Decision:
    story: int  # the story key the item belongs to once the step is done
    new: bool
    score: float  # best score found (−inf when there was no story yet)
    merged: int | None = None  # a story key merged into ``story`` by this step
    split: tuple[int, int] | None = None  # (story, new story) a part left for, by this step
    moved: tuple[int | None, ...] = ()  # the refs of the members that part took


@dataclass(frozen=True)
class SplitPart:
    """A part of a story that should leave it (:meth:`OnlineStoryClusterer.split_part`)."""

    positions: list[int]  # in the story's window
    mean: np.ndarray  # the part's mean vector
    rest_mean: np.ndarray  # the whole story's mean without the part
