"""BCubed on hand-made clusterings whose values are worked out by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from stories_metric import agglomerative, bcubed, clustering_scores


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


def test_clustering_scores_add_ari_and_cluster_count() -> None:
    s = clustering_scores(["x", "x", "y", "z"], [1, 1, 2, 2])
    assert s["clusters"] == 3.0
    assert s["precision"] == 1.0 and s["recall"] == pytest.approx(0.75)
    assert 0.0 < s["ari"] < 1.0
    assert clustering_scores([5, 5, 6], ["a", "a", "b"])["ari"] == 1.0


def test_agglomerative_cuts_at_the_cosine_distance() -> None:
    import numpy as np

    points = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0]])  # the first two ~8° apart
    assert len(set(agglomerative(points, 0.05))) == 2
    assert len(set(agglomerative(points, 1.5))) == 1
    labels = agglomerative(points, 0.05)
    assert labels[0] == labels[1] != labels[2]
