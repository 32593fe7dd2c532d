"""Near-duplicate benchmark: republished copies of Wikinews articles, found by the real code.

Usage: ``python bench/dedup.py [--seed N] [--quick] [--json OUT] [--gate] [--sweep-k]``

1. **Test set** (``dedup_corpus``, deterministic for a seed), built from the bundled
   Wikinews corpus: every article is an original; each gets 1-10 copies the way content
   farms republish (chrome leaked into the body, paragraphs dropped or reordered, a
   sentence edited, dates changed), and about a third of them one verbatim copy (the same
   title and paragraphs, byte for byte). Hard negatives: the other articles of the
   corpus's running stories, and pairs of different articles sharing one long quote.
2. **Quality** (``dedup_quality``): every original, then every copy, goes through
   ``dateline.store.repository.save_article`` on a real SQLite file, one transaction per
   document as ``dateline ingest`` does. A copy is right when it attaches to its
   original's article; an original or a quote-sharing article is right when it creates
   its own. Precision and recall are on the full set; recall also on the verbatim copies
   and on the edited ones. Baselines in the same run, on the same stream: exact
   normalised-body hash (what the store did before: it finds the verbatim copies only),
   and datasketch's in-memory ``MinHashLSH`` over plain word 5-shingles.
3. **Speed** (``dedup_speed``): the ingest rate — lookup + insert + commit per document,
   the quality run's own ``save_article`` calls, timed — which the docs/s floor applies
   to; beside it the lookup rate (shingling + MinHash + ``find_copy_of``, read-only, on
   the filled index). Then lookups as the index grows to 200k documents, filled in bulk
   with reworded recombinations of the corpus's sentences whose LSH buckets meet the
   queries as often, per document, as the corpus's own articles meet each other; each
   size reports the candidates per lookup beside p50/p99.

``--gate`` exits 1 when precision, recall, the ingest rate or the p99 growth ratio miss the
floors in ``bench/baseline.json`` ("dedup"), or when no lookup met the filler (the growth
check would then measure B-tree depth alone).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench_output import finish
from dateline.enrich import dedup
from dateline.store.db import Store
from dateline.store.schema import upgrade
from dedup_corpus import VERBATIM, build
from dedup_quality import (
    BASELINE_LSH_THRESHOLD,
    datasketch_baseline,
    exact_hash_baseline,
    ingest,
    score,
    sweep_k,
    timed_ingest,
)
from dedup_speed import QUICK_SIZES, SIZES, growth, lookup_speed

REPO = Path(__file__).resolve().parent.parent
DEFAULT_JSON = REPO / "bench" / "results" / "dedup.json"
BASELINE = REPO / "bench" / "baseline.json"
DEFAULT_SEED = 20240424

# --- report --------------------------------------------------------------------------------------

# (result key, column head) of each printed table
QUALITY_COLUMNS = [
    ("name", "method"),
    ("precision", "precision"),
    ("recall", "recall"),
    ("tp", "TP"),
    ("fp", "FP"),
    ("fn", "FN"),
    ("recall_verbatim", "recall verbatim"),
    ("recall_edited", "recall edited"),
    ("ingest_docs_per_s", "ingest docs/s"),
    ("lookup_docs_per_s", "lookup docs/s"),
]
GROWTH_COLUMNS = [
    ("index_docs", "index size"),
    ("candidates_mean", "candidates/lookup"),
    ("filler_hit_share", "meet filler"),
    ("filler_meet_rate", "filler meet rate"),
    ("answers_changed", "answers changed"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("mem_p50_ms", "datasketch in-memory p50 ms"),
    ("mem_p99_ms", "p99 ms"),
]
SWEEP_COLUMNS = [
    ("k", "k"),
    ("copies_containment_p1", "copies containment p1"),
    ("copies_containment_min", "min"),
    ("negatives_containment_max", "negatives max"),
    ("gap_p1_vs_max", "gap"),
]


def fmt(row: Mapping[str, object], cols: list[str]) -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:,.3f}" if v < 100 else f"{v:,.0f}"
        return f"{v:,}" if isinstance(v, int) else str(v)

    return "| " + " | ".join(cell(row[c]) for c in cols) + " |"


def table(rows: Sequence[Mapping[str, object]], columns: list[tuple[str, str]]) -> str:
    lines = ["| " + " | ".join(h for _, h in columns) + " |", "|" + "---|" * len(columns)]
    return "\n".join(lines + [fmt(r, [c for c, _ in columns]) for r in rows])


def gate(result: dict[str, object], baseline: Path) -> list[str]:
    floors = json.loads(baseline.read_text(encoding="utf-8"))["dedup"]
    ours = result["quality"][0]  # type: ignore[index]
    failures = []
    for name in ("precision", "recall"):
        if ours[name] < floors[f"{name}_floor"]:
            failures.append(f"{name} {ours[name]:.4f} is below the floor {floors[name + '_floor']}")
    speed = result["speed"]["ingest_docs_per_s"]  # type: ignore[index]
    if speed < floors["ingest_docs_per_s_floor"]:
        failures.append(
            f"ingest {speed:.0f} docs/s is below the floor {floors['ingest_docs_per_s_floor']}"
        )
    ratio = result.get("p99_growth")
    if ratio is not None and ratio > floors["p99_growth_max"]:
        failures.append(
            f"p99 grew {ratio:.2f}x over the index sizes (max {floors['p99_growth_max']})"
        )
    curve = result.get("growth")
    if curve and not curve[-1]["filler_hit_share"]:  # type: ignore[index]
        failures.append("no lookup met the filler: the growth check measured B-tree depth only")
    return failures


def print_report(result: dict, sweep: bool) -> None:
    s, speed, curve = result["set"], result["speed"], result["growth"]
    print(
        f"\n{s['judged']} judged documents: {s['copies']} copies ({s['verbatim_copies']} "
        f"verbatim) of {s['originals']} originals, {s['negatives']} negatives "
        f"({s['same_story_originals']} same-story originals, {s['quote_pairs']} "
        "shared-quote articles)\n"
    )
    print(table(result["quality"], QUALITY_COLUMNS))
    print(
        f"\ningest (save_article, one transaction per doc) {speed['ingest_docs_per_s']:.0f} "
        f"docs/s; lookup alone {speed['lookup_docs_per_s']:.0f} docs/s: shingling + MinHash "
        f"{speed['shingle_minhash_ms']:.3f} ms/doc, LSH lookup + verification "
        f"{speed['lookup_ms']:.3f} ms/doc\n"
    )
    filler = result["growth_filler"]
    print(
        f"growth: {filler['lookups']:,} lookups per size; buckets met per (lookup, document) "
        f"pair: corpus articles {filler['corpus_meet_rate']:.2e}\n"
    )
    rates = [{**r, "filler_meet_rate": f"{r['filler_meet_rate']:.2e}"} for r in curve]
    print(table(rates, GROWTH_COLUMNS))
    print(
        f"\np99 at {curve[-1]['index_docs']:,} / p99 at {curve[0]['index_docs']:,}: "
        f"{result['p99_growth']:.2f}x"
    )
    if sweep:
        print()
        print(table(result["sweep_k"], SWEEP_COLUMNS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="test-set seed")
    parser.add_argument("--quick", action="store_true", help="index sizes 10k and 50k only")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument("--gate", action="store_true", help="exit 1 below the floors")
    parser.add_argument("--sweep-k", action="store_true", help="compare shingle lengths 3-8")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    originals, copies, pairs = build(args.seed)
    stream = originals + copies
    ops = Counter(op for c in copies for op in c.ops)
    print(
        f"{len(originals)} originals, {len(copies)} copies ({dict(sorted(ops.items()))}), "
        f"{len(pairs)} quote pairs; seed {args.seed}",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{Path(tmp) / 'dedup.db'}")
        upgrade(store)
        predicted, ingest_rate = timed_ingest(store, stream)
        speed = lookup_speed(store, stream)
        store.dispose()
        quotes = Store(f"sqlite:///{Path(tmp) / 'quotes.db'}")
        upgrade(quotes)
        owner: dict[int, str] = {}
        ingest(quotes, [a for a, _ in pairs], owner)
        predicted.update(ingest(quotes, [b for _, b in pairs], owner))
        quotes.dispose()
        sizes = QUICK_SIZES if args.quick else SIZES
        curve = growth(Path(tmp) / "growth.db", originals, copies, sizes, args.seed)

    judged = stream + [b for _, b in pairs]
    exact, exact_ingest, exact_lookup = exact_hash_baseline(judged)
    sketch, sketch_ingest, sketch_lookup = datasketch_baseline(stream)
    sketch.update(datasketch_baseline([d for p in pairs for d in p])[0])
    quality = [
        {
            "name": "dateline (persisted LSH + containment)",
            **score(judged, predicted),
            "ingest_docs_per_s": ingest_rate,
            "lookup_docs_per_s": speed["lookup_docs_per_s"],
        },
        {
            "name": "exact normalised-body hash",
            **score(judged, exact),
            "ingest_docs_per_s": exact_ingest,
            "lookup_docs_per_s": exact_lookup,
        },
        {
            "name": f"datasketch MinHashLSH in memory (J>={BASELINE_LSH_THRESHOLD})",
            **score(judged, sketch),
            "ingest_docs_per_s": sketch_ingest,
            "lookup_docs_per_s": sketch_lookup,
        },
    ]
    negatives = [d for d in judged if d.truth is None]
    rows = curve.pop("rows")
    result = {
        "seed": args.seed,
        "params": {
            "shingle_words": 5,
            "num_perm": dedup.NUM_PERM,
            "bands": dedup.BANDS,
            "rows": dedup.ROWS,
            "lsh_threshold": dedup.LSH_THRESHOLD,
            "jaccard_min": dedup.JACCARD_MIN,
            "containment_min": dedup.CONTAINMENT_MIN,
            "size_ratio_min": dedup.SIZE_RATIO_MIN,
            "min_words": dedup.MIN_WORDS,
        },
        "set": {
            "originals": len(originals),
            "copies": len(copies),
            "verbatim_copies": ops[VERBATIM],
            "copy_ops": dict(ops),
            "quote_pairs": len(pairs),
            "negatives": len(negatives),
            "same_story_originals": sum(1 for d in originals if d.story),
            "judged": len(judged),
        },
        "quality": quality,
        "false_positives": {
            "same_story": sum(1 for d in originals if d.story and predicted[d.key] is not None),
            "shared_quote": sum(1 for _, b in pairs if predicted[b.key] is not None),
        },
        "speed": {
            **speed,
            "ingest_docs_per_s": ingest_rate,
            "ingest_ms": 1000 / ingest_rate,
        },
        "growth": rows,
        "growth_filler": curve,
        "p99_growth": rows[-1]["p99_ms"] / rows[0]["p99_ms"],
        "seconds": time.perf_counter() - started,
    }
    if args.sweep_k:
        result["sweep_k"] = sweep_k(originals, copies, pairs)
    print_report(result, args.sweep_k)
    return finish(result, args.json, gate(result, BASELINE) if args.gate else None)


if __name__ == "__main__":
    sys.exit(main())
