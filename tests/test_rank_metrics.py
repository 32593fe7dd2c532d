"""The offline metrics against cases computed by hand (rank/metrics.py)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pytest

from dateline.rank import metrics as m

ONE_LOG2_3 = 1 / math.log2(3)
ONE_LOG2_5 = 1 / math.log2(5)


def test_a_perfect_impression_scores_one():
    labels, scores = [1, 0, 0], [0.9, 0.5, 0.1]
    assert m.auc(labels, scores) == 1.0
    assert m.mrr(labels, scores) == 1.0
    assert m.ndcg(labels, scores, 5) == m.ndcg(labels, scores, 10) == 1.0


def test_two_clicks_in_second_and_fourth_place():
    labels, scores = [0, 1, 0, 1], [0.4, 0.3, 0.2, 0.1]
    # clicked ranks 2 and 4: (1/2 + 1/4) / 2 clicks
    assert m.mrr(labels, scores) == pytest.approx(0.375)
    # DCG = 1/log2(3) + 1/log2(5); ideal (ranks 1, 2) = 1 + 1/log2(3)
    expected = (ONE_LOG2_3 + ONE_LOG2_5) / (1 + ONE_LOG2_3)
    assert m.ndcg(labels, scores, 10) == pytest.approx(expected)
    assert m.ndcg(labels, scores, 5) == pytest.approx(expected)
    # positive-negative pairs ordered right: only 0.3 > 0.2, of four
    assert m.auc(labels, scores) == pytest.approx(0.25)


def test_the_cut_off_of_ndcg():
    labels = [0] * 6 + [1, 0]  # the click in seventh place
    scores = [8, 7, 6, 5, 4, 3, 2, 1]
    assert m.ndcg(labels, scores, 5) == 0.0
    assert m.ndcg(labels, scores, 10) == pytest.approx(1 / math.log2(8))
    assert m.mrr(labels, scores) == pytest.approx(1 / 7)


def test_ties_are_ordered_as_the_official_scorer_orders_them():
    # np.argsort([.5, .5])[::-1] puts the second item first; AUC counts a tie as half
    assert m.mrr([0, 1], [0.5, 0.5]) == 1.0
    assert m.auc([0, 1], [0.5, 0.5]) == 0.5


def test_accuracy_is_the_mean_over_impressions_and_skips_one_class_ones():
    result = m.accuracy(
        [
            ([1, 0, 0], [0.9, 0.5, 0.1]),
            ([0, 1, 0, 1], [0.4, 0.3, 0.2, 0.1]),
            ([1, 1], [0.2, 0.1]),  # no non-click: no AUC
            ([0, 0, 0], [0.3, 0.2, 0.1]),  # no click
        ]
    )
    assert (result.impressions, result.skipped) == (2, 2)
    assert result.auc == pytest.approx((1 + 0.25) / 2)
    assert result.mrr == pytest.approx((1 + 0.375) / 2)
    assert result.ndcg10 == pytest.approx((1 + (ONE_LOG2_3 + ONE_LOG2_5) / (1 + ONE_LOG2_3)) / 2)
    empty = m.accuracy([([0], [0.1])])
    assert (empty.impressions, empty.skipped) == (0, 1) and math.isnan(empty.auc)
    with pytest.raises(ValueError, match="2 labels but 1 scores"):
        m.accuracy([([1, 0], [0.3])])


def test_intra_list_distance():
    assert m.intra_list_distance([[1, 0], [0, 1]]) == pytest.approx(1.0)
    # pairs: identical (0), orthogonal (1), orthogonal (1)
    assert m.intra_list_distance([[1, 0], [2, 0], [0, 3]]) == pytest.approx(2 / 3)
    assert math.isnan(m.intra_list_distance([[1, 0]]))


def test_coverage():
    assert m.coverage([[1, 2], [2, 3], []], 6) == 0.5
    with pytest.raises(ValueError):
        m.coverage([[1]], 0)


def test_calibration_kl():
    # history half a, half b; a list of a only: q~ = (.995, .005)
    expected = 0.5 * math.log(0.5 / 0.995) + 0.5 * math.log(0.5 / 0.005)
    assert m.calibration_kl("aabb", "aa") == pytest.approx(expected)
    assert m.calibration_kl("aabb", "ab") == pytest.approx(0.0)
    assert math.isnan(m.calibration_kl("", "ab"))


def test_median_age_and_the_running_summary():
    t = datetime(2026, 12, 1, 12)
    hours = [1, 3, 2]
    assert m.median_age((t, t - timedelta(hours=h)) for h in hours) == timedelta(hours=2)
    assert m.median_age([]) is None
    running = m.BeyondAccuracy()
    vectors = {1: np.array([1.0, 0.0]), 2: np.array([0.0, 1.0]), 3: np.array([1.0, 1.0])}
    categories = {1: "a", 2: "b", 3: "a"}
    published = {i: t - timedelta(hours=i) for i in vectors}
    running.add([1, 2], vectors=vectors, categories=categories, history=[3, 3],
                shown_at=t, published=published)  # fmt: skip
    summary = running.summary(catalogue_size=4)
    assert summary["ild"] == pytest.approx(1.0)
    assert summary["coverage"] == 0.5
    history_a_list_ab = 1.0 * math.log(1.0 / (0.99 * 0.5 + 0.01))
    assert summary["calibration_kl"] == pytest.approx(history_a_list_ab)
    assert summary["median_age_hours"] == pytest.approx(1.5)
