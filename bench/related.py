"""Related lists against gold stories: same-story precision@10 on the stories dev half.

Usage: ``python bench/related.py [--data CSV] [--seeds 1,2,3] [--limit N] [--quick]
[--json OUT] [--gate]``

Each headline of ``../shared/benchmarks/stories/dev.csv`` (UCI News Aggregator, 43 gold
stories) becomes an article: our JSONL with the headline as title and text, an opaque URL
and nothing else (the set's rules: only the title may be read; no date, id, URL or
publisher, whose order would leak the stories). For each seed the headlines are ingested
in a seeded random order into a new SQLite store and enriched through the library calls
``dateline ingest`` makes (``ingest_many``, ``enrich_articles``), so the stories are the
streaming clusterer's, each decided on arrival. Then, for every headline whose story has at
least 11 members, the article it became gets its Related list from the site's rankers
(``Site(...).rankers.related(session, article, 10)``: the list enrich stored, the same
whichever Recommendation weights serve, so one row), and precision@10 is the share of the 10 slots
holding an article of the same story (an article's stories are those of the headlines it
holds; a missing item is a miss). Mean and spread over the seeds.

Baseline, in the same run: the 10 nearest other headlines by cosine of their MiniLM
vectors (the product's encoder), all headlines at once and no order: embeddings only.
Target (issue 15, item 5): precision@10 >= 0.9; ``--gate`` exits 1 below it.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from bench_output import finish
from recommend_corpus import evenly

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

DEFAULT_DATA = REPO.parent / "shared" / "benchmarks" / "stories" / "dev.csv"
DEFAULT_JSON = REPO / "bench" / "results" / "related.json"
K = 10  # the Related list's length on the site (rank.base.RELATED_SIZE)
MIN_STORY = K + 1  # a headline is scored when its story could fill the list
TARGET = 0.9
QUICK_LIMIT = 800  # headlines in --quick, spread evenly over the file


def load_rows(path: Path, limit: int | None) -> tuple[list[str], list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if limit is not None:
        rows = evenly(rows, limit)
    return [r["TITLE"] for r in rows], [r["STORY"] for r in rows]


def eligible(stories: list[str]) -> list[int]:
    sizes = Counter(stories)
    return [i for i, s in enumerate(stories) if sizes[s] >= MIN_STORY]


def embeddings_baseline(titles: list[str], stories: list[str], scored: list[int]) -> float:
    """Mean precision@10 of each headline's 10 nearest other headlines by cosine."""
    from dateline.enrich.embed import embed_texts

    vectors = embed_texts(titles)  # L2-normalised
    hits = []
    for i in scored:
        sims = vectors @ vectors[i]
        sims[i] = -np.inf
        nearest = np.argpartition(-sims, K)[:K]
        hits.append(sum(stories[j] == stories[i] for j in nearest) / K)
    return statistics.fmean(hits)


def build_store(titles: list[str], seed: int, folder: Path) -> tuple[Any, Any, list[int | None]]:
    """The headlines ingested in a seeded order and enriched; each headline's article id."""
    from dateline.enrich.run import enrich_articles
    from dateline.pipeline import FAILED, ingest_many
    from dateline.settings import load_settings
    from dateline.store.db import Store
    from dateline.store.schema import upgrade

    order = list(range(len(titles)))
    np.random.default_rng(seed).shuffle(order)
    tokens = random.Random(f"related:{seed}")
    lines = []
    for i in order:
        url = f"https://headlines.example/{uuid.UUID(int=tokens.getrandbits(128), version=4)}"
        record = {"title": titles[i], "body": titles[i], "url": url, "language": "en"}
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    folder.mkdir(parents=True)
    path = folder / "headlines.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    settings = load_settings(
        environ={"DATELINE_DATA_DIR": str(folder), "DATELINE_ENRICH_ON_INGEST": "true"}
    )
    store = Store(f"sqlite:///{folder / 'related.db'}")
    upgrade(store)
    report = ingest_many([str(path)], store, settings)
    if len(report.items) != len(order):
        raise RuntimeError(f"{len(report.items)} ingest reports for {len(order)} lines")
    article_of: list[int | None] = [None] * len(titles)
    for i, item in zip(order, report.items, strict=True):  # one report per line, in order
        if item.status != FAILED:
            article_of[i] = item.article_id
    touched = sorted({a for a in article_of if a is not None})
    if settings.enrich_on_ingest:  # as `dateline ingest` does
        enrich_articles(store, settings, touched)
    return settings, store, article_of


