"""The whole listed corpus as arrays: what Related, Ranking and Recommendation compare.

Every list ranker asks the same questions of many articles at once: how close are these
vectors, which story is each in, which source leads it, when was it published, which
entities does it name. Asked row by row of the database that is thousands of queries per
list; asked of arrays it is one matrix product. :func:`load_corpus_index` reads every
listed article (not superseded) once:

* ``vectors``: the stored MiniLM vectors, L2-normalised, one row per article (zeros, and
  ``has_vector`` False, where an article has none: non-English or empty);
* ``story``, ``source``, ``farm``: the story id (-1 for none), the lead page's source and
  whether that source is scored as a content farm (below ``store.lead.TRUSTED_SCORE``);
* ``at``: the list sort date (best evidence, never after first seen) in epoch seconds, and
  ``undated`` where there is no credible date (``at`` is then when we first saw it);
* ``category``: the category the site shows (:func:`store.queries.category_label`);
* ``entities``: the entity ids each article names, with their document frequency.

At 100,000 articles this is about 160 MB, nearly all of it the vectors (384 float32 each).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from dateline.enrich.embed import model_name, vector_from_bytes
from dateline.store.lead import TRUSTED_SCORE
from dateline.store.models import (
    Article,
    ArticleEntity,
    ArticleVector,
    Entity,
    Page,
    Source,
    Story,
)
from dateline.store.queries import category_label, shown, sort_date

# Rows fetched per round trip while loading (bounded memory on the driver side).
FETCH = 5000


@dataclass
class CorpusIndex:
    """Arrays over the listed articles; ``pos`` maps an article id to its row.

    :func:`load_corpus_index` orders the rows newest first (``window`` relies on it)."""

    ids: np.ndarray
    vectors: np.ndarray
    has_vector: np.ndarray
    story: np.ndarray
    source: np.ndarray
    farm: np.ndarray
    at: np.ndarray
    undated: np.ndarray  # no credible date: ``at`` is when we first saw it
    category: list[str]
    titles: list[str]
    entities: list[tuple[int, ...]]
    entity_df: dict[int, int] = field(default_factory=dict)
    entity_name: dict[int, str] = field(default_factory=dict)
    source_score: dict[int, float] = field(default_factory=dict)
    story_label: dict[int, str] = field(default_factory=dict)
    pos: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.pos:
            self.pos = {int(a): i for i, a in enumerate(self.ids)}
        # categories as codes, so a list's per-category figures are array lookups
        self.category_names: list[str] = sorted(set(self.category))
        code = {name: i for i, name in enumerate(self.category_names)}
        self.category_code = np.fromiter(
            (code[c] for c in self.category), dtype=np.int64, count=len(self.category)
        )
        self._entity_rows: dict[int, np.ndarray] | None = None
        self._title_keys: list[str] | None = None

    @property
    def title_keys(self) -> list[str]:
        """Headlines casefolded with their spacing normalised: the same key, the same
        headline (a copy dedup did not merge), computed once."""
        if self._title_keys is None:
            self._title_keys = [" ".join(t.casefold().split()) for t in self.titles]
        return self._title_keys

    def entity_rows(self, entity_id: int) -> np.ndarray:
        """Rows of the articles naming this entity (an inverted index, built once)."""
        if self._entity_rows is None:
            found: dict[int, list[int]] = {}
            for row, entity_ids in enumerate(self.entities):
                for e in entity_ids:
                    found.setdefault(e, []).append(row)
            self._entity_rows = {e: np.asarray(rows, dtype=np.int64) for e, rows in found.items()}
        return self._entity_rows.get(entity_id, np.zeros(0, dtype=np.int64))

    def per_category(self, values: dict[str, float]) -> np.ndarray:
        """``values`` by category name as an array over category codes (0 elsewhere)."""
        out = np.zeros(len(self.category_names))
        for i, name in enumerate(self.category_names):
            out[i] = values.get(name, 0.0)
        return out

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, entity_id: int) -> float:
        """Rare entities say more than common ones: log(N / df), at least 0."""
        df = self.entity_df.get(entity_id, 0)
        return math.log((len(self.ids) + 1) / (df + 1)) if df else 0.0

    def window(self, until: float, size: int) -> tuple[int, int]:
        """Rows ``[start, end)``: the ``size`` newest articles dated at or before ``until``
        (epoch seconds). Rows are newest first (see ``load_corpus_index``)."""
        start = int(np.searchsorted(-self.at, -until, side="left"))
        return start, min(start + size, len(self.at))

    def rows(self, article_ids: Sequence[int]) -> list[int]:
        """Rows of these ids, skipping ids not listed (superseded, hidden, unknown)."""
        return [self.pos[a] for a in article_ids if a in self.pos]


def _epoch(at: datetime | None) -> float:
    if at is None:
        return 0.0
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def load_corpus_index(session: Session) -> CorpusIndex:
    """Every listed article as arrays (see the module docstring)."""
    rows = list(
        session.execute(
            select(
                Article.id,
                Article.title,
                Article.published_at,
                sort_date.label("sort_at"),
                Article.story_id,
                Article.category,
                Page.claimed_category,
                Page.source_id,
                Source.score,
            )
            .join(Page, Page.id == Article.lead_page_id)
            .join(Source, Source.id == Page.source_id)
            .where(shown())
            .order_by(Article.id)
            .execution_options(yield_per=FETCH)
        ).all()
    )
    # Rows newest first (then highest id): the newest articles, where lists look for
    # candidates, are then one contiguous block (``window``), read without a copy.
    rows.sort(key=lambda r: (-_epoch(r.sort_at), -r.id))
    n = len(rows)
    ids = np.fromiter((r.id for r in rows), dtype=np.int64, count=n)
    pos = {int(a): i for i, a in enumerate(ids)}
    source_score = {int(r.source_id): r.score for r in rows if r.score is not None}
    index = CorpusIndex(
        ids=ids,
        vectors=np.zeros((n, 0), dtype=np.float32),
        has_vector=np.zeros(n, dtype=bool),
        story=np.fromiter(
            (r.story_id if r.story_id is not None else -1 for r in rows), np.int64, count=n
        ),
        source=np.fromiter((r.source_id for r in rows), dtype=np.int64, count=n),
        farm=np.fromiter(
            (r.score is not None and r.score < TRUSTED_SCORE for r in rows), bool, count=n
        ),
        at=np.fromiter((_epoch(r.sort_at) for r in rows), dtype=np.float64, count=n),
        undated=np.fromiter((r.published_at is None for r in rows), dtype=bool, count=n),
        category=[category_label(r.category, r.claimed_category)[0] for r in rows],
        titles=[r.title for r in rows],
        entities=[() for _ in range(n)],
        source_score={k: float(v) for k, v in source_score.items()},
        pos=pos,
    )
    _load_vectors(session, index)
    _load_entities(session, index)
    stories = {int(s) for s in index.story.tolist() if s >= 0}
    if stories:
        labels = session.execute(select(Story.id, Story.label).execution_options(yield_per=FETCH))
        index.story_label = {int(i): label for i, label in labels if int(i) in stories}
    return index


def _load_vectors(session: Session, index: CorpusIndex) -> None:
    found = session.execute(
        select(ArticleVector.article_id, ArticleVector.vector)
        .where(ArticleVector.model == model_name())
        .execution_options(yield_per=FETCH)
    )
    matrix: np.ndarray | None = None
    for article_id, data in found:
        row = index.pos.get(int(article_id))
        if row is None:
            continue
        vector = vector_from_bytes(data)
        if matrix is None:
            matrix = np.zeros((len(index), vector.shape[0]), dtype=np.float32)
        if vector.shape[0] != matrix.shape[1]:
            continue
        norm = float(np.linalg.norm(vector))
        if norm > 0:
            matrix[row] = vector / norm
            index.has_vector[row] = True
    index.vectors = matrix if matrix is not None else np.zeros((len(index), 1), np.float32)


def _load_entities(session: Session, index: CorpusIndex) -> None:
    found = session.execute(
        select(ArticleEntity.article_id, ArticleEntity.entity_id, Entity.name)
        .join(Entity, Entity.id == ArticleEntity.entity_id)
        .execution_options(yield_per=FETCH)
    )
    per_article: dict[int, list[int]] = {}
    for article_id, entity_id, name in found:
        row = index.pos.get(int(article_id))
        if row is None:
            continue
        per_article.setdefault(row, []).append(int(entity_id))
        index.entity_name[int(entity_id)] = name
    df: dict[int, int] = {}
    for row, entity_ids in per_article.items():
        unique = tuple(sorted(set(entity_ids)))
        index.entities[row] = unique
        for e in unique:
            df[e] = df.get(e, 0) + 1
    index.entity_df = df
