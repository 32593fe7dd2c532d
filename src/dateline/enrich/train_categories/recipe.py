"""The knobs of the category-training recipe: the shipped values, and :class:`Recipe`.

Every default here is the shipped recipe (see :mod:`dateline.enrich.train_categories`
for what each one does and how it was chosen); a benchmark varies them through
:class:`Recipe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SPLIT_SEED = 13
HELD_OUT_FRACTION = 0.2
# Inverse-frequency class weights, softened by a power (1.0 = sklearn's "balanced").
CLASS_WEIGHT_POWER = 0.5
# Inverse regularisation strength (C in 1, 4, 16 measured: 1 best on held-out and stories dev).
C = 1.0
# Each prototype line counts as this many (class-weighted) rows.
PROTOTYPE_WEIGHT = 3.0
# Extra copies of every HuffPost row as its headline alone: measured, did not help (0 = off).
HEADLINE_COPIES = 0
USE_WIKINEWS = True


@dataclass
class Recipe:
    """The knobs of one training run (defaults: the shipped recipe)."""

    c: float = C
    power: float = CLASS_WEIGHT_POWER
    prototype_weight: float = PROTOTYPE_WEIGHT
    headline_copies: int = HEADLINE_COPIES
    use_prototypes: bool = True
    use_wikinews: bool = USE_WIKINEWS
    seed: int = SPLIT_SEED

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)
