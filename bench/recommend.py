"""Reader simulation for the Recommendation list: each ranker serves the same readers.

Usage: ``python bench/recommend.py [--quick] [--articles N] [--days D] [--readers R]
[--test-days 7] [--eta 1.0] [--rankers random,popularity,content,collaborative,blend]
[--serve popularity,blend] [--offline-log blend] [--jobs 2] [--work DIR] [--json OUT]
[--figures FILE] [--gate]`` (``--help`` lists every option and its default). At the
defaults, about an hour and a half on 2 cores: each served ranker's 30 days take about an
hour of one core.

**Articles.** The stories dev half (``../shared/benchmarks/stories/dev.csv``: UCI News
Aggregator headlines, real publishers, categories b/t/e/m, 43 gold stories) and the News
Category subset (``../shared/corpora/news-category``: HuffPost headlines with their short
descriptions and sections). Each is re-timed onto the simulated days keeping only its own
order (the stories file's times leak its stories: only their order is used), written as
our JSONL (title, body, url, published, site_name: the publisher, or "HuffPost"; no
category: the gold labels stay in this harness, keyed by the article id the store gave
each url) and ingested and enriched day by day through the library calls ``dateline
ingest`` makes (``ingest_many``, then ``enrich_articles`` when ``enrich_on_ingest``), into a
SQLite store in a temp folder. The text is read at run time only, never copied here.

**Readers** have interests drawn from the gold labels: one to three categories (UCI's
b/t/e/m read as HuffPost's BUSINESS/TECH/ENTERTAINMENT/WELLNESS) and, for some, a running
UCI story; each day one category may be swapped (``--drift``) and a story that ended is
replaced. Each has a daily chance to visit and a taste for freshness (a half-life).

**Browsing.** Each active reader lands on an article page (the home page's top, or a
fresh article in their interests: ``--home-share``) at a random time of the day, then
follows links from the page's lists (Related, Ranking, Recommendation). Pages come from
the real ``Site`` with its default settings but impression_sample_rate 1
(``cached_article`` + ``serve_article(..., at=simulated time)``), so views, impressions
and clicks go through its event buffer. Clicks follow a position-based model: a link at
position k of a list is clicked with probability (1/k)^eta x attraction, attraction high
when the article matches the reader's current interests (gold labels) and is fresh, zero
when already read; of several clicked links one is followed. The site lives on the
simulated clock: ``site.now()`` returns it, and ``time.monotonic()`` is patched to it while
browsing, so its caches (page_cache_seconds) and background refreshes age in simulated
seconds; the event buffer is flushed whenever ``event_flush_seconds`` of simulated time
have passed, as its flusher thread would; and each page waits for the background work of
the one before, so runs are deterministic.

**Runs.** Articles published on day d are ingested at the start of day d + 1, so a day's
pages show only the past. The corpus is built once (one store snapshot per day); each
ranker then browses in its own run, with the same seed, on a copy of each day's snapshot
that carries over its own reader tables (those the corpus build leaves empty: events,
readers, counts; a check fails the run if browsing wrote anything else). Each simulated
day gets a new ``Site`` (a worker restarted each morning) and asks :func:`rankers_for`
for its rankers; names for which it returns None share one run of the site's default
rankers.

**Scores.** The last ``--test-days`` days are scored, the earlier ones are training:

- offline (AUC, MRR, nDCG@5/10), as ``dateline eval recs`` scores the site's logs: one
  run's impressions (``--offline-log``) exported as MIND (``export_news_tsv``,
  ``export_behaviors_tsv``), the lines of ``--offline-lists`` kept, each ranker of
  :mod:`dateline.rank.offline_suite` made by ``make_ranker``, taught the training lines, then
  ``evaluate``-d on the test lines (``evaluate_all`` would start every ranker cold at the
  first test line; its beyond-accuracy figures go to the JSON as ``offline_*``);
- served, from each run's own log: ILD@8, coverage (of every article), calibration KL and
  median age of the Recommendation lists it showed (``evaluate`` of the lines in their
  served order), click-through of the Recommendation slot (clicks / impressions), the
  share of its items within the reader's interests, and read items recommended (items the
  reader had viewed before the page, counted on every day; must be 0).

``--work DIR`` keeps the snapshots and run stores (their logs as MIND files too) and reuses
a corpus built there by the same options, package tree (``HEAD:src``) and corpus module
(``recommend_corpus.py``). The corpus, the browsing and the scores live in
``recommend_corpus.py``, ``recommend_browse.py`` and ``recommend_scores.py``.

Targets (printed; ``--gate`` exits 1 when one is missed): blend AUC >= popularity + 0.05;
blend best on nDCG@10 and MRR; blend's Recommendation click-through >= 1.3x popularity's;
no read item recommended. Related lists are measured by ``bench/related.py``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench_output import finish
from recommend_browse import (
    DEFAULT_RUN,
    Options,
    SimulatedClock,
    browse_all,
    in_line,
    log_line,
    plan_days,
    simulated_site,
)
from recommend_corpus import (
    START,
    Corpus,
    build_corpus,
    corpus_code,
    corpus_settings,
    git_rev,
    load_items,
    table_counts,
)
from recommend_scores import (
    curve_target,
    export_mind,
    fig,
    offline_scores,
    online_scores,
    served_scores,
    table,
    targets,
    vectors_for,
)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
SHARED = REPO.parent / "shared"

if TYPE_CHECKING:
    from dateline.rank.base import Rankers
    from dateline.web.site import Site
DEFAULT_STORIES = SHARED / "benchmarks" / "stories" / "dev.csv"
DEFAULT_NEWS = SHARED / "corpora" / "news-category" / "news_category_subset.jsonl.gz"
DEFAULT_JSON = REPO / "bench" / "results" / "recommend.json"
BASELINE = REPO / "bench" / "baseline.json"
RANKER_NAMES = ("random", "popularity", "content", "collaborative", "blend")


def rankers_for(name: str, site: Site) -> Rankers | None:
    """The rankers that serve run ``name`` on ``site``; None: the site's default rankers.

    Called once per simulated day with that day's ``Site`` (its store, catalog and
    clock ``site.now()``); names: random, popularity, content, collaborative, blend.
    Every one is :class:`~dateline.rank.rankers.DatelineRankers` with the same rules
    (never a read item, one per story, mutes, MMR) and its own score: ``blend`` is the
    site's, the others keep one signal (``Weights.only``), ``random`` is uniform noise.
    The co-reading model is fitted once a day, as the site's housekeeping would.
    """
    from dateline.rank.rankers import DatelineRankers
    from dateline.rank.recommend import BLEND, Weights

    weights = {
        "blend": BLEND,
        "popularity": Weights.only("popular"),
        "content": Weights.only("content"),
        "collaborative": Weights.only("collab"),
        "random": Weights.only("noise"),
    }.get(name)
    if weights is None:
        return None
    rankers = DatelineRankers(
        site.store,
        site.recent_reads,
        engagement_seconds=site.settings.page_cache_seconds,
        weights=weights,
        schedule=in_line,  # engagement derived in line: runs of one seed agree
    )
    if weights.collab:
        rankers.retrain(site.now())
    return rankers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--stories", type=Path, default=DEFAULT_STORIES, help="stories dev CSV (%(default)s)")
    add("--news", type=Path, default=DEFAULT_NEWS, help="News Category JSONL.GZ (%(default)s)")
    add("--articles", type=int, help="articles to use, split in proportion (default: all)")
    add("--days", type=int, default=30, help="simulated days of articles (%(default)s)")
    add("--readers", type=int, default=2000, help="simulated readers (%(default)s)")
    add("--test-days", type=int, default=7, help="last days scored (%(default)s)")
    add(
        "--eta",
        type=float,
        default=1.0,
        help="position bias: P(click at k) = (1/k)^eta x attraction (%(default)s)",
    )
    add(
        "--attraction",
        type=float,
        default=0.5,
        help="attraction of a brand-new item in a followed story (%(default)s)",
    )
    add(
        "--off-interest",
        type=float,
        default=0.05,
        help="attraction factor outside the reader's interests (%(default)s)",
    )
    add(
        "--drift",
        type=float,
        default=0.05,
        help="daily chance a reader swaps one category (%(default)s)",
    )
    add(
        "--home-share",
        type=float,
        default=0.5,
        help="share of sessions landing from the home page (%(default)s)",
    )
    add(
        "--seed",
        type=int,
        default=20240304,
        help="seed of readers and clicks, the same for every run (%(default)s)",
    )
    add("--rankers", default=",".join(RANKER_NAMES), help="comma-separated names (%(default)s)")
    add(
        "--offline-log",
        default="blend",
        help="whose run's log the offline rankers are scored on (%(default)s: the site's own "
        "traffic, as `dateline eval recs` scores it; the first run if absent)",
    )
    add(
        "--offline-lists",
        default="recommendation",
        choices=("recommendation", "all"),
        help="log lines scored offline (%(default)s)",
    )
    add(
        "--work",
        type=Path,
        help="keep the corpus snapshots and run stores here (default: a temp folder, removed); "
        "a corpus already here, built with the same options and code, is reused",
    )
    add(
        "--quick",
        action="store_true",
        help="smoke test: 600 articles, 100 readers, 8 days, 3 test days",
    )
    add("--json", type=Path, default=DEFAULT_JSON, help="where to write results (%(default)s)")
    add(
        "--serve",
        default="popularity,blend",
        help="comma-separated rankers that serve a run of their own (%(default)s: the "
        "click-through target compares them; each run is about an hour of 2 cores); the "
        "others are scored offline only; 'all': every one of --rankers",
    )
    add(
        "--jobs",
        type=int,
        default=2,
        help="runs browsed at once, each in its own process (default %(default)s; the "
        "figures do not depend on it)",
    )
    add(
        "--figures",
        type=Path,
        default=None,
        help="also write the about page's table here (src/dateline/data/models/"
        "rank_figures.json ships with the package; default: not written)",
    )
    add("--gate", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.quick:
        args.articles, args.readers, args.days, args.test_days = 600, 100, 8, 3
    names = [n.strip() for n in args.rankers.split(",") if n.strip()]
    if not names or args.test_days >= args.days:
        parser.error("need at least one ranker, and --test-days below --days")
    for path in (args.stories, args.news):
        if not path.exists():
            parser.error(f"{path} not found (../shared must sit beside the repository)")
    started = time.perf_counter()
    run_commit = git_rev(
        REPO, "--short", "HEAD"
    )  # the code the run starts with (commits made meanwhile are not it)

    log = log_line

    work = args.work or Path(tempfile.mkdtemp(prefix="dateline-recommend-"))
    try:
        key = {
            "stories": str(args.stories),
            "news": str(args.news),
            "articles": args.articles,
            "days": args.days,
            "code": corpus_code(REPO),
        }
        folder = work / "corpus"
        meta = folder / "corpus-key.json"
        if meta.exists() and json.loads(meta.read_text()) == key:
            log(f"reusing the corpus in {folder}")
            corpus = Corpus.load(folder)
        else:
            items = load_items(args.stories, args.news, args.articles, args.days)
            log(f"building the corpus: {len(items)} items over {args.days} days")
            corpus = build_corpus(items, args.days, folder, log)
            corpus.save()
            meta.write_text(json.dumps(key))
        corpus_seconds = time.perf_counter() - started
        last = table_counts(corpus.snapshot(args.days - 1))
        carried = sorted(t for t, n in last.items() if n == 0)
        people, plans = plan_days(corpus, args.readers, args.seed, args.drift)
        test_start = START + timedelta(days=args.days + 1 - args.test_days)
        opts = Options(
            args.eta,
            args.attraction,
            args.off_interest,
            args.home_share,
            args.seed,
            test_start,
        )

        # names the hook leaves to the default rankers share one run
        from dateline.store.db import Store

        (work / "probe").mkdir(exist_ok=True)
        shutil.copyfile(corpus.snapshot(0), work / "probe" / "probe.db")
        probe_store = Store(f"sqlite:///{work / 'probe' / 'probe.db'}")
        probe_clock = SimulatedClock()
        with probe_clock.patched():
            probe_settings = corpus_settings(work / "probe", START)
            probe = simulated_site(probe_settings, probe_store, probe_clock)
            served = [n for n in names if args.serve == "all" or n in args.serve.split(",")]
            runs = {n: n if rankers_for(n, probe) is not None else DEFAULT_RUN for n in served}
        probe_store.dispose()
        results = browse_all(
            list(dict.fromkeys(runs.values())),
            args.jobs,
            corpus,
            people,
            plans,
            opts,
            work,
            carried,
            rankers_for,
        )
        vectors = vectors_for(corpus.snapshot(args.days - 1), corpus.gold)
        logs = {run: export_mind(db, work / f"run-{run}") for run, (db, _, _) in results.items()}
        log_run = runs.get(args.offline_log, next(iter(results)))
        offline = offline_scores(
            *logs[log_run], args.offline_lists, test_start, names, args.seed, vectors
        )
        online = {
            run: online_scores(db, tally, test_start)
            | served_scores(*logs[run], test_start, vectors, corpus.gold)
            for run, (db, tally, _) in results.items()
        }
        rows: dict[str, dict[str, Any]] = {}
        for name in names:
            row = {"name": name, "served_by": runs.get(name)}
            row |= {k: offline[name].get(k) for k in ("auc", "mrr", "ndcg5", "ndcg10")}
            row |= {f"offline_{k}": v for k, v in offline[name].items() if k not in row}
            row |= online[runs[name]] if name in runs else {}
            rows[name] = row
        checks = targets(rows)
        if "_curve" in offline:
            checks.append(curve_target(offline["_curve"]))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": run_commit,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "corpus": corpus.stats,
        "readers": len(people),
        "sessions_planned": sum(len(p.sessions) for p in plans),
        "test_start": test_start.isoformat(),
        "offline_log": log_run,
        "offline_lines": offline["_lines"],
        "carried_tables": carried,
        "rows": list(rows.values()),
        "targets": checks,
        "seconds": {
            "corpus": round(corpus_seconds, 1),
            **{f"browse {run}": round(r[2], 1) for run, r in results.items()},
            "total": round(time.perf_counter() - started, 1),
        },
    }
    print(table(rows))
    s = result["corpus"]
    print(
        f"\n{s['articles']:,} articles ({s['uci_items']:,} UCI headlines, the rest HuffPost) over "
        f"{args.days} days; {len(people):,} readers, {result['sessions_planned']:,} sessions; "
        f"the last {args.test_days} days scored. Offline: the {log_run} run's "
        f"{args.offline_lists} lines ({offline['_lines']['train']:,} to learn, "
        f"{offline['_lines']['test']:,} to score). Reco CTR, in interests: test days, from each "
        f"run's own log; read recommended: every day. {result['seconds']['total']:.0f} s."
    )
    for point in offline.get("_curve", []):
        lam = "off (accuracy only)" if point["lambda"] is None else point["lambda"]
        print(f"MMR lambda {lam}: nDCG@10 {fig(point['ndcg10'])}, ILD@8 {fig(point['ild'])}")
    for check in checks:
        print(f"target {'met   ' if check['met'] else 'MISSED'}  {check['target']}")
    failures = [c["target"] for c in checks if not c["met"]] if args.gate else None
    if args.figures is not None:
        write_figures(result, args.figures)
    return finish(result, args.json, failures)


FIGURE_METRICS = (
    ("auc", "AUC"),
    ("mrr", "MRR"),
    ("ndcg10", "nDCG@10"),
    ("ild", "ILD@8"),
    ("coverage", "Coverage"),
    ("reco_ctr", "Click-through"),
    ("reco_in_interest", "In interests"),
)


def rank_figures(result: dict[str, Any]) -> dict[str, Any]:
    """The about page's table (``web.info_pages.rank_figures``) from one run's result."""
    s = result["corpus"]
    o = result["options"]
    return {
        "date": result["date"],
        "commit": result["commit"],
        "description": (
            f"A simulated readership of {result['readers']:,} readers browsing "
            f"{s['articles']:,} headlines over {o['days']} simulated days through this "
            f"site's own code (bench/recommend.py); the last {o['test_days']} days scored: "
            "AUC, MRR and nDCG@10 offline on the logged impressions, the rest as served"
        ),
        "metrics": [{"key": k, "label": label} for k, label in FIGURE_METRICS],
        # A ranker scored offline only has no ILD, coverage or click-through of its own: a
        # logged line is the list another ranker showed, and its top 8 is that whole list.
        "rankers": {
            row["name"]: {k: row.get(k) for k, _ in FIGURE_METRICS} for row in result["rows"]
        },
    }


def write_figures(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rank_figures(result), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
