"""Story clustering, online: each article joins the running story it fits best, or opens one.

**The core** (:class:`OnlineStoryClusterer`, in memory, no database) sees items one at a
time and decides at once; past decisions are never revisited. An item's score against a
story is

    score = MEAN_LINK_WEIGHT · mean cosine to the story's members   (average link)
          + (1 − MEAN_LINK_WEIGHT) · cosine to its nearest member    (single link)
          + word evidence / NATS_PER_POINT
          − time penalty + entity boost

and it joins the best-scoring story when the score reaches the join threshold. The mean link
(computed exactly from the stored mean vector) keeps a story on topic; the nearest-member
link lets a thread grow along its newest turn (a story is a thread, not a ball). Both are
cosines of L2-normalised MiniLM vectors (:mod:`dateline.enrich.embed`).

**Two thresholds**, by what was embedded: ``JOIN_THRESHOLD`` for an item embedded from its
headline alone (calibrated on the headline benchmark, ``bench/stories.py``) and
``ARTICLE_JOIN_THRESHOLD`` for an article embedded from its headline and lead (calibrated
on hand-labelled whole articles over two years, ``bench/story_articles.py``). The second is
higher, for two measured reasons: headlines with their leads score higher against each
other than headlines alone do (over all pairs of the demo corpus's articles, nearly all
unrelated, the 99th percentile of the cosine is 0.44 against 0.39), and an archive that
runs for months holds many look-alike events (two fires, two hurricanes, two obituaries a
week apart) that the headline benchmark's two-day sample does not, so a join must be
surer.

**Words** — embeddings know topics, stories are carried by names: the word evidence
(:mod:`dateline.enrich.story_words`) is the log-likelihood ratio of the headline's words
under the story's word counts against an unseen story, a Dirichlet multinomial mixture as
in short-text stream clustering (MStream). It keeps two celebrity stories apart and pulls
a headline that shares the story's rare names in. On the benchmark's dev half it took the
streaming BCubed F1 from 0.838 to 0.877 (mean of 8 arrival orders).

**Time** — stories are running threads that may last months, so there is no hard window:
the penalty grows smoothly with the gap between the article's date and the nearest date
already in the story, ``DECAY_MAX · (1 − 2^(−gap / HALF_LIFE_DAYS))``. A week costs ~0.04
(close follow-ups join), three months ~0.29 (only clearly matching articles continue the
thread), two years the full ``DECAY_MAX`` (only near-restatements would). Items without a
date (the benchmark) pay nothing.

**Merges** — a single pass cannot undo an early split: when a story's first headlines
happen to fall either side of the threshold it opens twice, and both fragments then grow.
After each join, if the story (of at least ``MERGE_MIN_SIZE`` members) has a mean vector
within ``MERGE_THRESHOLD`` cosine (less the time penalty between the two stories' date
ranges) of another such story, the smaller is merged into the larger: later articles find
one story. The core never relabels the items already decided (the benchmark's rule); the
database moves the merged story's articles and keeps its id as a redirect
(``stories.merged_into``), so links and feed subscriptions to it still work.

**Splits** — the opposite mistake: a story takes in the first headline of another event
because it scored just over the threshold ("Taylor Swift tops the music rich list, beating
Justin Timberlake" joining a Bieber–Gomez story on "Justin" and celebrity), and from then on
that event's later headlines find it there by their nearest member and shared words, so
the two grow as one (a chain). After each join that merged nothing, the story's window is
divided in two (spherical 2-means, seeded by its mean and the member farthest from it); if
the smaller part has ``SPLIT_MIN_SIZE`` members, its mean is below ``SPLIT_MAX_COSINE`` to
the rest's, and its members score on average below the join threshold less
``SPLIT_MARGIN`` against the rest (by the same score, with the rest's words, entities and
dates: they would not have joined it on their own), the part leaves as a story of its own
and later articles of that event find it. The core leaves the items already decided where
they were; the database moves the part's articles to the new story (a re-clustering of the
past, as merges are). The bar used is the clusterer's own (the headline one, the lower, for
the store): a split needs stronger evidence than a join.

**Entities** — optional. An :data:`EntityProvider` maps article ids to entity keys (e.g.
``"PERSON:sergey lavrov"``); the boost is ``ENTITY_WEIGHT`` × the share of the article's
entities that are among the story's key entities. :func:`store_entities` reads the
``article_entities`` table (filled by the entities stage) and returns nothing while it is
empty, so clustering works with or without entities; pass ``entities=no_entities`` to turn
the signal off, or any callable of the same shape to plug in another extractor.

**Persistence** — :class:`StoryClusterer` runs the same core against the database:
``assign(session, article_id)`` (idempotent: an article that has a story keeps it) and
``rebuild(session, since)`` (forget the range's assignments, replay it in date order).
One clusterer is kept for a whole enrich run and holds the stories in memory: every live
story's mean, size and dates, and the newest ``MEMBER_WINDOW`` members of the stories it
scored most lately (up to ``HELD_MEMBERS`` members). Every write of a story row raises
its ``revision`` above all others, under one lock (:func:`lock_stories`), so per article
the clusterer reads only the rows changed since it last looked (by itself or by another
process); a count of live stories catches rows deleted since. An article therefore costs
a scan of the means in memory and the members of candidate stories not held yet, and
writing the story it joins reads none of that story's members. A held clusterer decides
exactly as a new one would (tested); entity links changed by another process while it
runs are seen when the story next changes. Stories keep a label (the title of the member
closest to the story mean, among its newest ``MEMBER_WINDOW``), key entities (of those
members), first/last seen (article dates), the mean vector and the size;
:func:`story_timeline` lists members by date.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, event, func, or_, select, text, true, update
from sqlalchemy.orm import Session

from dateline.enrich.embed import (
    DIMENSIONS,
    embeds_lead,
    ensure_vectors,
    load_vectors,
    vector_from_bytes,
)
from dateline.enrich.story_words import headline_words, word_evidence
from dateline.store.models import Article, ArticleEntity, Entity, Story
from dateline.store.repository import utcnow

# --- constants (calibrated on the dev half of shared/benchmarks/stories, titles only, ----
# --- 3 seeded arrival orders; see bench/stories.py) ------------------------------------

# Join when the score reaches this. Swept 0.30–0.50 on dev together with NATS_PER_POINT:
# 0.42 gave the best mean BCubed F1 over 8 arrival orders (0.40 and 0.45 within 0.001;
# 0.35 merges related stories, 0.50 fragments them). For items embedded from their
# headline alone; articles embedded with their lead score higher and have their own.
JOIN_THRESHOLD = 0.42
# The same for an article embedded from its headline and lead, which is what the store
# clusters (see the module docstring). Calibrated on the demo corpus's hand-labelled story
# threads (tests/data/stories; 320 articles, 2004 and 2019–2020, with their dates and
# whole-article entities), by `bench/story_articles.py --sweep`, which rebuilds the
# enriched store at each value; thread BCubed F1: 0.42 0.879, 0.45 0.892, 0.48 0.908,
# 0.50 0.908, 0.52 0.910, 0.55 0.906, 0.58 0.908, 0.60 0.919, 0.62 0.918, 0.65 0.917,
# 0.70 0.910. A plateau from 0.48 to 0.70; 0.55 is near its middle, not its peak. Against
# 0.42: precision 0.837 → 0.934, recall 0.925 → 0.881; on the corpus's halves, to 2019
# (mostly single-article stories) 0.918 → 0.957 and 2020 (long threads) 0.846 → 0.843.
ARTICLE_JOIN_THRESHOLD = 0.55
# Nats of word evidence worth one point of cosine. Dev: 30 best of 30/40/60 (−0.006 at 60).
NATS_PER_POINT = 30.0
# Share of the mean link in the score, the rest is the nearest-member link. Dev: 0.5 beat
# pure centroid (−0.02 F1) and pure nearest member (−0.01); not tuned finer.
MEAN_LINK_WEIGHT = 0.5
# Time penalty: half of DECAY_MAX after HALF_LIFE_DAYS. Not measurable on the benchmark
# (it has no usable time); set from newsroom practice so that a follow-up a week later
# barely pays (0.04), a thread resumed after a season needs a clear match (+0.29 at 90
# days), and nothing joins a two-year-old story unless it restates it (+0.45).
HALF_LIFE_DAYS = 60.0
DECAY_MAX = 0.45
# Entity boost for a full overlap with the story's key entities: kept small, below the
# width of the threshold's good range, so entities can tip a close call but never make a
# story on their own. Dev, with each headline's entities (spaCy on the title alone), 8
# orders: 0 0.8845, 0.05 0.8859, 0.1 0.8867, 0.15 0.8852, 0.2 0.8841, 0.3 0.8831 — flat
# within the seeds' spread, so not moved to the best; in the product entities come from
# the whole article and are cleaner than a headline's.
ENTITY_WEIGHT = 0.05
KEY_ENTITIES = 10
# Merge two stories (each of at least MERGE_MIN_SIZE members) whose mean vectors reach
# this cosine, less the time penalty between them. Dev, 8 arrival orders: 0.60 +0.009 F1,
# 0.65 +0.007, 0.70 +0.004, 0.75 +0.003 over no merging (every order gained at 0.60–0.70),
# but 0.55 −0.018 (related stories collapse). 0.65 keeps a step back from that cliff.
# The minimum size barely matters (2, 3 and 5 within 0.001); 3 keeps a pair of headlines
# from steering a merge.
MERGE_THRESHOLD = 0.65
MERGE_MIN_SIZE = 3
# Split a part off a story (see the module docstring) when the part has at least
# SPLIT_MIN_SIZE members, its mean is below SPLIT_MAX_COSINE to the rest's (below
# MERGE_THRESHOLD, so the two never merge straight back), and its members score on average
# below the join threshold less SPLIT_MARGIN against the rest: they would not have joined
# it on their own. Dev, 8 arrival orders: F1 0.886 -> 0.890, spread 0.014 -> 0.009 (the
# two worst orders, where one story had swallowed another, 0.859 -> 0.881 and 0.875 ->
# 0.888); flat in all three: parts of 2-5 members, cosines 0.5 and 0.6, margins 0, 0.05
# and 0.1 all give 0.8886-0.8899.
SPLIT_MIN_SIZE = 3
SPLIT_MAX_COSINE = 0.60
SPLIT_MARGIN = 0.05
# A story is checked for a split after every join while it has at most SPLIT_EVERY_UNTIL
# members, then at every SPLIT_EVERY-th member: a chain shows early, and a 2-means of the
# window on every join of a long thread would double the cost of clustering (dev: the
# same F1, 0.8899 against 0.8898 checking every join).
SPLIT_EVERY_UNTIL = 20
SPLIT_EVERY = 8
# A story's nearest-member link, word counts, entities and time gap are taken over its
# newest MEMBER_WINDOW members (its mean link and size over all). This bounds the cost of
# scoring an article however long a thread runs (without it the store's clusterer slowed from 10
# to 85 ms per article as threads grew to ~1,800 articles), and a running thread goes on
# from its newest turn anyway. Dev (largest story 322): F1 within 0.001 of no window.
MEMBER_WINDOW = 200
# Stories whose nearest-member link is computed: the best by mean link. With 20 the
# result on dev is identical to scoring every story; it keeps the cost per item bounded.
CANDIDATES = 20

EntityProvider = Callable[[Session, Sequence[int]], Mapping[int, Collection[str]]]


def top_entities(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """A story's ``KEY_ENTITIES`` most frequent entities, ties by key.

    Ties are common (a story of a few articles counts most entities once), and breaking
    them by insertion order would make decisions depend on the order of set iteration,
    which changes with Python's hash seed from one process to the next.
    """
    return heapq.nsmallest(KEY_ENTITIES, counts.items(), key=lambda kv: (-kv[1], kv[0]))


def time_penalty(gap_days: float | None) -> float:
    """Score subtracted for a gap of ``gap_days`` between an article and a story."""
    if gap_days is None:
        return 0.0
    return DECAY_MAX * (1.0 - math.pow(2.0, -abs(gap_days) / HALF_LIFE_DAYS))


def range_gap_days(
    a: tuple[datetime | None, datetime | None], b: tuple[datetime | None, datetime | None]
) -> float | None:
    """Days between two (first, last) date ranges: 0 when they overlap, None if undated."""
    (a_first, a_last), (b_first, b_last) = a, b
    if a_first is None or a_last is None or b_first is None or b_last is None:
        return None
    gap = max((b_first - a_last).total_seconds(), (a_first - b_last).total_seconds(), 0.0)
    return gap / 86400.0


def merge_partner(mean: np.ndarray, others: np.ndarray, gaps: Sequence[float | None]) -> int | None:
    """The row of ``others`` (story mean vectors) a story of mean ``mean`` should merge with.

    The best cosine of the means, less the time penalty of each gap, if it reaches
    ``MERGE_THRESHOLD``; None otherwise. The core and the database both decide with it.
    """
    if len(others) == 0:
        return None
    norms = np.linalg.norm(others, axis=1) * max(float(np.linalg.norm(mean)), 1e-12)
    score = (others @ mean) / np.maximum(norms, 1e-12)
    score -= np.array([time_penalty(g) for g in gaps], dtype=np.float32)
    best = int(np.argmax(score))
    return best if float(score[best]) >= MERGE_THRESHOLD else None


# --- in-memory core -------------------------------------------------------------------


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


class OnlineStoryClusterer:
    """Single-pass story clustering over vectors; the library's and the benchmark's core.

    ``add(vector, when=None, entities=())`` returns the :class:`Decision` for the item and
    records it. Story keys are 0, 1, 2, … unless ``add_story`` loaded others. With
    ``regroup=True`` converging stories merge and a story splits off a part that does not
    belong (see module docstring); the database runs the core without, over a subset of
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
        self.threshold = threshold
        self.mean_weight = mean_weight
        self.candidates = candidates
        self.dim = dim
        self.regroup = regroup
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

        The rule is in the module docstring. Only the members held (the newest
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


@dataclass(frozen=True)
class StreamResult:
    labels: list[int]  # each row's story, as decided when it arrived
    merges: list[tuple[int, int]]  # (merged key, kept key), in the order they happened
    splits: list[tuple[int, int]]  # (story, new story its part left for), in that order
    regrouped: list[int]  # each row's story at the end: merges and splits carried back

    def relabelled(self) -> list[int]:
        """Labels with every merge and split applied to the past too: a re-clustering,
        reported apart (the database's view)."""
        return list(self.regrouped)


def cluster_stream(
    vectors: np.ndarray,
    titles: Sequence[str] = (),
    order: Iterable[int] | None = None,
    entities: Sequence[Collection[str]] = (),
) -> StreamResult:
    """Cluster rows of ``vectors`` (and their ``titles``' words and ``entities``' keys)
    arriving in ``order``.

    Each row's story is decided when it arrives and never revisited (a row whose arrival
    merged two stories gets the merged story, one whose arrival split its story gets the
    side it is on); the benchmark's entry point, without time.
    """
    core = OnlineStoryClusterer(dim=vectors.shape[1])
    labels = [-1] * len(vectors)
    merges: list[tuple[int, int]] = []
    splits: list[tuple[int, int]] = []
    rows_of: dict[int, set[int]] = {}  # each story's rows, regrouped as the core regroups
    for i in order if order is not None else range(len(vectors)):
        words = headline_words(titles[i]) if titles else ()
        decision = core.add(
            vectors[i], entities=entities[i] if entities else (), words=words, ref=i
        )
        labels[i] = decision.story
        if decision.merged is not None:
            merges.append((decision.merged, decision.story))
            rows_of.setdefault(decision.story, set()).update(rows_of.pop(decision.merged, ()))
        if decision.split is not None:
            splits.append(decision.split)
            old, new = decision.split
            moved = {int(r) for r in decision.moved if r is not None}
            rows_of[old] -= moved
            rows_of[new] = moved
        rows_of.setdefault(decision.story, set()).add(i)
    regrouped = labels.copy()
    for key, rows in rows_of.items():
        for row in rows:
            regrouped[row] = key
    return StreamResult(labels, merges, splits, regrouped)


# --- entities (optional signal) -------------------------------------------------------


def no_entities(session: Session, article_ids: Sequence[int]) -> Mapping[int, Collection[str]]:
    return {}


def store_entities(session: Session, article_ids: Sequence[int]) -> Mapping[int, Collection[str]]:
    """Entity keys (``"KIND:key"``) per article from ``article_entities``; empty if unfilled."""
    out: dict[int, set[str]] = {}
    ids = list(article_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(ArticleEntity.article_id, Entity.kind, Entity.key)
            .join(Entity, Entity.id == ArticleEntity.entity_id)
            .where(ArticleEntity.article_id.in_(ids[start : start + 500]))
        )
        for article_id, kind, key in rows:
            out.setdefault(int(article_id), set()).add(f"{kind}:{key}")
    return out


# --- persistence ----------------------------------------------------------------------


def clustering_date(
    published_at: datetime | None, first_seen_at: datetime, date_status: str | None
) -> datetime | None:
    """The date the time decay may trust: none for an *unverified* date.

    A single copy of wire text with a content farm's date says nothing about when the
    story happened; decaying on it would split a thread (the two seed pages, ~3 months
    apart by content, carry the same fake 2025 date). Such an article joins on content and
    entities alone; its date still orders the timeline.
    """
    if date_status == "unverified":
        return None
    return article_date(published_at, first_seen_at)


def article_date(published_at: datetime | None, first_seen_at: datetime) -> datetime:
    """The date clustering uses: best-evidence publication date, else first seen."""
    return published_at if published_at is not None else first_seen_at


_DATE = func.coalesce(Article.published_at, Article.first_seen_at)


@dataclass(frozen=True)
class TimelineEntry:
    article_id: int
    title: str
    date: datetime


def story_timeline(session: Session, story_id: int) -> list[TimelineEntry]:
    """The story's articles, oldest first (ties by id)."""
    rows = session.execute(
        select(Article.id, Article.title, Article.published_at, Article.first_seen_at)
        .where(Article.story_id == story_id)
        .order_by(_DATE, Article.id)
    )
    return [TimelineEntry(int(i), t, article_date(p, f)) for i, t, p, f in rows]


# How many members (of the stories scored most lately; the least recently used story goes
# first) a long-running clusterer keeps in memory: about 2 kB each (vector, words, dates).
HELD_MEMBERS = 50_000
# pg_advisory_xact_lock's two-key space (apart from dedup's one-key bucket locks):
# ("Date", 1) is the lock of story writers.
_STORY_LOCK = {"a": 0x44617465, "b": 1}
_LIVE = (Story.centroid.is_not(None), Story.size > 0)  # merged rows have neither


def lock_stories(session: Session) -> None:
    """One story writer at a time, until this transaction ends.

    Online clustering is sequential by nature (each article sees the stories before it),
    and revisions must grow in commit order for :class:`StoryClusterer`'s in-memory
    stories to stay true. PostgreSQL: a transaction-scoped advisory lock. SQLite: every
    write transaction (``BEGIN IMMEDIATE``) already holds the database's only write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), _STORY_LOCK)


def _next_revision(session: Session) -> int:
    session.flush()
    return _highest_revision(session) + 1


def _highest_revision(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Story.revision), 0))) or 0)


def _members_of(
    session: Session, story_ids: Collection[int], *, exclude: int | None = None
) -> list[Any]:
    """The newest ``MEMBER_WINDOW`` articles of each story, oldest first (ties by id)."""
    newest = (
        select(
            Article.id,
            Article.story_id,
            Article.title,
            Article.published_at,
            Article.first_seen_at,
            Article.date_status,
            _DATE.label("date"),
            func.row_number()
            .over(partition_by=Article.story_id, order_by=(_DATE.desc(), Article.id.desc()))
            .label("rank"),
        )
        .where(Article.story_id.in_(list(story_ids)))
        .where(Article.id != exclude if exclude is not None else true())
        .subquery()
    )
    return list(
        session.execute(
            select(
                newest.c.id,
                newest.c.story_id,
                newest.c.title,
                newest.c.published_at,
                newest.c.first_seen_at,
                newest.c.date_status,
            )
            .where(newest.c.rank <= MEMBER_WINDOW)
            .order_by(newest.c.date, newest.c.id)
        ).all()
    )


def _central(vectors: Sequence[np.ndarray], mean: np.ndarray) -> int:
    """Index of the member closest to the mean: its title labels the story."""
    return int(np.argmax(np.stack(vectors) @ mean))


def _key_entities(entity_sets: Iterable[Collection[str]]) -> list[dict[str, Any]] | None:
    """The most frequent entities (by articles, ties by key), as stored in ``key_entities``."""
    counts: Counter[str] = Counter()
    for ents in entity_sets:
        counts.update(set(ents))
    top = top_entities(counts)
    return [{"entity": e, "articles": n} for e, n in top] or None


class StoryClusterer:
    """The online core run against the database (both engines), kept between articles.

    It holds every live story's mean, size and date span in an in-memory core, and the
    newest members of the stories it scored most lately (up to ``HELD_MEMBERS``). For
    each article it takes the story lock (:func:`lock_stories`) and reads only the story
    rows whose ``revision`` is above the highest it has seen. Deleted rows leave no
    revision behind: a count of live stories, once per transaction (the lock keeps other
    writers out until it ends), catches them, and then it reads everything again; its own
    deletions (:meth:`rebuild`) drop what it holds. So an article costs a scan of the
    means in memory plus the members of the candidate stories it does not hold yet, not a
    read of every story (which grew linearly with the archive). A rolled-back transaction
    drops everything held (what it had read may never have been committed).
    """

    def __init__(
        self,
        entities: EntityProvider = store_entities,
        *,
        article_threshold: float = ARTICLE_JOIN_THRESHOLD,
    ) -> None:
        self.entities = entities
        # for articles embedded with their lead; headline-only ones take JOIN_THRESHOLD
        self.article_threshold = article_threshold
        self._core: OnlineStoryClusterer | None = None
        self._bind: object = None
        self._seen = 0  # the highest revision read
        self._revision: dict[int, int] = {}  # live story -> its revision
        # story -> (revision, number) of the members held, least recently scored first
        self._held: OrderedDict[int, tuple[int, int]] = OrderedDict()
        self._members_held = 0
        self._counted: object = None  # the transaction whose live stories were counted
        self._on_rollback = self.forget  # one bound method, so the listener is added once

    def forget(self, *_: object) -> None:
        """Drop every story held in memory: the next article reads them all again."""
        self._core = None
        self._seen = 0
        self._revision.clear()
        self._held.clear()
        self._members_held = 0
        self._counted = None

    def assign(self, session: Session, article_id: int) -> int | None:
        """The article's story id, assigning it now if it has none; None if not embeddable."""
        article = session.get(Article, article_id)
        if article is None:
            return None
        if article.story_id is not None:
            return int(article.story_id)
        vector = ensure_vectors(session, [article_id]).get(article_id)
        if vector is None:
            return None
        core = self._sync(session)
        when = clustering_date(article.published_at, article.first_seen_at, article.date_status)
        ents = set(self.entities(session, [article_id]).get(article_id, ()))
        candidates = core.candidate_keys(vector)
        self._hold(session, core, candidates, exclude=article_id)
        decision = core.add(
            vector,
            when,
            ents,
            words=headline_words(article.title),
            new_key=-1,
            ref=article_id,
            candidates=candidates,
            threshold=self.article_threshold if embeds_lead(article.body) else JOIN_THRESHOLD,
        )
        if decision.new:
            core.drop_story(-1)  # the core learns the new story from its row, like any other
            date = article_date(article.published_at, article.first_seen_at)
            story = Story()
            session.add(story)
            _write_story(
                session,
                story,
                size=1,
                mean=np.asarray(vector, dtype="<f4"),
                span=(date, date),
                label=article.title,
                key_entities=_key_entities([ents]),
            )
            article.story_id = int(story.id)
            session.flush()
            return int(story.id)
        article.story_id = decision.story
        session.flush()
        self._joined(session, core, decision.story, article)
        merged = self._merge_converged(session, core, decision.story)
        if merged is not None:
            return merged
        return self._split(session, core, decision.story, article_id)

    def _sync(self, session: Session) -> OnlineStoryClusterer:
        """The in-memory core, brought up to date with the story rows."""
        lock_stories(session)
        if not event.contains(session, "after_soft_rollback", self._on_rollback):
            event.listen(session, "after_soft_rollback", self._on_rollback)
        core = self._core
        transaction = session.get_transaction()
        if core is not None and self._bind is session.get_bind():
            # in revision order, which the index gives (ordering by id made SQLite scan
            # the whole table for every article)
            changed = _STORY_STATE.where(Story.revision > self._seen).order_by(Story.revision)
            for row in session.execute(changed):
                self._apply(core, row)
            if self._counted is transaction:
                return core
            live = session.scalar(select(func.count()).select_from(Story).where(*_LIVE))
            if live == len(core):
                self._counted = transaction
                return core
        # first use, another database, or stories deleted since: read them all
        self.forget()
        core = self._core = OnlineStoryClusterer(regroup=False)
        self._bind = session.get_bind()
        for row in session.execute(_STORY_STATE.where(*_LIVE).order_by(Story.id)):
            self._apply(core, row)
        self._seen = _highest_revision(session)
        self._counted = transaction
        return core

    def _apply(self, core: OnlineStoryClusterer, row: Any) -> None:
        story_id = int(row.id)
        self._seen = max(self._seen, int(row.revision))
        if row.centroid is None or row.size <= 0:
            self._release(core, story_id)
            core.drop_story(story_id)
            self._revision.pop(story_id, None)
            return
        if story_id in self._held and self._held[story_id][0] != row.revision:
            self._release(core, story_id)
        self._revision[story_id] = int(row.revision)
        core.set_story(
            story_id,
            mean=vector_from_bytes(row.centroid),
            size=int(row.size),
            span=(row.first_seen_at, row.last_seen_at),
        )

    def _hold(
        self, session: Session, core: OnlineStoryClusterer, keys: Sequence[int], *, exclude: int
    ) -> None:
        """Read the members of the stories in ``keys`` that are not held yet."""
        if not keys:
            return
        missing = [k for k in keys if k not in self._held]
        members = _members_of(session, missing, exclude=exclude) if missing else []
        vectors = load_vectors(session, [int(m.id) for m in members])
        ents = self.entities(session, [int(m.id) for m in members])
        grouped: dict[int, list[Any]] = {k: [] for k in missing}
        for m in members:
            if int(m.id) in vectors:
                grouped[int(m.story_id)].append(m)
        for key, rows in grouped.items():
            state = core.story(key)
            core.add_story(
                key,
                [vectors[int(m.id)] for m in rows],
                [clustering_date(m.published_at, m.first_seen_at, m.date_status) for m in rows],
                [ents.get(int(m.id), ()) for m in rows],
                [headline_words(m.title) for m in rows],
                refs=[int(m.id) for m in rows],
                mean=core.mean(key).copy(),
                size=state.size,
                span=(state.first, state.last),
            )
            self._keep(core, key, self._revision[key])
        for key in keys:
            self._held.move_to_end(key)
        wanted = set(keys)
        while self._members_held > HELD_MEMBERS and next(iter(self._held)) not in wanted:
            self._release(core, next(iter(self._held)))

    def _keep(self, core: OnlineStoryClusterer, key: int, revision: int) -> None:
        """Note that ``key``'s members in the core are those of its row at ``revision``."""
        held = len(core.story(key).window)
        self._members_held += held - self._held.get(key, (0, 0))[1]
        self._held[key] = (revision, held)

    def _release(self, core: OnlineStoryClusterer, key: int) -> None:
        """Stop holding ``key``'s members (they are read again when next needed)."""
        if key in self._held:
            self._members_held -= self._held.pop(key)[1]
            core.forget_members(key)

    def _joined(
        self, session: Session, core: OnlineStoryClusterer, story_id: int, article: Article
    ) -> None:
        """Write the story an article joined, from the core (no read of its members)."""
        story = session.get(Story, story_id)
        if story is None:  # pragma: no cover - the lock keeps rows from vanishing
            return
        held = core.story(story_id)
        date = article_date(article.published_at, article.first_seen_at)
        newest = story.last_seen_at is None or date > story.last_seen_at
        mean = core.mean(story_id).astype("<f4")
        members = list(held.window)
        central = members[_central([m.vector for m in members], mean)].ref
        _write_story(
            session,
            story,
            size=held.size,
            mean=mean,
            span=(
                min(d for d in (story.first_seen_at, date) if d is not None),
                max(d for d in (story.last_seen_at, date) if d is not None),
            ),
            label=session.scalar(select(Article.title).where(Article.id == central)) or "",
            key_entities=_key_entities(m.entities for m in members),
        )
        core.set_story(story_id, span=(story.first_seen_at, story.last_seen_at))
        self._revision[story_id] = story.revision
        if newest:  # the members held are the newest by date, as a fresh read would give
            self._keep(core, story_id, story.revision)
        else:
            self._release(core, story_id)

    def _merge_converged(
        self, session: Session, core: OnlineStoryClusterer, story_id: int
    ) -> int | None:
        """Merge the story with the one it has converged on, if any: the id that now holds
        it, or None when nothing merged.

        The core's rule (:meth:`OnlineStoryClusterer.merge_partner_key`; the larger keeps
        its id, the joined story on a tie). The merged story's articles move; its row stays,
        empty, with ``merged_into`` set, and redirects that pointed at it now point at the
        survivor (they stay one hop deep).
        """
        other = core.merge_partner_key(story_id)
        if other is None:
            return None
        mine, theirs = core.story(story_id).size, core.story(other).size
        keep, drop = (story_id, other) if mine >= theirs else (other, story_id)
        mean = (core.mean(story_id) * mine + core.mean(other) * theirs) / (mine + theirs)
        revision = _next_revision(session)
        session.execute(update(Article).where(Article.story_id == drop).values(story_id=keep))
        session.execute(
            update(Story)
            .where(Story.merged_into == drop)
            .values(merged_into=keep, revision=revision)
        )
        session.execute(
            update(Story)
            .where(Story.id == drop)
            .values(
                merged_into=keep,
                size=0,
                centroid=None,
                key_entities=None,
                updated_at=utcnow(),
                revision=revision,
            )
        )
        session.flush()
        refresh_story(session, keep, self.entities, mean=mean)
        return keep

    def _split(
        self, session: Session, core: OnlineStoryClusterer, story_id: int, article_id: int
    ) -> int:
        """Split off the part of the story that does not belong, if any (the core's rule,
        :meth:`OnlineStoryClusterer.split_part`); the id of the story holding the article.

        The part's articles move to a new story; both are written afresh. The core learns
        both rows from their revisions on the next article, as it learns any other change.
        """
        part = core.split_part(story_id)
        if part is None:
            return story_id
        window = core.story(story_id).window
        refs = [window[n].ref for n in part.positions]  # members held by the store have ids
        story = Story(label="", updated_at=utcnow())  # written in full below
        session.add(story)
        session.flush()
        session.execute(update(Article).where(Article.id.in_(refs)).values(story_id=story.id))
        session.flush()
        refresh_story(session, int(story.id), self.entities, mean=part.mean)
        refresh_story(session, story_id, self.entities, mean=part.rest_mean)
        return int(story.id) if article_id in refs else story_id

    def assign_many(self, session: Session, article_ids: Iterable[int]) -> dict[int, int | None]:
        """Assign in date order (the order online clustering expects); each article's story.

        The story is the one holding the article at the end, after any merge a later
        article caused.
        """
        ids = list(article_ids)
        ordered = [
            int(i)
            for i in session.execute(
                select(Article.id).where(Article.id.in_(ids)).order_by(_DATE, Article.id)
            ).scalars()
        ]
        placed = {i: self.assign(session, i) for i in ordered}
        now: dict[int, int | None] = {}
        for start in range(0, len(ordered), 500):
            rows = session.execute(
                select(Article.id, Article.story_id).where(
                    Article.id.in_(ordered[start : start + 500])
                )
            )
            now.update((int(i), None if s is None else int(s)) for i, s in rows)
        return {i: now[i] if placed[i] is not None else None for i in ordered}

    def rebuild(
        self, session: Session, since: datetime, until: datetime | None = None
    ) -> dict[int, int | None]:
        """Forget the range's story assignments and replay its articles in date order.

        Stories left without members are deleted; older stories stay and can be continued.
        """
        lock_stories(session)
        in_range = since <= _DATE
        if until is not None:
            in_range = in_range & (until > _DATE)
        ids = [int(i) for i in session.execute(select(Article.id).where(in_range)).scalars()]
        touched = {
            int(s or 0)
            for s in session.execute(
                select(Article.story_id).where(in_range, Article.story_id.is_not(None)).distinct()
            ).scalars()
        }
        session.execute(
            update(Article)
            .where(in_range)
            .values(story_id=None)
            .execution_options(synchronize_session=False)
        )
        session.flush()
        session.expire_all()
        for story_id in sorted(touched):
            refresh_story(session, story_id, self.entities)
        self.forget()  # stories emptied above were deleted
        ensure_vectors(session, ids)
        return self.assign_many(session, ids)


_STORY_STATE = select(
    Story.id, Story.centroid, Story.size, Story.first_seen_at, Story.last_seen_at, Story.revision
)


def refresh_story(
    session: Session,
    story_id: int,
    entities: EntityProvider = no_entities,
    *,
    mean: np.ndarray | None = None,
) -> None:
    """Recompute a story's size, dates, label, key entities and (unless given) mean.

    Size and dates are aggregates in the database; the label (the member closest to the
    mean) and the key entities are taken over the newest ``MEMBER_WINDOW`` members, where
    a running thread is now. Only the mean, when not given, reads every member's vector.
    A story left without articles is deleted, with the redirects of stories merged into
    it; a merged story (itself a redirect) stays.
    """
    size, first, last = session.execute(
        select(func.count(), func.min(_DATE), func.max(_DATE)).where(Article.story_id == story_id)
    ).one()
    story = session.get(Story, story_id)
    if not size:
        if story is not None and story.merged_into is None:
            session.execute(
                delete(Story).where(or_(Story.id == story_id, Story.merged_into == story_id))
            )
            session.flush()
        return
    if story is None:  # pragma: no cover - an article pointing at a deleted story
        return
    if mean is None:
        ids = session.execute(select(Article.id).where(Article.story_id == story_id)).scalars()
        everything = list(load_vectors(session, [int(i) for i in ids]).values())
        mean = np.stack(everything).mean(axis=0) if everything else None
    members = _members_of(session, [story_id])
    vectors = load_vectors(session, [int(m.id) for m in members])
    have = [m for m in members if int(m.id) in vectors]
    if mean is None or not have:
        mean, label = None, members[0].title
    else:
        mean = np.asarray(mean, dtype="<f4")
        label = have[_central([vectors[int(m.id)] for m in have], mean)].title
    found = entities(session, [int(m.id) for m in members])
    _write_story(
        session,
        story,
        size=int(size),
        mean=mean,
        span=(first, last),
        label=label,
        key_entities=_key_entities(found.get(int(m.id), ()) for m in members),
    )


def _write_story(
    session: Session,
    story: Story,
    *,
    size: int,
    mean: np.ndarray | None,
    span: tuple[datetime | None, datetime | None],
    label: str,
    key_entities: list[dict[str, Any]] | None,
) -> None:
    """Write a live story's state with a new revision (merges empty rows in one update)."""
    story.size = size
    story.centroid = None if mean is None else np.asarray(mean, dtype="<f4").tobytes()
    story.first_seen_at, story.last_seen_at = span
    story.label = label
    story.key_entities = key_entities
    story.updated_at = utcnow()
    story.revision = _next_revision(session)
    session.flush()


__all__ = [
    "ARTICLE_JOIN_THRESHOLD",
    "CANDIDATES",
    "DECAY_MAX",
    "ENTITY_WEIGHT",
    "HALF_LIFE_DAYS",
    "JOIN_THRESHOLD",
    "MEAN_LINK_WEIGHT",
    "MERGE_MIN_SIZE",
    "MERGE_THRESHOLD",
    "NATS_PER_POINT",
    "Decision",
    "EntityProvider",
    "OnlineStoryClusterer",
    "SplitPart",
    "StoryClusterer",
    "StreamResult",
    "cluster_stream",
    "lock_stories",
    "merge_partner",
    "no_entities",
    "range_gap_days",
    "refresh_story",
    "store_entities",
    "story_timeline",
    "time_penalty",
    "top_entities",
]
