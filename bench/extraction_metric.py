"""The extraction benchmark's metric: bags of word 4-grams ("shingles"), scored per page.

It reproduces the Scrapinghub article-extraction-benchmark scorer (see
``shared/benchmarks/extraction/README.md``) so our numbers compare with published ones:
precision is averaged only over pages with a non-empty prediction, recall over all pages
with a non-empty truth, and F1 is taken from those two means (not the mean of page F1s).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SHINGLE_SIZE = 4
_TOKEN = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    """Word tokens: runs of letters, digits and underscores; case kept, punctuation dropped."""
    return _TOKEN.findall(text or "")


def shingles(text: str, n: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Every run of ``n`` consecutive tokens, with multiplicity; a short text is one shingle."""
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def page_counts(pred: str, truth: str) -> tuple[int, int, int]:
    """(TP, FP, FN) for one page; a shingle repeated counts up to the smaller of its counts."""
    pred_bag, true_bag = shingles(pred), shingles(truth)
    tp = sum((pred_bag & true_bag).values())
    return tp, sum(pred_bag.values()) - tp, sum(true_bag.values()) - tp


@dataclass(frozen=True)
class PageScore:
    """One page's share of the metric; ``None`` where the page does not count."""

    precision: float | None  # None: the prediction is empty (not counted in precision)
    recall: float | None  # None: the truth is empty (not counted in recall)
    exact: bool


def page_scores(pred: Mapping[str, str], truth: Mapping[str, str]) -> list[PageScore]:
    """Per-page scores, in ``truth``'s order; a page missing from ``pred`` is an empty one."""
    pages = []
    for page_id, true_text in truth.items():
        pred_text = pred.get(page_id) or ""
        tp, fp, fn = page_counts(pred_text, true_text)
        pages.append(
            PageScore(
                precision=tp / (tp + fp) if tp + fp else None,
                recall=tp / (tp + fn) if tp + fn else None,
                exact=tokenize(pred_text) == tokenize(true_text),
            )
        )
    return pages


def aggregate(pages: Sequence[PageScore]) -> dict[str, float]:
    """F1, precision, recall, accuracy and n from per-page scores (means first, then F1).

    Kept apart from :func:`score` so a bootstrap can resample pages without re-shingling.
    """
    precisions = [p.precision for p in pages if p.precision is not None]
    recalls = [p.recall for p in pages if p.recall is not None]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = len(pages)
    return {
        "f1": f1,
        "precision": precision,
        "recall": recall,
        "accuracy": sum(p.exact for p in pages) / n if n else 0.0,
        "n": n,
    }


def score(pred: Mapping[str, str], truth: Mapping[str, str]) -> dict[str, float]:
    """F1, precision, recall and accuracy of ``pred`` against ``truth`` (both id → text).

    Pages missing from ``pred`` count as empty predictions. ``n`` is the number of pages.
    """
    return aggregate(page_scores(pred, truth))
