"""Story threads on whole articles over two years: the product's path, end to end.

Usage: ``python bench/story_articles.py [--labels CSV] [--json OUT] [--database-url URL]
[--sweep 0.45,0.5,…] [--gate]``

The headline benchmark (``bench/stories.py``) measures the clustering core on two days of
headlines with no usable time. What the store clusters is different: whole articles
(embedded from headline and lead), with dates and whole-article entities, across an
archive where look-alike events (two fires, two hurricanes a fortnight apart) abound.
This benchmark measures that, on the bundled demo corpus (320 Wikinews articles, 2004 and
2019–2020) against hand-labelled story threads (``tests/data/stories``, whose README gives
the annotation rules). Nothing is simulated: the corpus is ingested into a new store and
``dateline enrich`` runs on it (dates, categories, entities, stories), as the demo does.

Rows (BCubed precision, recall and F1 against the labelled *threads*, and against the finer
*events*; ARI; number of stories):

- ``dateline``: the stories as enrich leaves them, with the shipped thresholds: **the
  figure**;
- ``headline threshold for articles``: the same articles re-clustered (``rebuild``) with the
  headline benchmark's join threshold for every article — the setting before articles got
  their own — the baseline, same run, same vectors, entities and dates;
- ``minilm-agglomerative``: average-linkage agglomerative clustering of the same vectors,
  offline and without time, at the best distance of a sweep *on these labels* (a reference
  that sees everything at once and is tuned on the answer, not a fair competitor).

``--sweep`` re-clusters the same store with other article thresholds and adds their rows
(how ``ARTICLE_JOIN_THRESHOLD`` was chosen). The corpus's two halves are reported too (up to 2019: mostly single-article stories; 2020:
long threads), since the labels are also what the article threshold was calibrated on.
``--gate`` exits 1 when the thread F1 falls below the floor in ``bench/baseline.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench_output import finish
from stories_metric import agglomerative, bcubed, clustering_scores

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

DEFAULT_LABELS = REPO / "tests" / "data" / "stories" / "wikinews_stories.csv"
DEFAULT_JSON = REPO / "bench" / "results" / "story_articles.json"
BASELINE = REPO / "bench" / "baseline.json"
AGGLOMERATIVE_DISTANCES = tuple(round(0.20 + 0.05 * k, 2) for k in range(12))  # 0.20–0.75


def load_labels(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


def corpus_articles(
    store: Any,
) -> tuple[list[str], list[int], list[int | None], np.ndarray, list[str]]:
    """Corpus id, article id, story id, vector and year of each corpus article, in id order."""
    from sqlalchemy import select

    from dateline.enrich.embed import load_vectors
    from dateline.store.models import Article, Page

    with store.read() as session:
        rows = session.execute(
            select(Page.external_id, Article.id, Article.story_id, Article.published_at)
            .join(Article, Article.id == Page.article_id)
            .where(Page.external_id.like("wn-%"))
            .order_by(Article.id)
        ).all()
        vectors = load_vectors(session, [int(r.id) for r in rows])
    return (
        [r.external_id for r in rows],
        [int(r.id) for r in rows],
        [None if r.story_id is None else int(r.story_id) for r in rows],
        np.stack([vectors[int(r.id)] for r in rows]),
        [str(r.published_at.year) for r in rows],
    )


def evaluate(
    name: str,
    predicted: Sequence[Any],
    labels: dict[str, dict[str, str]],
    ids: list[str],
    years: list[str],
    **extra: Any,
) -> dict[str, Any]:
    """Scores against threads and events, and per half of the corpus."""
    # an article without a story (none here: all are English) is its own story
    predicted = [p if p is not None else f"none-{i}" for i, p in enumerate(predicted)]
    thread = [labels[i]["thread"] for i in ids]
    event = [labels[i]["event"] for i in ids]
    row: dict[str, Any] = {"name": name, **extra, "thread": clustering_scores(predicted, thread)}
    row["event"] = clustering_scores(predicted, event)
    for half, keep in (("to_2019", lambda y: y <= "2019"), ("2020", lambda y: y == "2020")):
        idx = [n for n, y in enumerate(years) if keep(y)]
        row[f"thread_{half}"] = bcubed([predicted[n] for n in idx], [thread[n] for n in idx])
    return row


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| method | thread P | thread R | thread F1 | to 2019 F1 | 2020 F1 | event F1 | ARI | stories |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        t = r["thread"]
        lines.append(
            f"| {r['name']} | {t['precision']:.3f} | {t['recall']:.3f} | {t['f1']:.3f} | "
            f"{r['thread_to_2019']['f1']:.3f} | {r['thread_2020']['f1']:.3f} | "
            f"{r['event']['f1']:.3f} | {t['ari']:.3f} | {t['clusters']:.0f} |"
        )
    return "\n".join(lines)


def gate(row: dict[str, Any], baseline: Path) -> list[str]:
    floor = json.loads(baseline.read_text(encoding="utf-8"))["story_articles"]["f1_floor"]
    if row["thread"]["f1"] < floor:
        return [f"thread BCubed F1 {row['thread']['f1']:.3f} is below the floor {floor:.3f}"]
    return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS, help="labelled threads")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument(
        "--sweep",
        help="comma-separated article thresholds to re-cluster with too (e.g. 0.45,0.5,0.6)",
    )
    parser.add_argument("--gate", action="store_true", help="exit 1 below the pinned F1 floor")
    args = parser.parse_args(argv)
    sweep_thresholds = [float(t) for t in (args.sweep or "").split(",") if t.strip()]

    from sqlalchemy import func, select

    from dateline.demo import load_demo
    from dateline.enrich.run import enrich_articles, pending_articles
    from dateline.enrich.stories import JOIN_THRESHOLD, StoryClusterer
    from dateline.settings import load_settings
    from dateline.store.db import Store
    from dateline.store.models import Article
    from dateline.store.schema import upgrade

    labels = load_labels(args.labels)
    tmp = tempfile.TemporaryDirectory()
    settings = load_settings(environ={"DATELINE_DATA_DIR": tmp.name})
    store = Store(args.database_url or f"sqlite:///{tmp.name}/story_articles.db")
    upgrade(store)
    load_demo(store, settings)
    report = enrich_articles(store, settings, pending_articles(store))
    ids, article_ids, stories, vectors, years = corpus_articles(store)
    missing = sorted(set(labels) ^ set(ids))
    if missing:
        parser.error(f"labels and corpus differ on {len(missing)} ids, e.g. {missing[:3]}")
    story_seconds = report.seconds.get("story", 0.0)
    rows = [
        evaluate(
            "dateline (shipped thresholds)",
            stories,
            labels,
            ids,
            years,
            ms_per_article=1000 * story_seconds / len(ids),
        )
    ]

    with store.read() as session:
        earliest = session.scalar(select(func.min(Article.published_at)))

    def rebuilt(threshold: float) -> tuple[list[int | None], float]:
        """Every article re-clustered with ``threshold`` for articles; (stories, seconds)."""
        with store.write() as session:
            started = time.perf_counter()
            placed = StoryClusterer(article_threshold=threshold).rebuild(session, earliest)
            took = time.perf_counter() - started
        return [placed[a] for a in article_ids], took

    swept = [
        evaluate(f"article threshold {t:.2f}", rebuilt(t)[0], labels, ids, years)
        for t in sweep_thresholds
    ]
    baseline_stories, took = rebuilt(JOIN_THRESHOLD)
    rows.append(
        evaluate(
            f"headline threshold {JOIN_THRESHOLD} for articles (baseline)",
            baseline_stories,
            labels,
            ids,
            years,
            ms_per_article=1000 * took / len(ids),
        )
    )

    sweep = {d: agglomerative(vectors, d) for d in AGGLOMERATIVE_DISTANCES}
    thread = [labels[i]["thread"] for i in ids]
    best = max(sweep, key=lambda d: bcubed(sweep[d], thread)["f1"])
    rows.append(
        evaluate(
            f"minilm-agglomerative, distance {best:.2f} (offline, tuned on these labels)",
            sweep[best],
            labels,
            ids,
            years,
        )
    )
    store.dispose()
    tmp.cleanup()

    result = {
        "labels": str(args.labels),
        "articles": len(ids),
        "gold_threads": len(set(thread)),
        "gold_events": len({labels[i]["event"] for i in ids}),
        "rows": rows,
        "sweep": swept,
    }
    print(table(rows))
    if swept:
        print("\nSweep of the article threshold (the same store, rebuilt each time):\n")
        print(table(swept))
    print(
        f"\n{len(ids)} articles, {result['gold_threads']} labelled threads "
        f"({result['gold_events']} events). Story stage of enrich: {rows[0]['ms_per_article']:.1f} "
        "ms per article, embedding the articles included; the baseline's rebuild (vectors "
        f"stored by then): {rows[1]['ms_per_article']:.1f} ms."
    )
    return finish(result, args.json, gate(rows[0], BASELINE) if args.gate else None)


if __name__ == "__main__":
    sys.exit(main())
