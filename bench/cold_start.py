"""Cold start of ``dateline ingest``: one feed item into a fresh data folder, in new processes.

Usage: ``python bench/cold_start.py [--runs 5] [--json OUT] [--gate]``

``--gate`` exits 1 past the margins of ``bench/baseline.json`` ("cold_start"): the full
``ingest`` against the store-only ``ingest`` of the same turns, and its peak memory.

What a newsroom's cron job or a first try pays before any work is done: the interpreter,
the imports, the store created, the models loaded. Every case is a new process (``python
-m dateline.cli`` for the commands), run ``--runs`` times; the cases take turns, so
background load falls on all of them alike. For each: wall time (median and best), CPU
time (user + system, median) and peak resident memory (the child's own ``ru_maxrss``,
from ``wait4``). The baselines run in the same turns:

- ``python -c pass``: the interpreter alone;
- ``import dateline``: the package (its version only), the named baseline;
- ``dateline --help``: every command's module imported;
- ``ingest, store only``: ``dateline ingest`` with ``DATELINE_ENRICH_ON_INGEST=false``:
  read, extract, MinHash and store the item;

and the case measured, ``ingest``: the same with the enrich stage on (the default): dates,
the category classifier (MiniLM), entities (spaCy), the story (MiniLM again: the same
model, loaded once), source scores. A last run of each ingest case with ``-X importtime``
says which heavy libraries the process imported at all.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_output import finish

REPO = Path(__file__).resolve().parent.parent
DEFAULT_JSON = REPO / "bench" / "results" / "cold_start.json"
BASELINE = REPO / "bench" / "baseline.json"
HEAVY = ("numpy", "scipy", "sklearn", "torch", "transformers", "sentence_transformers", "spacy")
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbor City Gazette</title>
<link>https://gazette.example.org/</link>
<item>
<title>Port workers end strike after pay deal with harbour authority</title>
<link>https://gazette.example.org/news/port-strike-ends</link>
<pubDate>Thu, 26 Nov 2026 22:05:00 -0500</pubDate>
<description>Dock workers at the Port of Harbor City returned to work on Thursday after union
leaders and the Harbor City Port Authority agreed a three-year pay deal. The strike, which
began on 12 November, had left more than forty container ships waiting offshore. Union
president Maria Alvarez said members had voted by a large majority to accept the offer,
which raises wages by 4 percent a year. Port Authority chief executive Daniel Okafor said
cargo handling would return to normal within a week.</description>
</item></channel></rss>
"""


def cases(feed: Path) -> list[tuple[str, list[str], dict[str, str]]]:
    py = sys.executable
    ingest = [py, "-m", "dateline.cli", "ingest", str(feed)]
    return [
        ("python -c pass", [py, "-c", "pass"], {}),
        ("import dateline", [py, "-c", "import dateline"], {}),
        ("dateline --help", [py, "-m", "dateline.cli", "--help"], {}),
        ("ingest, store only", ingest, {"DATELINE_ENRICH_ON_INGEST": "false"}),
        ("ingest", ingest, {}),
    ]


def run_once(argv: list[str], env: dict[str, str], work: Path) -> dict[str, float]:
    """One new process in a fresh data folder: wall and CPU seconds, peak RSS in MB."""
    data = Path(tempfile.mkdtemp(dir=work))
    environ = os.environ | env | {"DATELINE_DATA_DIR": str(data)}
    log = data / "output.txt"
    with log.open("wb") as out:
        started = time.perf_counter()
        child = subprocess.Popen(argv, env=environ, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{argv} exited {child.returncode}:\n{log.read_text()[-2000:]}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": usage.ru_maxrss * 1024 / 1e6,  # Linux reports KiB; MB are 10^6 bytes
    }


def imported(argv: list[str], env: dict[str, str], work: Path) -> list[str]:
    """The heavy libraries (``HEAVY``) the command imports, from ``-X importtime``."""
    data = Path(tempfile.mkdtemp(dir=work))
    traced = [argv[0], "-X", "importtime", *argv[1:]]
    environ = os.environ | env | {"DATELINE_DATA_DIR": str(data)}
    done = subprocess.run(traced, env=environ, capture_output=True, text=True, check=True)
    names = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return [name for name in HEAVY if name in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each case (default 5)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument("--gate", action="store_true", help="exit 1 past the margins")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dateline-cold-") as tmp:
        work = Path(tmp)
        feed = work / "one-item.xml"
        feed.write_text(FEED, encoding="utf-8")
        plan = cases(feed)
        for _name, command, env in plan:  # warm the OS file cache and the .pyc files
            run_once(command, env, work)
        samples: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in plan}
        for _ in range(args.runs):
            for name, command, env in plan:
                samples[name].append(run_once(command, env, work))
        modules = {name: imported(cmd, env, work) for name, cmd, env in plan if "ingest" in name}
    baseline = statistics.median(s["wall_s"] for s in samples["import dateline"])
    rows: list[dict[str, Any]] = []
    for name, _, _ in plan:
        runs = samples[name]
        wall = statistics.median(r["wall_s"] for r in runs)
        rows.append(
            {
                "case": name,
                "wall_s_median": round(wall, 2),
                "wall_s_best": round(min(r["wall_s"] for r in runs), 2),
                "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs), 2),
                "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs)),
                "vs_import_dateline": round(wall / baseline, 1),
                "heavy_imports": modules.get(name),
            }
        )
    print(f"{'case':<20} {'wall s':>7} {'best s':>7} {'cpu s':>6} {'peak MB':>8} {'x import':>8}")
    for row in rows:
        print(
            f"{row['case']:<20} {row['wall_s_median']:>7.2f} {row['wall_s_best']:>7.2f} "
            f"{row['cpu_s_median']:>6.2f} {row['peak_rss_mb']:>8} {row['vs_import_dateline']:>8}"
        )
    for name, found in modules.items():
        print(f"{name}: imports {', '.join(found) or 'none of ' + ', '.join(HEAVY)}")
    result = {
        "runs": args.runs,
        "load_average_after": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "rows": rows,
    }
    return finish(result, args.json, gate(rows, BASELINE) if args.gate else None)


def gate(rows: list[dict[str, Any]], baseline: Path) -> list[str]:
    limits = json.loads(baseline.read_text(encoding="utf-8"))["cold_start"]
    by = {row["case"]: row for row in rows}
    full, store_only = by["ingest"], by["ingest, store only"]
    ratio = full["wall_s_median"] / store_only["wall_s_median"]
    out = []
    if ratio > limits["ingest_over_store_only_max"]:
        out.append(
            f"ingest {full['wall_s_median']} s is {ratio:.1f}x the store-only ingest of the "
            f"same turns (at most {limits['ingest_over_store_only_max']}x)"
        )
    if full["peak_rss_mb"] > limits["ingest_peak_mb_max"]:
        out.append(
            f"ingest peaks at {full['peak_rss_mb']} MB (at most {limits['ingest_peak_mb_max']})"
        )
    if store_only["heavy_imports"] != ["numpy", "scipy"]:
        out.append(f"the store-only ingest imports {store_only['heavy_imports']}")
    return out


if __name__ == "__main__":
    sys.exit(main())
