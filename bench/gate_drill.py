"""Break each benchmark's gate on purpose and show that it fails: a gate drill.

Usage: ``python bench/gate_drill.py [--only NAMES] [--list] [--json OUT] [--out DIR]``

Why: a gate that cannot fail is a defect. A floor compared with the wrong figure, a
target that a partial run skips, an exit code that is lost: each one passes a regression
as silently as no gate at all, and nothing but a failing run shows that it works. So for
every benchmark of ``bench/all.py`` this script makes the *product* worse on purpose (a
worse threshold for a quality floor, a slower path for a speed target, a held cache that
goes stale for a same-decisions check), runs the benchmark with ``--gate`` at its
cheapest size that still applies the gate, and checks that it exits non-zero with a
``GATE FAILED:`` line about the figure that was broken.

How: product sources are never edited. Each drill is a patch written as
``sitecustomize.py`` into a temporary folder put first on ``PYTHONPATH``, so it runs in
every Python process the benchmark starts (``dateline serve`` workers, pools). It
installs an import hook that patches the named module right after the module's own code
ran, before any other module imports a name from it (``from m import X`` and default
arguments bound at definition then see the patched value). Each patched process appends
a line to ``applied.log``: a drill whose patch never applied is reported as such. A
``sitecustomize`` the folder shadows is run too. The benchmarks write their JSON under
``--out`` (default ``/tmp/drill``), never over ``bench/results``; the patch folders are
removed. Exit status 0 only when every drill's gate failed as intended.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_JSON = BENCH / "results" / "gate_drill.json"
PINNED = json.loads((BENCH / "baseline.json").read_text(encoding="utf-8"))
TIMEOUT_S = 1200  # per drill; the slowest (recommend --quick) takes a few minutes

PRELUDE = '''\
"""Gate drill patch (bench/gate_drill.py): patches @MODULE@ once it is imported."""
import functools, importlib.abc, importlib.machinery, os, sys, time
_DIR = os.path.dirname(os.path.abspath(__file__))

def slowed(fn, seconds):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        time.sleep(seconds)
        return fn(*args, **kwargs)
    return wrapper

def _patch(m):
@PATCH@
    with open(os.path.join(_DIR, "applied.log"), "a") as log:
        log.write(f"{os.getpid()} {sys.argv[:3]}\\n")

class _Loader(importlib.abc.Loader):  # the module's own loader, then the patch
    def __init__(self, inner): self.inner = inner
    def __getattr__(self, name): return getattr(vars(self)["inner"], name)
    def create_module(self, spec): return self.inner.create_module(spec)
    def exec_module(self, module):
        self.inner.exec_module(module)
        _patch(module)

class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != @MODULE@ or name in sys.modules: return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None: spec.loader = _Loader(spec.loader)
        return spec

sys.meta_path.insert(0, _Finder())
_other = importlib.machinery.PathFinder.find_spec(  # a sitecustomize this one shadows
    "sitecustomize", [p for p in sys.path if os.path.abspath(p or ".") != _DIR])
if _other is not None and _other.origin and os.path.exists(_other.origin):
    with open(_other.origin) as _source:
        exec(compile(_source.read(), _other.origin, "exec"), {"__name__": "sitecustomize"})
'''


@dataclass(frozen=True)
class Drill:
    name: str  # the benchmark (bench/all.py's BENCHMARKS key)
    argv: list[str]  # its cheapest gated size; "{tmp}" is the drill's temp folder
    module: str  # the product module patched right after it is imported
    patch: str  # code run with ``m`` bound to that module (``slowed(fn, s)`` at hand)
    description: str
    expect: str  # a failure line about the broken figure contains this
    target: str  # the floor or target the broken figure misses
    figure: Callable[[dict[str, Any]], str]  # that figure, from the benchmark's JSON
    copies: tuple[str, ...] = ()  # paths under REPO copied into {tmp} first (cached data)


def _failed(d: dict[str, Any]) -> str:
    return (
        "; ".join(
            f"{t.get('name', t.get('target'))}: {t.get('value', t.get('max', t.get('blend')))}"
            for t in d["targets"]
            if not t["met"]
        )
        or "every target met"
    )


P, RECIPE = PINNED, "MiniLM + LR + prototypes + Wikinews (shipped recipe)"
# stories: one seed order when it has a pinned floor of its own, else the eight of the mean
SEEDS = ["--seeds", "1"] if "1" in P["stories"].get("per_seed_f1_floor", {}) else []
STORIES_TARGET = f"mean F1 of seed orders 1-8 >= {P['stories']['f1_floor']}" + (
    f" (seed order 1 alone >= {P['stories']['per_seed_f1_floor']['1']})" if SEEDS else ""
)
STALE = """_sync = m.StoryClusterer._sync
def stale(self, session):
    if self._core is not None and self._bind is session.get_bind():
        return self._core  # never reads the story rows changed since
    return _sync(self, session)