def related_precision(
    site: Any, stories: list[str], article_of: list[int | None], scored: list[int]
) -> dict[str, float]:
    """Mean same-story precision@10 of the Related lists of the scored headlines' articles."""
    from dateline.store.queries import get_article

    stories_of: dict[int, set[str]] = defaultdict(set)
    for i, aid in enumerate(article_of):
        if aid is not None:
            stories_of[aid].add(stories[i])
    hits, lengths = [], []
    with site.store.read() as session:
        lists: dict[int, list[int]] = {}
        for i in scored:
            aid = article_of[i]
            if aid is not None and aid not in lists:
                article = get_article(session, aid)
                ranked = site.rankers.related(session, article, K) if article else []
                lists[aid] = [r.article_id for r in ranked[:K] if r.article_id != aid]
            shown = lists.get(aid, []) if aid is not None else []
            hits.append(sum(stories[i] in stories_of.get(a, ()) for a in shown) / K)
            lengths.append(len(shown))
    return {"precision": statistics.fmean(hits), "mean_length": statistics.fmean(lengths)}


def summarise(name: str, runs: list[dict[str, float]]) -> dict[str, Any]:
    values = [r["precision"] for r in runs]
    return {
        "name": name,
        "precision": statistics.fmean(values),
        "precision_sd": statistics.pstdev(values) if len(values) > 1 else 0.0,
        "mean_length": statistics.fmean(r["mean_length"] for r in runs),
        "per_seed": values,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add("--data", type=Path, default=DEFAULT_DATA, help="labelled headlines (%(default)s)")
    add("--seeds", default="1,2,3", help="comma-separated arrival-order seeds (%(default)s)")
    add("--limit", type=int, help="headlines used, spread evenly over the file (default: all)")
    add("--quick", action="store_true", help=f"smoke test: --limit {QUICK_LIMIT}")
    add("--json", type=Path, default=DEFAULT_JSON, help="where to write results (%(default)s)")
    add("--gate", action="store_true", help=f"exit 1 below precision@10 {TARGET}")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if not seeds:
        parser.error("--seeds needs at least one seed")
    if not args.data.exists():
        parser.error(f"{args.data} not found (../shared must sit beside the repository)")
    titles, stories = load_rows(args.data, QUICK_LIMIT if args.quick else args.limit)
    scored = eligible(stories)
    started = time.perf_counter()
    baseline = embeddings_baseline(titles, stories, scored)

    from dateline.web.site import Site

    runs: dict[str, list[dict[str, float]]] = defaultdict(list)
    articles, built = [], []
    with tempfile.TemporaryDirectory(prefix="dateline-related-") as tmp:
        for seed in seeds:
            t0 = time.perf_counter()
            settings, store, article_of = build_store(titles, seed, Path(tmp) / f"seed-{seed}")
            built.append(time.perf_counter() - t0)
            articles.append(len({a for a in article_of if a is not None}))
            site = Site(settings, store)
            runs["site's rankers"].append(related_precision(site, stories, article_of, scored))
            store.dispose()
            print(f"  seed {seed}: built in {built[-1]:.0f} s", file=sys.stderr, flush=True)
    rows = [summarise(name, values) for name, values in runs.items()]
    rows.append(
        {"name": "MiniLM 10 nearest (embeddings only, baseline)", "precision": baseline,
         "precision_sd": 0.0, "mean_length": float(K), "per_seed": []}
    )  # fmt: skip
    result = {
        "data": str(args.data),
        "headlines": len(titles),
        "scored": len(scored),
        "stories_scored": len({stories[i] for i in scored}),
        "seeds": seeds,
        "articles_per_seed": articles,
        "target": TARGET,
        "rows": rows,
        "seconds": {
            "per_seed": [round(b, 1) for b in built],
            "total": round(time.perf_counter() - started, 1),
        },
    }
    lines = ["| Related list | precision@10 | ± | mean length |", "|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['precision']:.3f} | {r['precision_sd']:.3f} | {r['mean_length']:.1f} |"
        )
    print("\n".join(lines))
    first = rows[0]
    met = first["precision"] >= TARGET
    print(
        f"\n{len(scored):,} of {len(titles):,} headlines scored (stories of >= {MIN_STORY}); "
        f"{len(seeds)} seeded orders; {statistics.fmean(articles):,.0f} articles per store after "
        f"deduplication. Target precision@10 >= {TARGET}: {'met' if met else 'MISSED'} "
        f"({first['precision']:.3f}; embeddings only {baseline:.3f})."
    )
    failures = (
        [f"Related precision@10 {first['precision']:.3f} is below {TARGET}"] if not met else []
    )
    return finish(result, args.json, failures if args.gate else None)


if __name__ == "__main__":
    sys.exit(main())
