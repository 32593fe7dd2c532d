"""Seconds per MB of crafted input for every regex that sees untrusted text.

Usage: ``python bench/regex_growth.py [--mb 1] [--json OUT] [--gate]``

The patterns and the input shapes are the suite's (``tests/regex_cases.py``): each
pattern's slowest shape at 2,000 characters is timed at ``--mb`` MB (the best of three
full scans, every match found, as ``sub``, ``split`` and ``findall`` do). Baseline, in the
same run: one scan of the same MB by the trivial pattern ``\\x01`` (the engine's floor).
Gate: no pattern over 3 s per MB (the slowest linear ones take under one; a quadratic
one takes minutes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from bench_output import finish

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
DEFAULT_JSON = REPO / "bench" / "results" / "regex_growth.json"
GATE_SECONDS_PER_MB = 3.0


def main(argv: list[str] | None = None) -> int:
    import re

    from regex_cases import cases, seconds, worst

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=1.0, help="input size in MB (1)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"({DEFAULT_JSON})")
    parser.add_argument(
        "--gate", action="store_true", help=f"exit 1 above {GATE_SECONDS_PER_MB} s/MB"
    )
    args = parser.parse_args(argv)
    size = int(args.mb * 1_000_000)
    started = time.perf_counter()
    floor = seconds(re.compile("\x01"), "a" * size, repeat=3) / args.mb
    rows: list[dict[str, Any]] = []
    for case in cases():
        shape, _ = worst(case, 2_000)
        per_mb = seconds(case.pattern, shape.text(size), repeat=3) / args.mb
        rows.append(
            {
                "pattern": case.name.removeprefix("dateline."),
                "shape": shape.label,
                "seconds_per_mb": round(per_mb, 4),
                "x_baseline": round(per_mb / floor, 1),
            }
        )
    rows.sort(key=lambda r: -r["seconds_per_mb"])
    print(
        f"\n{len(rows)} patterns, {args.mb:g} MB each; baseline (\\x01 scan): {floor * 1000:.1f} ms/MB\n"
    )
    print("| pattern (slowest 15) | worst shape | s/MB | x baseline |")
    print("|---|---|---:|---:|")
    for r in rows[:15]:
        print(
            f"| `{r['pattern']}` | `{r['shape']}` | {r['seconds_per_mb']:.3f} | {r['x_baseline']:,} |"
        )
    total = time.perf_counter() - started
    print(
        f"\nslowest: {rows[0]['seconds_per_mb']:.3f} s/MB; median: {rows[len(rows) // 2]['seconds_per_mb']:.4f} s/MB; run {total:.0f} s"
    )
    result = {
        "mb": args.mb,
        "baseline_seconds_per_mb": round(floor, 5),
        "patterns": rows,
        "slowest_seconds_per_mb": rows[0]["seconds_per_mb"],
    }
    failures = None
    if args.gate:
        failures = [
            f"{r['pattern']}: {r['seconds_per_mb']:.2f} s/MB on {r['shape']}"
            for r in rows
            if r["seconds_per_mb"] > GATE_SECONDS_PER_MB
        ]
    return finish(result, args.json, failures)


if __name__ == "__main__":
    sys.exit(main())
