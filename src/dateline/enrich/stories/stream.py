"""The benchmark's entry point: cluster a whole stream of vectors and report every decision.

Pure (numpy only). A thin driver over :class:`OnlineStoryClusterer` that also keeps the
re-clustered view (merges and splits carried back to past rows), which only evaluation
needs, so it stays out of the core.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from dateline.enrich.stories.core import OnlineStoryClusterer
from dateline.enrich.story_words import headline_words


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
