"""Where Related's relevance floor comes from: headline pairs of the stories dev half.

For each cosine threshold between MiniLM title vectors, the share of pairs above it that
are in the same story and in the same category (the file's gold labels; dates unused).
``enrich.related.RELEVANCE_FLOOR`` was set from this table (docs/ranking.md).

    .venv/bin/python scripts/calibrate_related.py [../shared/benchmarks/stories/dev.csv]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

from dateline.enrich.embed import embed_texts

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "stories" / "dev.csv"
THRESHOLDS = (0.30, 0.35, 0.38, 0.40, 0.45, 0.50, 0.60)


def main(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    story = np.array([r["STORY"] for r in rows])
    category = np.array([r["CATEGORY"] for r in rows])
    vectors = embed_texts([r["TITLE"] for r in rows])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    upper = np.triu_indices(len(rows), 1)
    sims = (vectors @ vectors.T)[upper]
    same_story = (story[:, None] == story[None, :])[upper]
    same_category = (category[:, None] == category[None, :])[upper]
    print(f"{len(rows)} headlines, {len(sims)} pairs")
    print("cosine ≥  pairs     same story  same category")
    for t in THRESHOLDS:
        above = sims >= t
        print(
            f"{t:8.2f}  {int(above.sum()):8d}  {same_story[above].mean():10.3f}"
            f"  {same_category[above].mean():13.3f}"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
