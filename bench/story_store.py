"""The store's story clusterer as the archive grows: per-article cost, held against fresh.

Usage: ``python bench/story_store.py [--articles 20000] [--checkpoints 8] [--json OUT]
[--database-url URL] [--gate]``

A synthetic archive, deterministic and without the model: stories are random directions in
MiniLM's 384 dimensions with heavy-tailed sizes (most a few articles, a few threads of
thousands), spread over a year; an article is its story's direction plus noise (cosine
about 0.85 to it) with a headline of two of its story's words and two common ones. The
articles are assigned in date order, 50 per transaction, as ``dateline enrich`` does.

At each checkpoint two blocks of the next articles are timed:

- ``held``: the one :class:`~dateline.enrich.stories.StoryClusterer` of the run, which
  keeps the stories in memory and reads only the rows changed since (the product);
- ``fresh``: the same code with a new clusterer per article, which reads every story's
  state for each article, as the clusterer did before it held them (the baseline). It runs
  in a transaction that is rolled back, then the held one decides the same articles.

The two must decide alike (the column ``same decisions`` says whether they did). The figure
is the ratio fresh/held and how the held cost grows from the first checkpoint to the last.
``--gate`` exits 1 when a checkpoint decided differently, or past the floors of
``bench/baseline.json`` ("story_store": held growth and the ratio at the last checkpoint).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench_output import finish

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "bench" / "baseline.json"
sys.path.insert(0, str(REPO / "src"))

DEFAULT_JSON = REPO / "bench" / "results" / "story_store.json"
DAY0 = datetime(2025, 1, 1)
BATCH = 50  # articles per transaction, as the enrich stage
HELD_BLOCK = 500  # articles timed per checkpoint with the held clusterer
FRESH_BLOCK = 50  # ... and with a new clusterer per article (slow: fewer)
COMMON = ["says", "new", "report", "after", "over", "amid", "week", "officials"]


def synthetic_archive(n: int, seed: int = 7) -> list[tuple[np.ndarray, str, datetime]]:
    """(vector, headline, date) per article, in date order."""
    rng = np.random.default_rng(seed)
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(min(rng.zipf(2.0), 2000)))
    items = []
    for story, size in enumerate(sizes):
        centre = rng.normal(size=384).astype(np.float32)
        centre /= np.linalg.norm(centre)
        start = rng.uniform(0, 365)
        words = [f"w{story}x{k}" for k in range(3)]
        for _ in range(size):
            noise = rng.normal(size=384).astype(np.float32)
            v = centre + 0.6 * noise / np.linalg.norm(noise)
            title = " ".join([*rng.choice(words, 2, replace=False), *rng.choice(COMMON, 2)])
            when = DAY0 + timedelta(days=start + rng.exponential(5.0))
            items.append((v / np.linalg.norm(v), title.capitalize(), when))
    items.sort(key=lambda item: item[2])
    return items[:n]


def load_archive(store: Any, items: list[tuple[np.ndarray, str, datetime]]) -> list[int]:
    from dateline.enrich.embed import store_vector
    from dateline.store.models import Article

    ids = []
    with store.write() as session:
        for n, (vector, title, when) in enumerate(items):
            article = Article(
                title=title,
                body=f"Synthetic article {n}.",
                body_hash=hashlib.sha256(f"synthetic {n}".encode()).hexdigest(),
                language="en",
                published_at=when,
                first_seen_at=when,
                word_count=3,
            )
            session.add(article)
            session.flush()
            store_vector(session, int(article.id), vector)
            ids.append(int(article.id))
    return ids


def decisions(assigned: dict[int, int | None], before: set[int]) -> list[Any]:
    """Each article's story, named by the article that opened it when it is new."""
    opener: dict[int, int] = {}
    out: list[Any] = []
    for article_id, story in assigned.items():
        if story is None or story in before:
            out.append(story)
        else:
            out.append(("opened by", opener.setdefault(story, article_id)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--checkpoints", type=int, default=8)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--gate", action="store_true", help="exit 1 past the floors")
    args = parser.parse_args(argv)

    from sqlalchemy import func, select

    from dateline.enrich.stories import StoryClusterer, no_entities
    from dateline.store.db import Store
    from dateline.store.models import Story
    from dateline.store.schema import upgrade

    tmp = tempfile.TemporaryDirectory()
    store = Store(args.database_url or f"sqlite:///{tmp.name}/story_store.db")
    upgrade(store)
    started = time.perf_counter()
    ids = load_archive(store, synthetic_archive(args.articles))
    print(f"{len(ids):,} synthetic articles stored in {time.perf_counter() - started:.0f} s")

    held = StoryClusterer(entities=no_entities)
    step = len(ids) // args.checkpoints
    rows, position = [], 0

    def assign_held(block: list[int]) -> dict[int, int | None]:
        out: dict[int, int | None] = {}
        for start in range(0, len(block), BATCH):
            with store.write() as session:
                for article_id in block[start : start + BATCH]:
                    out[article_id] = held.assign(session, article_id)
        return out

    print(f"{'articles':>8} {'stories':>8} {'held ms':>8} {'fresh ms':>8} {'ratio':>7} same")
    for checkpoint in range(1, args.checkpoints + 1):
        target = checkpoint * step - HELD_BLOCK - FRESH_BLOCK
        if target > position:
            assign_held(ids[position:target])
            position = target
        with store.read() as session:
            before = set(session.execute(select(Story.id)).scalars())
            stories = session.scalar(select(func.count()).where(Story.size > 0))
        fresh_block = ids[position : position + FRESH_BLOCK]
        with store.write() as session:
            started = time.perf_counter()
            fresh = {
                a: StoryClusterer(entities=no_entities).assign(session, a) for a in fresh_block
            }
            fresh_ms = 1000 * (time.perf_counter() - started) / len(fresh_block)
            session.rollback()
        fresh_said = decisions(fresh, before)
        held_said = decisions(assign_held(fresh_block), before)
        started = time.perf_counter()
        assign_held(ids[position + FRESH_BLOCK : position + FRESH_BLOCK + HELD_BLOCK])
        held_ms = 1000 * (time.perf_counter() - started) / HELD_BLOCK
        position += FRESH_BLOCK + HELD_BLOCK
        rows.append(
            {
                "articles": position,
                "stories": stories,
                "held_ms_per_article": round(held_ms, 2),
                "fresh_ms_per_article": round(fresh_ms, 2),
                "fresh_over_held": round(fresh_ms / held_ms, 1),
                "same_decisions": fresh_said == held_said,
            }
        )
        r = rows[-1]
        print(
            f"{r['articles']:>8,} {r['stories']:>8,} {r['held_ms_per_article']:>8.2f} "
            f"{r['fresh_ms_per_article']:>8.2f} {r['fresh_over_held']:>6.1f}x "
            f"{'yes' if r['same_decisions'] else 'NO'}",
            flush=True,
        )
    held_ms = [r["held_ms_per_article"] for r in rows]
    result = {
        "articles": len(ids),
        "engine": store.engine.dialect.name,
        "rows": rows,
        "held_growth_last_over_first": round(held_ms[-1] / held_ms[0], 2),
        "held_median_ms": statistics.median(held_ms),
        "all_same_decisions": all(r["same_decisions"] for r in rows),
    }
    print(
        f"held: {held_ms[0]:.2f} -> {held_ms[-1]:.2f} ms/article "
        f"({result['held_growth_last_over_first']}x); fresh/held at the end "
        f"{rows[-1]['fresh_over_held']}x; same decisions: {result['all_same_decisions']}"
    )
    store.dispose()
    return finish(result, args.json, gate(result, BASELINE) if args.gate else None)


def gate(result: dict[str, Any], baseline: Path) -> list[str]:
    floors = json.loads(baseline.read_text(encoding="utf-8"))["story_store"]
    out = [
        f"{r['articles']:,} articles: the held clusterer decided differently from a fresh one"
        for r in result["rows"]
        if not r["same_decisions"]
    ]
    if result["held_growth_last_over_first"] > floors["held_growth_max"]:
        out.append(
            f"held cost grew {result['held_growth_last_over_first']}x from the first "
            f"checkpoint to the last (at most {floors['held_growth_max']}x)"
        )
    last = result["rows"][-1]["fresh_over_held"]
    if last < floors["fresh_over_held_min"]:
        out.append(
            f"fresh/held at the last checkpoint {last}x (at least {floors['fresh_over_held_min']}x)"
        )
    return out


if __name__ == "__main__":
    raise SystemExit(main())
