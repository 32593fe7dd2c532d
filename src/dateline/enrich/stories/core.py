"""The streaming clusterer: score an item against the stories, join or open one, regroup.

Pure (numpy and the word model only; nothing from the store or SQL): the benchmark runs it
on headlines alone and the store adapter (:mod:`.clusterer`) runs it against the database,
so it must not depend on either. The rules are in the package docstring; the numbers in
:mod:`.scoring`; the storage of rows in :mod:`.table`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from datetime import datetime

import numpy as np

from dateline.enrich.stories.scoring import (
    CANDIDATES,
    DIMENSIONS,
    ENTITY_WEIGHT,
    JOIN_THRESHOLD,
    MEAN_LINK_WEIGHT,
    MERGE_MIN_SIZE,
    MERGE_THRESHOLD,
    NATS_PER_POINT,
    SPLIT_EVERY,
    SPLIT_EVERY_UNTIL,
    SPLIT_MARGIN,
    SPLIT_MAX_COSINE,
    SPLIT_MIN_SIZE,
    merge_partner,
    range_gap_days,
    time_penalty,
)
from dateline.enrich.stories.state import Decision, SplitPart, _Story
from dateline.enrich.stories.table import StoryTable
from dateline.enrich.story_words import word_evidence


class OnlineStoryClusterer(StoryTable):
    """Single-pass story clustering over vectors; the library's and the benchmark's core.

    ``add(vector, when=None, entities=())`` returns the :class:`Decision` for the item and
    records it. Story keys are 0, 1, 2, … unless ``add_story`` loaded others. With
    ``regroup=True`` converging stories merge and a story splits off a part that does not
    belong (see the package docstring); the database runs the core without, over a subset of
    stories, and regroups itself with the core's rules (:meth:`merge_partner_key`,
    :meth:`split_part`) against all of them.
    """

    def __init__(
        self,
        *,
        threshold: float = JOIN_THRESHOLD,
        mean_weight: float = MEAN_LINK_WEIGHT,
        candidates: int = CANDIDATES,
        dim: int = DIMENSIONS,
        regroup: bool = True,
    ) -> None:
        super().__init__(dim)
        self.threshold = threshold
        self.mean_weight = mean_weight
        self.candidates = candidates
        self.regroup = regroup

    def _gap_days(self, story: _Story, when: datetime | None) -> float | None:
        dates = [m.when for m in story.window if m.when is not None]
        if when is None or not dates:
            return None
        return min(abs((when - d).total_seconds()) for d in dates) / 86400.0

    def _candidates(self, vector: np.ndarray) -> tuple[list[int], np.ndarray]:
        """The live rows with the best ``candidates`` mean links, and those links."""
        n = len(self._stories)
        mean_link = np.where(self._alive[:n], self._means[:n] @ vector, -np.inf)
        k = min(self.candidates, len(self._row_of))
        if k < n:
            rows = np.argpartition(-mean_link, k - 1)[:k].tolist()
        else:
            rows = [r for r in range(n) if self._alive[r]]
        return rows, mean_link[rows]

    def candidate_keys(self, vector: np.ndarray) -> list[int]:
        """The stories :meth:`scores` would score for ``vector`` (their members are needed).

        Passed back as ``add(..., candidates=)``, they spare a second scan of the means.
        """
        if not self._row_of:
            return []
        rows, _ = self._candidates(np.asarray(vector, dtype=np.float32))
        return [self._stories[row].key for row in rows]

    def scores(
        self,
        vector: np.ndarray,
        when: datetime | None = None,
        entities: Collection[str] = (),
        words: Sequence[str] = (),
        *,
        candidates: Sequence[int] | None = None,
    ) -> list[tuple[int, float]]:
        """(story key, score) for the candidate stories (or these keys), best first."""
        if not self._row_of:
            return []
        if candidates is None:
            rows, mean_link = self._candidates(vector)
        else:
            rows = [self._row_of[k] for k in candidates]
            mean_link = self._means[rows] @ vector
        stories = [self._stories[row] for row in rows]
        evidence = word_evidence([s.words for s in stories], [s.word_total for s in stories], words)
        ents = frozenset(entities)
        out: list[tuple[int, float]] = []
        links = mean_link.tolist()
        for row, story, nats, link in zip(rows, stories, evidence.tolist(), links, strict=True):
            nearest = float(np.max(self._member_matrix(row) @ vector))
            out.append((story.key, self._score(story, link, nearest, nats, when, ents)))
        out.sort(key=lambda ks: (-ks[1], ks[0]))
        return out

    def _score(
        self,
        story: _Story,
        mean_link: float,
        nearest: float,
        nats: float,
        when: datetime | None,
        entities: frozenset[str],
    ) -> float:
        """An item's score against a story, from its links, word evidence, date and entities."""
        score = self.mean_weight * mean_link + (1 - self.mean_weight) * nearest
        score += nats / NATS_PER_POINT
        score -= time_penalty(self._gap_days(story, when))
        if entities and story.entities:
            score += ENTITY_WEIGHT * len(entities & story.key_entities) / len(entities)
        return score

    def add(
        self,
        vector: np.ndarray,
        when: datetime | None = None,
        entities: Collection[str] = (),
        *,
        words: Sequence[str] = (),
        new_key: int | None = None,
        ref: int | None = None,
        candidates: Sequence[int] | None = None,
        threshold: float | None = None,
    ) -> Decision:
        """Assign one item: join the best story at or above the threshold, or open one.

        ``words`` are the item's :func:`~dateline.enrich.story_words.headline_words`;
        without them only the vectors (and time, entities) decide. ``threshold`` is this
        item's, when it differs from the clusterer's (an article embedded with its lead).
        """
        vector = np.asarray(vector, dtype=np.float32)
        words = list(words)
        ranked = self.scores(vector, when, entities, words, candidates=candidates)
        if ranked and ranked[0][1] >= (self.threshold if threshold is None else threshold):
            key, score = ranked[0]
            row = self._row_of[key]
            self._record(row, vector, when, entities, words, ref)
            if not self.regroup:
                return Decision(story=key, new=False, score=score)
            kept, merged = self._merge_converged(row)
            if merged is not None:
                return Decision(story=kept, new=False, score=score, merged=merged)
            part = self.split_part(key)
            if part is None:
                return Decision(story=key, new=False, score=score)
            went = len(self._stories[row].window) - 1 in part.positions  # the newest item
            new_key = self._split_off(key, part)
            refs = tuple(m.ref for m in self.story(new_key).window)
            return Decision(
                story=new_key if went else key,
                new=False,
                score=score,
                split=(key, new_key),
                moved=refs,
            )
        key = self._next_key if new_key is None else new_key
        row = self._new_row(key)
        self._record(row, vector, when, entities, words, ref)
        return Decision(story=key, new=True, score=ranked[0][1] if ranked else -math.inf)

    def split_part(self, key: int) -> SplitPart | None:
        """The part of ``key``'s window that should leave the story, if any.

        The rule is in the package docstring. Only the members held (the newest
        ``MEMBER_WINDOW``) can leave; the rest's mean is the whole story's without them.
        """
        row = self._row_of[key]
        story = self._stories[row]
        if story.size > SPLIT_EVERY_UNTIL and story.size % SPLIT_EVERY:
            return None
        if len(story.window) < 2 * SPLIT_MIN_SIZE:
            return None
        mat = self._member_matrix(row)
        part = _smaller_half(mat)
        if part is None:
            return None
        positions = np.flatnonzero(part).tolist()
        if len(positions) < SPLIT_MIN_SIZE:
            return None
        part_sum = mat[part].sum(axis=0)
        part_mean = part_sum / len(positions)
        rest_mean = (self._means[row] * story.size - part_sum) / (story.size - len(positions))
        if _cosine(part_mean, rest_mean) >= SPLIT_MAX_COSINE:
            return None
        window = list(story.window)
        rest = _Story(key=key)
        rest.refill(m for m, p in zip(window, part.tolist(), strict=True) if not p)
        rest_mat = mat[~part]
        scores = []
        for position in positions:
            member = window[position]
            nats = float(word_evidence([rest.words], [rest.word_total], member.words)[0])
            link = float(rest_mean @ member.vector)
            nearest = float(np.max(rest_mat @ member.vector))
            scores.append(self._score(rest, link, nearest, nats, member.when, member.entities))
        if float(np.mean(scores)) >= self.threshold - SPLIT_MARGIN:
            return None
        return SplitPart(positions, part_mean, rest_mean)

    def _split_off(self, key: int, part: SplitPart) -> int:
        """Move the window members of ``part`` to a new story; its key."""
        row = self._row_of[key]
        story = self._stories[row]
        leaving = set(part.positions)
        window = list(story.window)
        staying = [m for n, m in enumerate(window) if n not in leaving]
        size = story.size - len(leaving)
        new_key = self._next_key
        new_row = self._new_row(new_key)
        for n in part.positions:
            m = window[n]
            self._record(new_row, m.vector, m.when, m.entities, m.words, m.ref)
        story.refill(staying)
        story.size = size
        self._set_mean(row, part.rest_mean)
        self._member_mats[row] = None
        dates = [m.when for m in staying if m.when is not None]
        if dates and len(staying) == size:  # all members held: the span is theirs
            story.first, story.last = min(dates), max(dates)
        return new_key

    def merge_partner_key(self, key: int) -> int | None:
        """The story that ``key``'s story has converged on (:func:`merge_partner`), if any."""
        row = self._partner_row(self._row_of[key])
        return None if row is None else self._stories[row].key

    def _partner_row(self, row: int) -> int | None:
        story = self._stories[row]
        if story.size < MERGE_MIN_SIZE:
            return None
        # The time penalty only lowers a score, so a story whose mean is below the
        # threshold before it cannot merge: the gaps are computed for the few above it.
        # (A hair of slack: the cached lengths may differ from merge_partner's in the last
        # bit; merge_partner decides.)
        n = len(self._stories)
        mean = self._means[row]
        norms = self._norms[:n] * max(float(self._norms[row]), 1e-12)
        cosine = (self._means[:n] @ mean) / np.maximum(norms, 1e-12)
        near = np.flatnonzero(self._alive[:n] & (cosine >= MERGE_THRESHOLD - 1e-4)).tolist()
        rows = [r for r in near if r != row and self._stories[r].size >= MERGE_MIN_SIZE]
        span = (story.first, story.last)
        gaps = [range_gap_days(span, (self._stories[r].first, self._stories[r].last)) for r in rows]
        hit = merge_partner(mean, self._means[rows], gaps)
        return None if hit is None else rows[hit]

    def _merge_converged(self, row: int) -> tuple[int, int | None]:
        """Merge ``row``'s story with the one it converged on, if any: (kept key, merged key)."""
        story = self._stories[row]
        other = self._partner_row(row)
        if other is None:
            return story.key, None
        keep, drop = (row, other) if story.size >= self._stories[other].size else (other, row)
        self._absorb(keep, drop)
        return self._stories[keep].key, self._stories[drop].key

    def _absorb(self, keep: int, drop: int) -> None:
        """Fold story row ``drop`` into ``keep``; ``drop`` is never scored again."""
        a, b = self._stories[keep], self._stories[drop]
        total = a.size + b.size
        self._set_mean(keep, (self._means[keep] * a.size + self._means[drop] * b.size) / total)
        a.size += b.size
        members = [*a.window, *b.window]
        if all(m.when is not None for m in members):
            members.sort(key=lambda m: m.when or datetime.min)
        a.refill(members)  # the newest of both by date (undated: the absorbed one's last)
        self._member_mats[keep] = None
        a.first = min((d for d in (a.first, b.first) if d is not None), default=None)
        a.last = max((d for d in (a.last, b.last) if d is not None), default=None)
        del self._row_of[b.key]
        self._release(drop)


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b) / max(float(np.linalg.norm(a) * np.linalg.norm(b)), 1e-12)


def _smaller_half(mat: np.ndarray, iterations: int = 8) -> np.ndarray | None:
    """The smaller side (a boolean mask over rows) of a spherical 2-means of ``mat``.

    Seeded by the mean and the row farthest from it, so the result depends only on the
    rows and their order; None when every row lands on one side.
    """
    mean = mat.mean(axis=0)
    centres = np.stack([mean, mat[int(np.argmin(mat @ mean))]])
    side: np.ndarray | None = None
    for _ in range(iterations):
        centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
        new = (mat @ centres[1]) > (mat @ centres[0])
        if side is not None and bool((new == side).all()):
            break
        side = new
        if bool(side.all()) or not bool(side.any()):
            return None
        centres = np.stack([mat[~side].mean(axis=0), mat[side].mean(axis=0)])
    assert side is not None
    return side if int(side.sum()) <= len(side) - int(side.sum()) else ~side
