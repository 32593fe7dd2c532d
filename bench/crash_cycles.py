"""SIGKILL ``dateline ingest`` at random points, many times, and check the store after each.

Usage: ``python bench/crash_cycles.py [--cycles 1000] [--engine sqlite|postgresql] [--gate]``

The suite's procedure (``tests/kill_cycles.py``; 20 cycles per engine in CI) at scale: a
corpus of 300 distinct JSON-lines items in 6 files, ``DATELINE_ENRICH_ON_INGEST=false``
so a cycle is not a model load, a kill mostly while items are stored (sometimes during
start-up). After every kill the store is checked: every acknowledged item (its line
printed after its commit) present exactly once, SQLite's integrity and foreign-key checks,
no orphan row, every article with its pages. When the corpus is all in, the store starts
again empty, so kills keep landing mid-ingest. A last run to the end must then hold every
item exactly once. Baseline, in the same run: the same command run to the end, not killed
(its time per run, to show what a cycle costs).

Gate: no failed check (any failure is a lost or duplicated item, or a damaged store).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_output import finish

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
DEFAULT_JSON = REPO / "bench" / "results" / "crash_cycles.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=1000, help="kill cycles (1000)")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"({DEFAULT_JSON})")
    parser.add_argument("--gate", action="store_true", help="exit 1 on any failed check")
    args = parser.parse_args(argv)

    from kill_cycles import CycleLog, check_store, run_cycle, write_corpus

    work = Path(tempfile.mkdtemp(prefix="dateline-crash."))
    new_url = _databases(args.engine, work)
    try:
        corpus = work / "corpus"
        urls = write_corpus(corpus)
        url = next(new_url)
        env = _env(url, work)
        started = time.perf_counter()
        baseline = CycleLog()
        run_cycle(corpus, env, random.Random(0), baseline, kill=False)
        baseline_s = time.perf_counter() - started
        url = next(new_url)
        env = _env(url, work)
        rng = random.Random(args.seed)
        log, failures, rounds = CycleLog(), [], 1
        started = time.perf_counter()
        for cycle in range(1, args.cycles + 1):
            run_cycle(corpus, env, rng, log)
            try:
                counts = check_store(url, log.acknowledged)
            except AssertionError as exc:
                failures.append(f"cycle {cycle}: {exc}")
                break
            if counts["pages"] == len(urls):  # all in: start again, empty
                url, rounds = next(new_url), rounds + 1
                env, log.acknowledged = _env(url, work), set()
            if cycle % 50 == 0:
                print(f"{cycle} cycles, {log.kills} kills, {rounds} rounds", flush=True)
        cycles_s = time.perf_counter() - started
        final = CycleLog()
        run_cycle(corpus, env, random.Random(1), final, kill=False)
        try:
            counts = check_store(url, set(urls))
            if counts["pages"] != len(urls) or counts["articles"] != len(urls):
                failures.append(f"after the last run: {counts} for {len(urls)} items")
        except AssertionError as exc:
            failures.append(f"after the last run: {exc}")
        result: dict[str, Any] = {
            "engine": args.engine,
            "cycles": args.cycles,
            "kills": log.kills,
            "completed_runs": log.completed_runs,
            "rounds_of_the_corpus": rounds,
            "kill_delay_s_min_median_max": _spread(log.kill_delays),
            "seconds": round(cycles_s, 1),
            "seconds_per_cycle": round(cycles_s / max(args.cycles, 1), 2),
            "baseline_full_run_s": round(baseline_s, 2),
            "failures": failures,
        }
    finally:
        new_url.close()  # stops the PostgreSQL cluster, if one was started
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\n| engine | cycles | kills | rounds | s/cycle | full run (baseline) s | failed checks |\n"
        f"|---|---:|---:|---:|---:|---:|---:|\n"
        f"| {args.engine} | {args.cycles} | {log.kills} | {rounds} | "
        f"{result['seconds_per_cycle']} | {result['baseline_full_run_s']} | {len(failures)} |"
    )
    for failure in failures:
        print(failure)
    return finish(result, args.json, failures if args.gate else None)


def _env(url: str, work: Path) -> dict[str, str]:
    return {
        "DATELINE_DATABASE_URL": url,
        "DATELINE_DATA_DIR": str(work / "data"),
        "DATELINE_ENRICH_ON_INGEST": "false",
        "DATELINE_AUTO_MIGRATE": "true",
    }


def _databases(engine: str, work: Path):  # type: ignore[no-untyped-def]
    """Fresh empty databases, one per round of the corpus."""
    n = 0
    if engine == "sqlite":
        while True:
            n += 1
            yield f"sqlite:///{work / f'round-{n}.db'}"
    import psycopg

    from pgcluster import start_cluster

    cluster = start_cluster(durable=True)
    try:
        while True:
            n += 1
            with psycopg.connect(
                f"host={cluster.socket_dir} user={cluster.user} dbname=postgres", autocommit=True
            ) as conn:
                conn.execute(f'CREATE DATABASE "round{n}"')
            yield cluster.url(f"round{n}")
    finally:
        cluster.stop()


def _spread(values: list[float]) -> list[float]:
    if not values:
        return []
    ordered = sorted(values)
    return [round(ordered[0], 2), round(ordered[len(ordered) // 2], 2), round(ordered[-1], 2)]


if __name__ == "__main__":
    sys.exit(main())
