"""Maximal marginal relevance (Carbonell & Goldstein, 1998): one greedy step.

A list of the ten most relevant items is often ten rewrites of one thing. MMR builds
the list one item at a time, each time taking the candidate with the best

    λ · relevance − (1 − λ) · (its highest cosine to an item already chosen)

so relevance still leads, and near-repeats pay for their likeness. Related (enrich) and
Recommendation (rank) both build their lists with it; each keeps its own λ and rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def mmr_step(
    vectors: np.ndarray,
    candidates: Sequence[int],
    chosen: Sequence[int],
    relevance: Mapping[int, float] | np.ndarray,
    lam: float,
) -> int:
    """The position in ``candidates`` (rows of ``vectors``) MMR takes next."""
    if chosen:
        redundancy = (vectors[list(candidates)] @ vectors[list(chosen)].T).max(axis=1)
    else:
        redundancy = np.zeros(len(candidates))
    values = [
        lam * float(relevance[r]) - (1 - lam) * float(red)
        for r, red in zip(candidates, redundancy, strict=True)
    ]
    return int(np.argmax(values))
