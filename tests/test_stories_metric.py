"""BCubed on hand-made clusterings whose values are worked out by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from stories_metric import bcubed


def test_perfect_clustering_scores_one() -> None:
    assert bcubed(["x", "x", "y"], [1, 1, 2]) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_all_singletons_have_full_precision() -> None:
    s = bcubed([1, 2, 3, 4], ["a", "a", "b", "b"])
    assert s["precision"] == 1.0
    assert s["recall"] == pytest.approx(0.5)
    assert s["f1"] == pytest.approx(2 / 3)


def test_one_big_cluster_has_full_recall() -> None:
    s = bcubed([0, 0, 0, 0], ["a", "a", "a", "b"])
    # precision: three items see 3/4, one sees 1/4 → (3·0.75 + 0.25) / 4
    assert s["precision"] == pytest.approx(0.625)
    assert s["recall"] == 1.0


def test_mixed_case_worked_by_hand() -> None:
    # gold: a a a b b; predicted: {1,2} {3,4,5}
    s = bcubed([1, 1, 2, 2, 2], ["a", "a", "a", "b", "b"])
    # precision: 1, 1, 1/3, 2/3, 2/3 → 11/15; recall: 2/3, 2/3, 1/3, 1, 1 → 11/15
    assert s["precision"] == pytest.approx(11 / 15)
    assert s["recall"] == pytest.approx(11 / 15)
    assert s["f1"] == pytest.approx(11 / 15)


def test_label_names_do_not_matter() -> None:
    assert bcubed([7, 7, 9], ["a", "a", "b"]) == bcubed(["p", "p", "q"], ["z", "z", "y"])


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError):
        bcubed([1, 2], [1])
