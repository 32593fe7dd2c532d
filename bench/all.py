"""Every benchmark as a gate, one after another: what ``make bench`` runs.

Usage: ``python bench/all.py [--only NAMES] [--skip NAMES] [--list]``

Each benchmark runs in its own process with ``--gate``: it prints its table, writes
``bench/results/<name>.json`` and exits non-zero on a missed floor or target or an
invalid run. A failure does not stop the others (one slow benchmark should not hide
another's regression); the summary at the end lists each one's exit status and time, and
this script exits 1 when any failed. Run one alone with ``--only``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# name -> the arguments ``make bench`` gives it (besides --gate), in the order they run
BENCHMARKS: dict[str, list[str]] = {
    "extraction": [],
    "dedup": ["--quick"],
    "stories": [],
    "story_store": [],
    "story_articles": [],
    "categories": [],
    "entities": [],
    "serving": [],
    "rank_speed": [],
    "cold_start": [],
    "recommend": [],
    "related": [],
    "demo_build": [],
    "demo_readers": [],
    "ingest": [],
    "regex_growth": [],
    "crash_cycles": [],
    "soak": [],
}


def names(value: str | None) -> list[str]:
    picked = [n.strip() for n in (value or "").split(",") if n.strip()]
    unknown = [n for n in picked if n not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)} (--list names them)")
    return picked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated benchmarks to run (default: all)")
    parser.add_argument("--skip", help="comma-separated benchmarks to leave out")
    parser.add_argument("--list", action="store_true", help="print the names and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(BENCHMARKS))
        return 0
    only, skip = names(args.only), names(args.skip)
    chosen = [n for n in BENCHMARKS if (not only or n in only) and n not in skip]
    outcomes: list[tuple[str, int, float]] = []
    for name in chosen:
        command = [sys.executable, str(BENCH / f"{name}.py"), *BENCHMARKS[name], "--gate"]
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        code = subprocess.call(command)
        outcomes.append((name, code, time.perf_counter() - started))
    print("\n| benchmark | gate | minutes |\n|---|---|---:|")
    for name, code, seconds in outcomes:
        verdict = "passed" if code == 0 else f"**FAILED** (exit {code})"
        print(f"| {name} | {verdict} | {seconds / 60:.1f} |")
    return 1 if any(code for _, code, _ in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
