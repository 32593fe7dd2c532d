"""The extraction benchmark's metric, on hand-made cases small enough to check by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from extraction_metric import page_counts, score, shingles, tokenize

TEXT = "The quick brown fox jumps over the lazy dog."


def test_tokenize_drops_punctuation_and_whitespace_keeps_case() -> None:
    assert tokenize("Hello,   World!\n\tIt's 2024 — snake_case.") == [
        "Hello",
        "World",
        "It",
        "s",
        "2024",
        "snake_case",
    ]


def test_exact_match_scores_one() -> None:
    result = score({"a": TEXT}, {"a": TEXT})
    assert result["f1"] == 1.0
    assert result["precision"] == 1.0
    assert result["recall"] == 1.0
    assert result["accuracy"] == 1.0
    assert result["n"] == 1


def test_punctuation_whitespace_differences_are_ignored_but_case_is_not() -> None:
    assert (
        score(
            {"a": "the quick, brown fox\n\njumps  over"}, {"a": "the quick brown fox jumps over"}
        )["accuracy"]
        == 1.0
    )
    lower = score({"a": TEXT.lower()}, {"a": TEXT})
    assert lower["accuracy"] == 0.0
    assert lower["f1"] < 1.0


def test_empty_prediction_is_left_out_of_precision_but_scores_zero_recall() -> None:
    truth = {"a": TEXT, "b": "One two three four five six."}
    result = score({"a": TEXT, "b": ""}, truth)
    assert result["precision"] == 1.0  # only page "a" counts for precision
    assert result["recall"] == 0.5  # page "b" recalls nothing
    assert result["f1"] == pytest.approx(2 * 1.0 * 0.5 / 1.5)
    assert score({"a": TEXT}, truth) == result  # a missing page is an empty prediction


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alpha", ("alpha",)),
        ("alpha beta", ("alpha", "beta")),
        ("alpha, beta; gamma", ("alpha", "beta", "gamma")),
    ],
)
def test_one_to_three_tokens_give_one_short_shingle(text: str, expected: tuple[str, ...]) -> None:
    assert shingles(text) == {expected: 1}


def test_empty_text_gives_no_shingle() -> None:
    assert not shingles("  ... ")


def test_four_tokens_and_more_give_sliding_four_grams() -> None:
    assert list(shingles("a b c d e")) == [("a", "b", "c", "d"), ("b", "c", "d", "e")]


def test_repeated_shingles_count_with_multiplicity() -> None:
    # "a b c d" twice in the prediction, once in the truth: one TP, the extra one is an FP.
    assert shingles("a b c d a b c d")[("a", "b", "c", "d")] == 2
    assert page_counts("a b c d x a b c d", "a b c d") == (1, 5, 0)
    # and the other way round: two in the truth, one predicted → one FN.
    assert page_counts("a b c d", "a b c d y a b c d") == (1, 0, 5)


def test_f1_comes_from_the_means_not_the_mean_of_page_f1() -> None:
    truth = {
        "good": "one two three four five six seven eight",  # 5 shingles
        "half": "one two three four five six seven eight",
    }
    pred = {
        "good": truth["good"],  # P 1, R 1
        # the first 4 true shingles plus 4 made-up ones: P 4/8, R 4/5
        "half": "one two three four five six seven zz yy xx ww",
    }
    assert page_counts(pred["half"], truth["half"]) == (4, 4, 1)
    result = score(pred, truth)
    precision, recall = (1 + 0.5) / 2, (1 + 0.8) / 2
    assert result["precision"] == pytest.approx(precision)
    assert result["recall"] == pytest.approx(recall)
    assert result["f1"] == pytest.approx(2 * precision * recall / (precision + recall))
    half_f1 = 2 * 0.5 * 0.8 / 1.3
    assert result["f1"] != pytest.approx((1 + half_f1) / 2)
