"""The in-memory core's storage: story rows, their means, members and the loading API.

Pure (numpy only). Kept apart from the decisions (:mod:`.core`) because it is the part
the store adapter drives directly (load a story, set its whole-story state, forget its
members), and because row bookkeeping (free rows, grown matrices, cached member matrices)
is a job of its own beside scoring, merging and splitting.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

import numpy as np

from dateline.enrich.stories.state import _Member, _Story


class StoryTable:
    """The core's stories as rows: a matrix of mean vectors, each row's state and members.

    Rows of stories merged or dropped are reused. :class:`OnlineStoryClusterer` decides;
    this only keeps what it decided, and what the database loads into it.
    """

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._means = np.zeros((16, dim), dtype=np.float32)  # mean member vector per row
        self._norms = np.zeros(16, dtype=np.float32)  # their lengths (for the merge check)
        self._alive = np.zeros(16, dtype=bool)  # False once merged into another row
        self._member_mats: list[np.ndarray | None] = []
        self._stories: list[_Story] = []
        self._next_key = 0
        self._row_of: dict[int, int] = {}
        self._free: list[int] = []  # rows of stories merged or dropped, to reuse

    def __len__(self) -> int:
        return len(self._row_of)

    @property
    def story_keys(self) -> list[int]:
        return [s.key for row, s in enumerate(self._stories) if self._alive[row]]

    def _new_row(self, key: int) -> int:
        if self._free:
            row = self._free.pop()
            self._stories[row] = _Story(key=key)
            self._member_mats[row] = None
        else:
            row = len(self._stories)
            if row >= len(self._means):
                grown = np.zeros((2 * len(self._means), self.dim), dtype=np.float32)
                grown[:row] = self._means[:row]
                self._means = grown
                self._norms = np.concatenate([self._norms, np.zeros_like(self._norms)])
                self._alive = np.concatenate([self._alive, np.zeros_like(self._alive)])
            self._stories.append(_Story(key=key))
            self._member_mats.append(None)
        self._set_mean(row, 0.0)
        self._alive[row] = True
        self._row_of[key] = row
        self._next_key = max(self._next_key, key + 1)
        return row

    def _set_mean(self, row: int, mean: np.ndarray | float) -> None:
        self._means[row] = mean
        self._norms[row] = np.linalg.norm(self._means[row])

    def _release(self, row: int) -> None:
        """The row's story is gone (merged or dropped): never scored again, reused later."""
        self._alive[row] = False
        self._stories[row].refill(())
        self._member_mats[row] = None
        self._free.append(row)

    def _record(
        self,
        row: int,
        vector: np.ndarray,
        when: datetime | None,
        entities: Iterable[str],
        words: Sequence[str],
        ref: int | None = None,
    ) -> None:
        story = self._stories[row]
        n = story.size
        self._set_mean(row, (self._means[row] * n + vector) / (n + 1))
        story.size = n + 1
        story.push(_Member(vector, when, frozenset(entities), tuple(words), ref))
        self._member_mats[row] = None
        if when is not None:
            story.first = when if story.first is None else min(story.first, when)
            story.last = when if story.last is None else max(story.last, when)

    def add_story(
        self,
        key: int,
        vectors: Sequence[np.ndarray],
        dates: Sequence[datetime | None] = (),
        entities: Iterable[Collection[str]] = (),
        words: Sequence[Sequence[str]] = (),
        *,
        refs: Sequence[int] = (),
        mean: np.ndarray | None = None,
        size: int | None = None,
        span: tuple[datetime | None, datetime | None] | None = None,
    ) -> None:
        """Load an existing story (e.g. from the database) with its members, oldest first.

        ``mean``, ``size`` and ``span`` (first, last date), when given, are the whole
        story's (the members may be only its newest ``MEMBER_WINDOW``). A story already
        held is loaded afresh.
        """
        row = self._row_of.get(key)
        if row is None:
            row = self._new_row(key)
        else:
            self._stories[row] = _Story(key=key)
            self._set_mean(row, 0.0)
            self._member_mats[row] = None
        ents = list(entities)
        for i, vector in enumerate(vectors):
            self._record(
                row,
                np.asarray(vector, dtype=np.float32),
                dates[i] if i < len(dates) else None,
                ents[i] if i < len(ents) else (),
                words[i] if i < len(words) else (),
                refs[i] if i < len(refs) else None,
            )
        self.set_story(key, mean=mean, size=size, span=span)

    def set_story(
        self,
        key: int,
        *,
        mean: np.ndarray | None = None,
        size: int | None = None,
        span: tuple[datetime | None, datetime | None] | None = None,
    ) -> None:
        """Set a held story's whole-story state, keeping its members (none if not loaded)."""
        row = self._row_of.get(key)
        if row is None:
            row = self._new_row(key)
        story = self._stories[row]
        if mean is not None:
            self._set_mean(row, mean)
        if size is not None:
            story.size = size
        if span is not None:
            story.first, story.last = span

    def forget_members(self, key: int) -> None:
        """Drop a story's members but keep its mean, size and span (to be loaded again)."""
        row = self._row_of[key]
        self._stories[row].refill(())
        self._member_mats[row] = None

    def drop_story(self, key: int) -> None:
        """Stop holding a story (it was deleted, or merged into another)."""
        row = self._row_of.pop(key, None)
        if row is not None:
            self._release(row)

    def story(self, key: int) -> _Story:
        """A held story's state (members are the newest ``MEMBER_WINDOW``)."""
        return self._stories[self._row_of[key]]

    def mean(self, key: int) -> np.ndarray:
        return self._means[self._row_of[key]]

    def _member_matrix(self, row: int) -> np.ndarray:
        mat = self._member_mats[row]
        if mat is None:
            window = self._stories[row].window
            # a story held without members (none embeddable) has no nearest link
            mat = (
                np.stack([m.vector for m in window])
                if window
                else np.zeros((1, self.dim), np.float32)
            )
            self._member_mats[row] = mat
        return mat