m.StoryClusterer._sync = stale"""
DRILLS = [
    Drill("extraction", ["--passes", "1"], "dateline.extract.html_clean",
          "m.MIN_PROSE_WORDS = 80",
          "html_clean.MIN_PROSE_WORDS 8 -> 80, a worse threshold (no body without an 80-word paragraph)",
          "dateline F1", f"F1 >= {P['extraction']['f1_floor']}, above both trafilatura rows",
          lambda d: f"F1 {d['rows'][0]['f1']:.4f}"),
    Drill("dedup", ["--quick"], "dateline.enrich.dedup",
          "m.JACCARD_MIN = 0.9\nm.CONTAINMENT_MIN = 0.95",
          "dedup.JACCARD_MIN 0.5 -> 0.9 and CONTAINMENT_MIN 0.7 -> 0.95, worse thresholds",
          "recall", "precision >= {precision_floor}, recall >= {recall_floor}, ingest >= "
          "{ingest_docs_per_s_floor} docs/s, p99 growth <= {p99_growth_max}x".format(**P["dedup"]),
          lambda d: "precision {precision:.4f}, recall {recall:.4f}".format(**d["quality"][0])
          + f", ingest {d['speed']['ingest_docs_per_s']:.0f} docs/s"),
    Drill("stories", [*SEEDS, "--no-minilm-reference"], "dateline.enrich.stories.scoring",
          "m.JOIN_THRESHOLD = 0.60", "stories.JOIN_THRESHOLD 0.42 -> 0.60, a worse threshold",
          "streaming BCubed F1", STORIES_TARGET,
          lambda d: f"F1 {d['rows'][0]['f1']:.3f} (seeds {','.join(map(str, d['seeds']))})"),
    Drill("story_store", ["--checkpoints", "2"], "dateline.enrich.stories.clusterer", STALE,
          "the held StoryClusterer never re-reads changed story rows (a stale held cache)",
          "decided differently", "same decisions as a fresh clusterer; held growth <= "
          "{held_growth_max}x; fresh/held >= {fresh_over_held_min}x".format(**P["story_store"]),
          lambda d: f"same decisions {d['all_same_decisions']}, fresh/held "
          f"{d['rows'][-1]['fresh_over_held']}x, held growth {d['held_growth_last_over_first']}x"),
    Drill("story_articles", [], "dateline.enrich.stories.scoring",
          "m.ARTICLE_JOIN_THRESHOLD = 0.40",
          "stories.ARTICLE_JOIN_THRESHOLD 0.55 -> 0.40, a worse threshold (0.70 is not: F1 0.910)",
          "thread BCubed F1", f"thread F1 >= {P['story_articles']['f1_floor']}",
          lambda d: f"thread F1 {d['rows'][0]['thread']['f1']:.3f}"),
    Drill("categories", ["--cache", "{tmp}/category-embeddings.npz"],
          "dateline.enrich.train_categories.fitting",
          "_fit = m.fit\nm.fit = lambda *a, **k: _fit(*a, **{**k, 'c': 0.001})",
          "the recipe's logistic regression fitted with C 1.0 -> 0.001 (over-regularised)",
          "below the floor", "held-out macro-F1 >= {held_out_macro_f1_floor}, stories dev "
          "accuracy >= {stories_dev_accuracy_floor}, both above TF-IDF".format(**P["categories"]),
          lambda d: "held-out macro-F1 {macro_f1}".format(**d["systems"][RECIPE]["held_out"])
          + ", stories dev accuracy {accuracy}".format(**d["systems"][RECIPE]["stories_dev"]),
          ("bench/.cache/category-embeddings.npz",)),
    Drill("entities", ["--speed-sample", "0"], "dateline.enrich.entities", "m.CANONICAL = {}",
          "entities.CANONICAL emptied (US / U.S. / United States no longer one entity)",
          "below the floor", ", ".join(f"{k[:-6]} >= {v}" for k, v in P["entities"].items()
                                       if k.endswith("_floor")) + ", no wrong merges",
          lambda d: f"F1 {d['dateline']['overall']['f1']}, alias accuracy "
          f"{d['dateline']['alias_merging']['accuracy']}, cross-article P/R "
          f"{d['cross_article']['pairwise_precision']}/{d['cross_article']['pairwise_recall']}"),
    Drill("serving", ["--cases", "personalised,fastapi", "--duration", "4", "--warmup", "2"],
          "dateline.web.site_articles",
          "m.ArticlePages.serve_article = slowed(m.ArticlePages.serve_article, 0.005)",
          "Site.serve_article sleeps 5 ms per article page (a slower request path)",
          "reader cookie", "personalised >= 1.0x FastAPI's req/s and p99 < 25 ms (anonymous and "
          "home >= 10 % of nginx, views within 2 %: full run only)",
          lambda d: "personalised {:.0f} req/s, p99 {:.1f} ms; FastAPI {:.0f} req/s".format(
              d["results"]["personalised"]["rps"], d["results"]["personalised"]["p99_ms"],
              d["results"]["fastapi"]["rps"])),
    Drill("rank_speed", ["--samples", "100", "--warmup", "10"], "dateline.rank.recommend",
          "m.recommend = slowed(m.recommend, 0.015)",
          "rank.recommend.recommend sleeps 15 ms per list (a slower path)",
          "recommendation:", "Recommendation p99 < 15 ms, page p99 < 20 ms, retrain <= 60 s, "
          "memory <= 500 MB, freshness holds", _failed),
    Drill("cold_start", ["--runs", "1"], "dateline.enrich.run",
          "m.enrich_articles = slowed(m.enrich_articles, 8.0)",
          "enrich_articles pays 8 s more per run (a slower path, like a model loaded twice)",
          "store-only ingest of the same turns", "ingest <= {ingest_over_store_only_max}x the "
          "store-only ingest, peak <= {ingest_peak_mb_max} MB; store-only imports numpy, scipy "
          "only".format(**P["cold_start"]),
          lambda d: "ingest {} s, store only {} s".format(*[
              r["wall_s_median"] for c in ("ingest", "ingest, store only")
              for r in d["rows"] if r["case"] == c])),
    Drill("recommend", ["--quick"], "dateline.rank.recommend",
          "m._allowed = lambda index, rows, *rest: __import__('numpy').ones(len(rows), bool)\n"
          "m._drop_copies = lambda index, shortlist, profile: shortlist",
          "rank.recommend._allowed keeps every row, _drop_copies drops none: read items come back",
          "read items recommended", "read items recommended = 0; blend AUC >= popularity + "
          "0.05, best nDCG@10 and MRR, click-through >= 1.3x popularity's; MMR curve",
          lambda d: "read items recommended {}; missed: {}".format(
              next(t["max"] for t in d["targets"] if "max" in t), _failed(d))),
    Drill("related", ["--quick", "--seeds", "1"], "dateline.enrich.related",
          "m.RELEVANCE_FLOOR = 0.80", "related.RELEVANCE_FLOOR 0.38 -> 0.80, a worse threshold",
          "Related precision@10", "precision@10 >= 0.9",
          lambda d: "precision@10 {precision:.3f}, mean length {mean_length:.1f}".format(
              **d["rows"][0])),
    Drill("demo_build", ["--runs", "1"], "dateline.readers.buffer",
          "m.EventBuffer.record_view = slowed(m.EventBuffer.record_view, 0.003)",
          "EventBuffer.record_view sleeps 3 ms per view (a slower path)",
          "the simulation took", "simulation < 20 s (median of the runs)",
          lambda d: f"simulation {d['rows']['simulate_s']['median_s']} s"),
    Drill("demo_readers", ["--data", "{tmp}/demo-readers"], "dateline.rank.recommend",
          "m.BLEND = m.Weights.only('popular')",
          "the site's Recommendation blend reduced to popularity alone",
          "Recommendation share", "share >= 0.6 and >= 3x Ranking's, cold >= Ranking, no read "
          "item, coverage >= 30 %",
          lambda d: "Recommendation share {recommendation}, Ranking {ranking}".format(**d["share"]),
          ("bench/.cache/demo-readers",)),
]  # fmt: skip


def sitecustomize(drill: Drill) -> str:
    body = textwrap.indent(drill.patch, "    ")
    return PRELUDE.replace("@MODULE@", repr(drill.module)).replace("@PATCH@", body)


def figure_of(drill: Drill, path: Path) -> str:
    try:
        return drill.figure(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        return f"(none: {type(exc).__name__} {exc})"


def run(drill: Drill, out: Path, timeout: float) -> dict[str, Any]:
    """The benchmark with the patch; its exit status, failure lines and figure."""
    result = out / f"{drill.name}.json"
    result.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"gate-drill-{drill.name}-") as tmp:
        (Path(tmp) / "sitecustomize.py").write_text(sitecustomize(drill), encoding="utf-8")
        for source in drill.copies:
            src, dst = REPO / source, Path(tmp) / Path(source).name
            if src.is_dir():
                shutil.copytree(src, dst)
            elif src.exists():
                shutil.copyfile(src, dst)
        argv = [a.replace("{tmp}", tmp) for a in drill.argv]
        command = [sys.executable, str(BENCH / f"{drill.name}.py"), *argv, "--gate"]
        command += ["--json", str(result)]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [tmp, env.get("PYTHONPATH")]))
        print(f"\n=== {drill.name}: {drill.description}\n    {' '.join(command[1:])}", flush=True)
        started = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        timer = threading.Timer(timeout, os.killpg, (child.pid, signal.SIGKILL))
        timer.start()
        failures = []
        assert child.stderr is not None
        for line in child.stderr:  # echoed as it comes; the gate's lines kept
            sys.stderr.write(line)
            if line.startswith("GATE FAILED:"):
                failures.append(line.removeprefix("GATE FAILED:").strip())
        code = child.wait()
        timer.cancel()
        seconds = time.perf_counter() - started
        log = Path(tmp) / "applied.log"
        applied = len(log.read_text().splitlines()) if log.exists() else 0
    matched = any(drill.expect in f for f in failures)
    if not applied:
        verdict = "DEFECT: the patch never applied (nothing was broken)"
    elif code == 0:
        verdict = "DEFECT: the gate PASSED a broken product"
    elif not matched:
        verdict = f"DEFECT: exit {code} without a failure line about '{drill.expect}'"
    else:
        verdict = "failed as intended"
    recorded = BENCH / "results" / f"{drill.name}.json"
    return {
        "bench": drill.name,
        "description": drill.description,
        "module": drill.module,
        "patch": drill.patch,
        "argv": command[1:],
        "target": drill.target,
        "exit_code": code,
        "failure_lines": failures,
        "figure": figure_of(drill, result),
        "recorded_figure": figure_of(drill, recorded) if recorded.exists() else None,
        "patched_processes": applied,
        "seconds": round(seconds, 1),
        "verdict": verdict,
        "as_intended": verdict == "failed as intended",
    }


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| gate | floor / target | what was broken | recorded figure (bench/results) "
        "| broken run's figure | exit | the failure line(s) | s | verdict |",
        "|---|---|---|---|---|---:|---|---:|---|",
    ]
    for r in rows:
        fails = "<br>".join(cell(f) for f in r["failure_lines"]) or "(none)"
        lines.append(
            f"| {r['bench']} | {cell(r['target'])} | {cell(r['description'])} "
            f"| {cell(r['recorded_figure'] or '-')} | {cell(r['figure'])} | {r['exit_code']} "
            f"| {fails} | {r['seconds']:.0f} | {cell(r['verdict'])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated drills (benchmark names) to run")
    parser.add_argument("--list", action="store_true", help="print each drill and exit")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to record")
    parser.add_argument("--out", type=Path, default=Path("/tmp/drill"), help="benchmark JSONs")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds per drill")
    args = parser.parse_args(argv)
    if args.list:
        for d in DRILLS:
            print(f"{d.name}: {d.description}\n    {' '.join(d.argv)} --gate; patches {d.module}")
        return 0
    picked = [n.strip() for n in (args.only or "").split(",") if n.strip()]
    unknown = sorted(set(picked) - {d.name for d in DRILLS})
    if unknown:
        parser.error(f"unknown drill(s): {', '.join(unknown)} (--list names them)")
    args.out.mkdir(parents=True, exist_ok=True)
    rows = [run(d, args.out, args.timeout) for d in DRILLS if not picked or d.name in picked]
    print("\n" + table(rows))
    defects = [r for r in rows if not r["as_intended"]]
    for r in defects:
        print(f"\n!!! {r['bench']}: {r['verdict']} !!!", file=sys.stderr)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"drills": rows}, indent=2) + "\n", encoding="utf-8")
    print(
        f"\n{len(rows) - len(defects)} of {len(rows)} gates failed as intended; wrote {args.json}"
    )
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main())
