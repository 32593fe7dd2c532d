"""Related: each article's ten honest neighbours, computed at enrich time, read when served.

The seed pages' "Related" lists were filler picked by shared title words ("north",
"deal"). Ours use what the enrich stage already knows, in this order:

1. **The same story** first, nearest in time to *this* article in both directions: the
   reader of one report of a story wants the others.
2. **Then relevance**, scored for every other listed article::

       relevance = cos(vectors) + ENTITY_WEIGHT · min(1, shared entity IDF / ENTITY_IDF_SCALE)
                   + CATEGORY_PRIOR · [same category]

   scaled by closeness in time to this article's own date (not the site clock: a 2019
   article's neighbours are from around 2019)::

       × (1 − TIME_WEIGHT + TIME_WEIGHT · 0.5 ^ (|Δdays| / TIME_HALF_LIFE_DAYS))

   Rare shared entities weigh more (IDF over the corpus); the category is a weak prior.
3. **A relevance floor** (``RELEVANCE_FLOOR``): fewer than ten honest items beat filler.

Rules: never the article itself or a copy of it (the same headline, or vectors at least
``COPY_COSINE`` alike: a near-copy dedup did not merge); diversified with MMR over the
vectors; at most ``SOURCE_CAP`` items from one source while other sources offer items
above the floor. Every item says why it is there: "same story", "also about Sergei
Lavrov, Kim Jong Un" (the rarest shared entities) or "similar topic".

**Incremental.** :func:`refresh_related` computes the lists of the articles it is given
and then of their neighbours (the articles their new lists name), whose lists a newer
article may now belong to. The site reads the rows (``store.models.RelatedItem``).

The floor and weights were set on the stories dev half (titles only): see
docs/ranking.md for the measurements.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from dateline.enrich.corpus_index import CorpusIndex, load_corpus_index
from dateline.enrich.mmr import mmr_step
from dateline.store.models import RelatedItem
from dateline.store.queries import UNCATEGORISED

RELATED_SIZE = 10
ENTITY_WEIGHT = 0.15
ENTITY_IDF_SCALE = 8.0
CATEGORY_PRIOR = 0.03
TIME_WEIGHT = 0.3
TIME_HALF_LIFE_DAYS = 30.0
RELEVANCE_FLOOR = 0.38
COPY_COSINE = 0.97
SOURCE_CAP = 2
# MMR: relevance against redundancy with what is already in the list.
MMR_LAMBDA = 0.75
# Best candidates by relevance that MMR chooses from.
POOL = 60
# Shared entities named in a reason.
REASON_ENTITIES = 2
# Articles whose lists are computed per matrix product.
CHUNK = 64
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class RelatedPick:
    article_id: int
    reason: str
    score: float


class RelatedBuilder:
    """Computes Related lists over one :class:`CorpusIndex` (see the module docstring)."""

    def __init__(self, index: CorpusIndex) -> None:
        self.index = index
        self._entity_rows: dict[int, list[int]] = {}
        for row, entity_ids in enumerate(index.entities):
            for e in entity_ids:
                self._entity_rows.setdefault(e, []).append(row)
        self._titles = index.title_keys
        self._by_title: dict[str, list[int]] = {}
        for r, t in enumerate(self._titles):
            self._by_title.setdefault(t, []).append(r)
        # "Uncategorised" is no category: two such articles share nothing by it
        codes: dict[str, int] = {UNCATEGORISED: -1}
        self._category = np.fromiter(
            (codes.setdefault(c, len(codes)) for c in index.category), np.int64, len(index)
        )
        self._story_rows: dict[int, list[int]] = {}
        for row, story in enumerate(index.story.tolist()):
            if story >= 0:
                self._story_rows.setdefault(story, []).append(row)

    def lists(
        self, article_ids: Sequence[int], size: int = RELATED_SIZE
    ) -> dict[int, list[RelatedPick]]:
        """Related lists for these article ids (ids not listed get none)."""
        rows = self.index.rows(article_ids)
        out: dict[int, list[RelatedPick]] = {}
        vectors = self.index.vectors
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            sims = vectors[chunk] @ vectors.T
            for row, sim in zip(chunk, sims, strict=True):
                out[int(self.index.ids[row])] = self._one(row, sim, size)
        return out

    def _entity_bonus(self, row: int) -> dict[int, float]:
        idx = self.index
        shared: dict[int, float] = {}
        for e in idx.entities[row]:
            rows = self._entity_rows.get(e, ())
            if len(rows) > 1:
                weight = idx.idf(e)
                for other in rows:
                    shared[other] = shared.get(other, 0.0) + weight
        return shared

    def _one(self, row: int, sim: np.ndarray, size: int) -> list[RelatedPick]:
        idx = self.index
        has = idx.has_vector
        sim = np.where(has, sim, 0.0) if has[row] else np.zeros_like(sim)
        days = np.abs(idx.at - idx.at[row]) / SECONDS_PER_DAY
        closeness = 0.5 ** (days / TIME_HALF_LIFE_DAYS)
        relevance = sim.astype(np.float64)
        entity_idf = self._entity_bonus(row)
        if entity_idf:
            erows = np.fromiter(entity_idf.keys(), dtype=np.int64)
            evals = np.fromiter(entity_idf.values(), dtype=np.float64)
            relevance[erows] += ENTITY_WEIGHT * np.minimum(1.0, evals / ENTITY_IDF_SCALE)
        if self._category[row] >= 0:
            relevance += CATEGORY_PRIOR * (self._category == self._category[row])
        relevance = relevance * (1 - TIME_WEIGHT + TIME_WEIGHT * closeness)
        excluded = self._copies(row, sim)
        skip = set(excluded)
        same_story = [r for r in self._story_rows.get(int(idx.story[row]), ()) if r not in skip]
        same_story.sort(key=lambda r: (days[r], -int(idx.ids[r])))
        relevance[excluded] = -np.inf
        relevance[same_story] = -np.inf  # taken first, below
        pool_size = min(POOL, len(relevance))
        if pool_size <= 0:
            return []
        pool = np.argpartition(-relevance, pool_size - 1)[:pool_size]
        ordered = pool[np.argsort(-relevance[pool], kind="stable")]
        kept = {int(r): float(relevance[r]) for r in ordered if relevance[r] >= RELEVANCE_FLOOR}
        picked = self._pick(same_story, list(kept), kept, size)
        story = set(same_story)
        return [self._explain(row, r, r in story, kept.get(r, 2.0)) for r in picked]

    def _copies(self, row: int, sim: np.ndarray) -> list[int]:
        """The article itself and its unmerged near-copies (same headline, alike vectors)."""
        idx = self.index
        copies = set(np.flatnonzero(sim >= COPY_COSINE).tolist()) if idx.has_vector[row] else set()
        title = self._titles[row]
        if title:
            copies.update(self._by_title.get(title, ()))
        copies.add(row)
        return sorted(copies)

    def _pick(
        self, same_story: list[int], pool: list[int], relevance: dict[int, float], size: int
    ) -> list[int]:
        """Same story first, then MMR over the pool; SOURCE_CAP per source while the
        pool still offers items from other sources."""
        idx = self.index
        picked: list[int] = []
        per_source: dict[int, int] = {}

        def take(r: int) -> None:
            picked.append(r)
            s = int(idx.source[r])
            per_source[s] = per_source.get(s, 0) + 1

        def capped(r: int) -> bool:
            return per_source.get(int(idx.source[r]), 0) >= SOURCE_CAP

        story_left = list(same_story)
        while story_left and len(picked) < size:
            open_ = [r for r in story_left if not capped(r)]
            r = open_[0] if open_ else story_left[0]
            story_left.remove(r)
            take(r)
        left = list(pool)
        vectors = idx.vectors
        while left and len(picked) < size:
            open_ = [r for r in left if not capped(r)] or left
            r = open_[mmr_step(vectors, open_, picked, relevance, MMR_LAMBDA)]
            left.remove(r)
            take(r)
        return picked

    def _explain(self, row: int, other: int, same_story: bool, score: float) -> RelatedPick:
        idx = self.index
        article_id = int(idx.ids[other])
        if same_story:
            return RelatedPick(article_id, "same story", score)
        shared = set(idx.entities[row]) & set(idx.entities[other])
        if shared:
            names = sorted(shared, key=lambda e: (-idx.idf(e), idx.entity_name.get(e, "")))
            label = ", ".join(idx.entity_name.get(e, "") for e in names[:REASON_ENTITIES])
            return RelatedPick(article_id, f"also about {label}", float(score))
        return RelatedPick(article_id, "similar topic", float(score))


def write_related(session: Session, lists: dict[int, list[RelatedPick]]) -> None:
    """Replace the stored lists of these articles (in the caller's transaction)."""
    if not lists:
        return
    ids = sorted(lists)
    for start in range(0, len(ids), 500):
        session.execute(
            delete(RelatedItem).where(RelatedItem.article_id.in_(ids[start : start + 500]))
        )
    rows = [
        {
            "article_id": aid,
            "position": pos,
            "related_id": pick.article_id,
            "reason": pick.reason[:255],
            "score": pick.score,
        }
        for aid in ids
        for pos, pick in enumerate(lists[aid], start=1)
    ]
    for start in range(0, len(rows), 1000):
        session.execute(insert(RelatedItem), rows[start : start + 1000])


def refresh_related(
    session: Session, article_ids: Iterable[int], index: CorpusIndex | None = None
) -> int:
    """Compute and store the lists of these articles and of their neighbours; returns
    how many lists were written."""
    index = index if index is not None else load_corpus_index(session)
    builder = RelatedBuilder(index)
    wanted = [a for a in dict.fromkeys(int(a) for a in article_ids) if a in index.pos]
    lists = builder.lists(wanted)
    neighbours = {p.article_id for picks in lists.values() for p in picks} - set(lists)
    lists.update(builder.lists(sorted(neighbours)))
    write_related(session, lists)
    return len(lists)
