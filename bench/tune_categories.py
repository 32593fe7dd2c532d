"""Category recipe tuning on the training rows only: the settings and the confidence floor.

Usage: ``python bench/tune_categories.py [--data JSONL.GZ] [--wikinews JSONL] [--json OUT]
[--cache NPZ] [--folds 5] [--c 0.25,1,4,16] [--power 0,0.5,1] [--prototype-weight 1,3,10]
[--no-ablations]``

The test sets of ``bench/categories.py`` are left alone: this script takes only the
training rows (the 80 % that :func:`dateline.enrich.train_categories.split_rows` leaves
with the recipe's seed) and never embeds, predicts or scores a held-out row or a stories-dev
title. The training rows are cut again, stratified and seeded (the recipe's seed), into
``--folds`` folds (5: each a 20 % validation split); every setting is fitted on the other
folds (plus the prototypes and Wikinews rows, as the shipped recipe does) and predicts the
validation fold, so each training row is predicted once by a model that did not see it.

**Settings swept**: ``C`` × class-weight power (at the shipped prototype weight); the
prototype weight (at the shipped ``C`` and power); and, unless ``--no-ablations``, the
shipped recipe without prototypes, without Wikinews, and with one headline-only copy of
every row. Each is scored on the pooled validation predictions (accuracy, macro-F1 over
the 11 classes) with the per-fold macro-F1's mean and standard deviation beside it.
**Choice**: the highest pooled macro-F1 (ties within 0.0005: the higher accuracy). The
paired per-fold difference to the shipped recipe says whether that is more than noise: a
mean gain under two standard errors is reported as noise, and is no reason to change the
shipped recipe. Each fold holds only about six technology and six science rows, so
macro-F1 moves by a point when one of them flips.

**Confidence floor**: on the pooled validation predictions of the shipped recipe (the
floor applies to the shipped model), the precision of the top class per probability
window ``[p, p + 0.1)``, ``p`` on a 0.05 grid. The floor is the lowest ``p`` from which
every window with at least 20 predictions is right at least half the time. The precision
per 0.05-wide bin and, per candidate floor, the share kept and its precision are reported.
The shipped model is refitted on all the mapped rows, a quarter more than each fold's
model sees, so its probabilities may run a little higher than these.

Embeddings are cached (``--cache``, default ``bench/.cache/category-embeddings.npz``:
SHA-1 keys and vectors, no text), so MiniLM embeds each text once across runs; the same
file can be passed to ``bench/categories.py --cache``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEFAULT_DATA = SHARED / "corpora" / "news-category" / "news_category_subset.jsonl.gz"
DEFAULT_WIKINEWS = SHARED / "corpora" / "wikinews" / "articles.jsonl"
DEFAULT_JSON = REPO / "bench" / "results" / "tune_categories.json"
DEFAULT_CACHE = REPO / "bench" / ".cache" / "category-embeddings.npz"
WINDOW = 0.1  # width of a probability window for the floor
STEP = 0.05  # grid of window starts and candidate floors
MIN_WINDOW_N = 20  # a window with fewer predictions is too thin to judge
TIE = 0.0005  # macro-F1 differences below this are ties
NOISE_SE = 2.0  # a gain over the shipped recipe under this many standard errors is noise


def floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def stratified_folds(labels: list[str], folds: int, seed: int) -> list[np.ndarray]:
    """Indices of each of ``folds`` validation folds: every class dealt out evenly, seeded."""
    rng = np.random.default_rng(seed)
    out: list[list[int]] = [[] for _ in range(folds)]
    by_label: dict[str, list[int]] = {}
    for index, label in enumerate(labels):
        by_label.setdefault(label, []).append(index)
    dealt = 0  # carry the dealing position over classes so thin classes spread over folds
    for label in sorted(by_label):
        members = np.array(by_label[label])
        rng.shuffle(members)
        for member in members:
            out[dealt % folds].append(int(member))
            dealt += 1
    return [np.array(sorted(fold), dtype=int) for fold in out]


def settings(
    args: argparse.Namespace, shipped: Any, recipe_type: Any
) -> dict[str, Any]:  # name -> Recipe
    out: dict[str, Any] = {}

    def add(**changes: Any) -> None:
        recipe = recipe_type(**changes)
        key = json.dumps(recipe.as_dict(), sort_keys=True)
        if all(json.dumps(r.as_dict(), sort_keys=True) != key for r in out.values()):
            out[describe(recipe, shipped)] = recipe

    add()  # the shipped recipe first
    for c in args.c:
        for power in args.power:
            add(c=c, power=power)
    for weight in args.prototype_weight:
        add(prototype_weight=weight)
    if args.ablations:
        add(use_prototypes=False)
        add(use_wikinews=False)
        add(headline_copies=1)
    return out


def describe(recipe: Any, shipped: Any) -> str:
    parts = [f"C={recipe.c:g}", f"power={recipe.power:g}"]
    if recipe.use_prototypes:
        parts.append(f"prototype weight={recipe.prototype_weight:g}")
    else:
        parts.append("no prototypes")
    if not recipe.use_wikinews:
        parts.append("no Wikinews")
    if recipe.headline_copies:
        parts.append(f"headline copies={recipe.headline_copies}")
    name = ", ".join(parts)
    return f"{name} (shipped)" if recipe.as_dict() == shipped.as_dict() else name


def windows(
    probability: np.ndarray, correct: np.ndarray, width: float = WINDOW
) -> list[dict[str, Any]]:
    """[p, p + width) for p in steps of ``STEP`` (the last one closed at 1): how many
    predictions fall in each and how many of those are right."""
    out = []
    for start in np.arange(0.0, 1.0, STEP):
        p = round(float(start), 2)
        inside = (probability >= p) & (probability < p + width)
        if p + width >= 1.0:
            inside |= probability >= 1.0
        n = int(inside.sum())
        out.append(
            {
                "from": p,
                "to": round(min(p + width, 1.0), 2),
                "n": n,
                "precision": round(float(correct[inside].mean()), 4) if n else None,
            }
        )
    return out


def choose_floor(probability: np.ndarray, correct: np.ndarray) -> dict[str, Any]:
    """The lowest ``p`` from which every judged window is right at least half the time."""
    every = windows(probability, correct)
    floor = 0.0
    for w in (w for w in every if w["n"] >= MIN_WINDOW_N):
        if w["precision"] < 0.5:
            floor = round(w["from"] + STEP, 2)  # every window from here on must pass
    candidates = []
    for start in np.arange(0.2, 0.701, STEP):
        p = round(float(start), 2)
        kept = probability >= p
        candidates.append(
            {
                "floor": p,
                "share_kept": round(float(kept.mean()), 4),
                "precision_kept": round(float(correct[kept].mean()), 4) if kept.any() else None,
                "precision_dropped": (
                    round(float(correct[~kept].mean()), 4) if (~kept).any() else None
                ),
            }
        )
    return {
        "rule": f"lowest p (step {STEP}) such that every window [q, q+{WINDOW}) with q >= p "
        f"and at least {MIN_WINDOW_N} predictions has precision >= 0.5",
        "floor": floor,
        "bins": windows(probability, correct, STEP),
        "windows": every,
        "candidates": candidates,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--wikinews", type=Path, default=DEFAULT_WIKINEWS)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="embedding cache")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--c", type=floats, default=[0.25, 1.0, 4.0, 16.0])
    parser.add_argument("--power", type=floats, default=[0.0, 0.5, 1.0])
    parser.add_argument("--prototype-weight", type=floats, default=[1.0, 3.0, 10.0])
    parser.add_argument("--no-ablations", dest="ablations", action="store_false")
    args = parser.parse_args(argv)

    from dateline.enrich.categories import default_embedder
    from dateline.enrich.run import MIN_CATEGORY_CONFIDENCE
    from dateline.enrich.train_categories import (
        CachedEmbedder,
        Recipe,
        fit,
        huffpost_examples,
        load_news_category,
        scores,
        split_rows,
        training_set,
        wikinews_examples,
    )
    from dateline.taxonomy import CATEGORIES

    started = time.perf_counter()
    embed = CachedEmbedder(default_embedder, args.cache)
    shipped = Recipe()
    rows = load_news_category(args.data)
    train_rows, _held_out = split_rows(rows, shipped.seed)  # the held-out rows: never used
    del _held_out
    examples, _ = huffpost_examples(train_rows)
    assert len(examples) == len(train_rows)  # split_rows keeps mapped rows only
    gold = [e.label for e in examples]
    folds = stratified_folds(gold, args.folds, shipped.seed)
    wikinews = wikinews_examples(args.wikinews)
    t0 = time.perf_counter()
    vectors = embed([e.text for e in examples])
    print(f"{len(train_rows)} training rows embedded in {time.perf_counter() - t0:.1f}s; "
          f"{args.folds} folds of {[len(f) for f in folds]}", file=sys.stderr)  # fmt: skip

    results: dict[str, dict[str, Any]] = {}
    pooled: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, recipe in settings(args, shipped, Recipe).items():
        t0 = time.perf_counter()
        predicted = [""] * len(gold)
        probability = np.zeros(len(gold))
        fold_f1 = []
        for fold in folds:
            held = set(fold.tolist())
            inner = [row for i, row in enumerate(train_rows) if i not in held]
            weights = fit(training_set(inner, recipe, wikinews if recipe.use_wikinews else []),
                          embed, c=recipe.c, power=recipe.power)  # fmt: skip
            probs = weights.probabilities(vectors[fold])
            best = probs.argmax(axis=1)
            fold_predicted = [weights.classes[int(b)] for b in best]
            for at, index in enumerate(fold):
                predicted[index] = fold_predicted[at]
                probability[index] = probs[at, best[at]]
            fold_f1.append(scores([gold[i] for i in fold], fold_predicted, CATEGORIES)["macro_f1"])
        score = scores(gold, predicted, CATEGORIES)
        results[name] = {
            "recipe": recipe.as_dict(),
            "accuracy": score["accuracy"],
            "macro_f1": score["macro_f1"],
            "fold_macro_f1": fold_f1,
            "fold_macro_f1_mean": round(statistics.mean(fold_f1), 4),
            "fold_macro_f1_sd": round(statistics.stdev(fold_f1), 4) if len(fold_f1) > 1 else 0.0,
            "per_class_f1": {c: m["f1"] for c, m in score["per_class"].items()},
            "seconds": round(time.perf_counter() - t0, 1),
        }
        pooled[name] = (
            probability,
            np.array([g == p for g, p in zip(gold, predicted, strict=True)]),
        )
        print(f"{name}: macro-F1 {score['macro_f1']:.4f}, accuracy {score['accuracy']:.4f} "
              f"({results[name]['seconds']}s)", file=sys.stderr)  # fmt: skip

    shipped_name = next(n for n in results if n.endswith("(shipped)"))
    chosen_name = max(
        results,
        key=lambda n: (round(results[n]["macro_f1"] / TIE), results[n]["accuracy"]),
    )
    difference = [
        round(a - b, 4)
        for a, b in zip(
            results[chosen_name]["fold_macro_f1"],
            results[shipped_name]["fold_macro_f1"],
            strict=True,
        )
    ]
    mean_difference = statistics.mean(difference)
    se_difference = (
        statistics.stdev(difference) / len(difference) ** 0.5 if len(difference) > 1 else 0.0
    )
    floors = {"shipped recipe": choose_floor(*pooled[shipped_name])}
    if chosen_name != shipped_name:
        floors["chosen setting"] = choose_floor(*pooled[chosen_name])
    result = {
        "protocol": f"training rows only ({len(train_rows)} of the mapped rows: split_rows, "
        f"seed {shipped.seed}); {args.folds} stratified folds (seed {shipped.seed}), each "
        "predicted by a model fitted on the other folds + prototypes + Wikinews per recipe; "
        "held-out rows and stories dev never read",
        "rows_train": len(train_rows),
        "folds": [len(f) for f in folds],
        "settings": results,
        "shipped": {
            "setting": shipped_name,
            "recipe": shipped.as_dict(),
            "min_category_confidence": MIN_CATEGORY_CONFIDENCE,
        },
        "chosen": {
            "setting": chosen_name,
            "recipe": results[chosen_name]["recipe"],
            "rule": f"highest pooled validation macro-F1 (ties within {TIE}: higher accuracy)",
            "fold_macro_f1_minus_shipped": difference,
            "folds_better_than_shipped": sum(d > 0 for d in difference),
            "fold_difference_mean": round(mean_difference, 4),
            "fold_difference_se": round(se_difference, 4),
            "beyond_noise": chosen_name != shipped_name
            and mean_difference > NOISE_SE * se_difference,
            "per_class_f1": results[chosen_name]["per_class_f1"],
            "shipped_per_class_f1": results[shipped_name]["per_class_f1"],
        },
        "confidence_floor": floors,
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(markdown(result))
    return 0


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Validation on the training rows only ({result['rows_train']} rows, "
        f"{len(result['folds'])} folds of about {result['folds'][0]}); sorted by macro-F1:",
        "",
        "| setting | accuracy | macro-F1 | fold macro-F1 (mean ± sd) |",
        "|---|---:|---:|---:|",
    ]
    ranked = sorted(result["settings"].items(), key=lambda kv: -kv[1]["macro_f1"])
    for name, s in ranked:
        lines.append(
            f"| {name} | {s['accuracy']:.4f} | {s['macro_f1']:.4f} | "
            f"{s['fold_macro_f1_mean']:.4f} ± {s['fold_macro_f1_sd']:.4f} |"
        )
    chosen = result["chosen"]
    lines += [
        "",
        f"Would choose: {chosen['setting']} ({chosen['rule']}); shipped: "
        f"{result['shipped']['setting']}. Per-fold macro-F1, chosen minus shipped: "
        f"{chosen['fold_macro_f1_minus_shipped']} (better in "
        f"{chosen['folds_better_than_shipped']} of {len(result['folds'])} folds; mean "
        f"{chosen['fold_difference_mean']:+.4f} ± {chosen['fold_difference_se']:.4f} SE: "
        + ("beyond noise)." if chosen["beyond_noise"] else f"within {NOISE_SE:g} SE, noise)."),
    ]
    if chosen["setting"] != result["shipped"]["setting"]:
        lines += ["", "| class | F1, chosen | F1, shipped |", "|---|---:|---:|"]
        for label, f1 in chosen["per_class_f1"].items():
            lines.append(f"| {label} | {f1:.3f} | {chosen['shipped_per_class_f1'][label]:.3f} |")
    for name, floor in result["confidence_floor"].items():
        lines += [
            "",
            f"Confidence floor, {name}: {floor['floor']:.2f} (shipped "
            f"{result['shipped']['min_category_confidence']:.2f}; rule: {floor['rule']}).",
            "",
            "| top-class probability | n | precision |",
            "|---|---:|---:|",
        ]
        for b in floor["bins"]:
            precision = f"{b['precision']:.3f}" if b["precision"] is not None else "—"
            lines.append(f"| [{b['from']:.2f}, {b['to']:.2f}) | {b['n']} | {precision} |")
        lines += ["", "| floor | share kept | precision kept | precision dropped |",
                  "|---:|---:|---:|---:|"]  # fmt: skip
        for c in floor["candidates"]:
            dropped = f"{c['precision_dropped']:.3f}" if c["precision_dropped"] is not None else "—"
            lines.append(
                f"| {c['floor']:.2f} | {c['share_kept']:.3f} | {c['precision_kept']:.3f} | "
                f"{dropped} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
