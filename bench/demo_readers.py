"""Readers with favourite topics browse the demo site over HTTP: is Recommendation theirs?

Usage: ``python bench/demo_readers.py [--data DIR] [--readers-per-category 12] [--views 4]
[--seed 7] [--json OUT] [--gate]``

The demo corpus (``dateline demo`` into a fresh temporary folder, or into ``--data``, reused
when it holds one) served by
the real app in this process (``TestClient``: real requests with cookies, through every
middleware, the site clock pinned as ``make demo`` pins it). Each reader has one favourite
category (of those with at least 8 articles) and browses as a person would:

1. opens the home page (their cookie), then a random article of their category from its
   category page (``/c/<slug>``);
2. follows, ``--views`` − 1 times, a link of the page's lists: a link to their category
   at position k is followed with probability (1/k) (``ETA`` 1), the lists in page order;
   with no link followed, another article from the category page;
3. then opens one more article of their category: the page measured.

On that page: the share of the Recommendation list in the reader's category, the same
share of the Ranking list (the named baseline, on the same page), and every Recommendation
item the reader had read before. On each reader's first article page (no history): the
share of the cold Recommendation list and of Ranking, for the cold-start rule (never worse
than Ranking). Coverage: distinct articles the measured Recommendation lists showed, over
the corpus. Categories are the stored ones (what the site shows); the targets are issue
15's: personal share >= 0.6 and >= 3x Ranking's; cold >= Ranking; no read item; coverage
>= 30 %.

This is our own simulator: it measures, it is not something to tune the rankers to.
"""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

from bench_output import finish

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
DEFAULT_JSON = REPO / "bench" / "results" / "demo_readers.json"
MIN_CATEGORY = 8
ETA = 1.0
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126 Safari"
LIST_LINK = re.compile(r'href="/a/(\d+)/[^"?]*\?from=([a-z_]+)&amp;pos=(\d+)["&]')
TARGET_SHARE, TARGET_RATIO, TARGET_COVERAGE = 0.6, 3.0, 0.30


def ensure_demo(data: Path) -> None:
    if (data / "dateline.db").exists():
        return
    env = {"DATELINE_DATA_DIR": str(data), "PATH": str(Path(sys.executable).parent)}
    subprocess.run([sys.executable, "-m", "dateline.cli", "demo"], env=env, check=True, cwd=REPO)


def lists_of(html: str) -> dict[str, list[int]]:
    """Article ids of each list on a page, in position order."""
    out: dict[str, list[int]] = defaultdict(list)
    for aid, name, _pos in LIST_LINK.findall(html):
        out[name].append(int(aid))
    return out


class Demo:
    def __init__(self, data: Path) -> None:
        from fastapi.testclient import TestClient
        from sqlalchemy import func, select

        from dateline.settings import load_settings
        from dateline.store.db import Store
        from dateline.store.models import Article
        from dateline.store.queries import category_label
        from dateline.web.app import create_app

        store = Store(load_settings(environ={"DATELINE_DATA_DIR": str(data)}).resolved_database_url)
        with store.read() as session:
            rows = session.execute(select(Article.id, Article.category)).all()
            newest = session.scalar(select(func.max(Article.published_at)))
        self.category = {int(a): category_label(c)[0] for a, c in rows}
        # the clock `make demo` pins (dateline.demo.corpus.simulate_demo_readers)
        clock = datetime.combine(newest.date(), dtime(23, 59, 59)).isoformat()
        env = {"DATELINE_DATA_DIR": str(data), "DATELINE_SITE_CLOCK": clock}
        self.app = create_app(load_settings(environ=env), store)
        self.client_cls = TestClient

    def categories(self) -> dict[str, list[int]]:
        by: dict[str, list[int]] = defaultdict(list)
        for aid, cat in self.category.items():
            by[cat].append(aid)
        return {c: sorted(a) for c, a in by.items() if len(a) >= MIN_CATEGORY}


def browse(
    demo: Demo, client: Any, favourite: str, members: list[int], views: int, rng: random.Random
) -> dict[str, Any]:
    read: list[int] = []

    def open_(aid: int) -> dict[str, list[int]]:
        r = client.get(f"/a/{aid}", follow_redirects=True)
        r.raise_for_status()
        read.append(aid)
        return lists_of(r.text)

    def unread_member() -> int:
        left = [a for a in members if a not in read]
        return rng.choice(left or members)

    def share(ids: list[int]) -> float | None:
        return sum(demo.category.get(a) == favourite for a in ids) / len(ids) if ids else None

    client.get("/")
    page = open_(unread_member())
    cold = {
        "reco": share(page.get("recommendation", [])),
        "ranking": share(page.get("ranking", [])),
    }
    while len(read) < views:
        nxt = None
        for name in ("related", "ranking", "recommendation"):
            for k, aid in enumerate(page.get(name, []), 1):
                wanted = demo.category.get(aid) == favourite and aid not in read
                if wanted and rng.random() < (1 / k) ** ETA:
                    nxt = aid
                    break
            if nxt is not None:
                break
        page = open_(nxt if nxt is not None else unread_member())
    before = set(read)
    page = open_(unread_member())
    reco = page.get("recommendation", [])
    return {
        "reco": share(reco),
        "ranking": share(page.get("ranking", [])),
        "cold": cold,
        "read_shown": len(set(reco) & before),
        "shown": reco,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add(
        "--data",
        type=Path,
        help="demo data folder, reused when it holds a demo (with the readers of earlier "
        "runs); default: a fresh demo in a temporary folder, removed after",
    )
    add("--readers-per-category", type=int, default=12, help="(%(default)s)")
    add("--views", type=int, default=4, help="views before the measured page (%(default)s)")
    add("--seed", type=int, default=7, help="(%(default)s)")
    add("--json", type=Path, default=DEFAULT_JSON, help="(%(default)s)")
    add("--gate", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.data is None:  # a fresh demo, as `make demo` builds it: no earlier readers
        with tempfile.TemporaryDirectory(prefix="dateline-demo-readers-") as tmp:
            return main([*(argv if argv is not None else sys.argv[1:]), "--data", tmp])
    ensure_demo(args.data)
    demo = Demo(args.data)
    rng = random.Random(args.seed)
    results: list[dict[str, Any]] = []
    with demo.client_cls(demo.app) as warm:
        site = warm.app.state.site  # type: ignore[attr-defined]
        for favourite, members in sorted(demo.categories().items()):
            for _ in range(args.readers_per_category):
                with demo.client_cls(demo.app) as client:
                    client.headers["User-Agent"] = UA
                    one = browse(demo, client, favourite, members, args.views, rng)
                    site.refresher.drain()
                results.append(one | {"category": favourite})

    def mean(values: list[float | None]) -> float:
        kept = [v for v in values if v is not None]
        return round(sum(kept) / len(kept), 4) if kept else 0.0

    reco = mean([r["reco"] for r in results])
    ranking = mean([r["ranking"] for r in results])
    cold = mean([r["cold"]["reco"] for r in results])
    cold_ranking = mean([r["cold"]["ranking"] for r in results])
    shown = {a for r in results for a in r["shown"]}
    coverage = round(len(shown) / len(demo.category), 4)
    read_shown = sum(r["read_shown"] for r in results)
    targets = [
        {
            "target": f"Recommendation share >= {TARGET_SHARE}",
            "value": reco,
            "met": reco >= TARGET_SHARE,
        },
        {
            "target": f"Recommendation share >= {TARGET_RATIO:g}x Ranking's",
            "value": reco,
            "ranking": ranking,
            "met": reco >= TARGET_RATIO * ranking,
        },
        {
            "target": "cold list share >= Ranking's",
            "value": cold,
            "ranking": cold_ranking,
            "met": cold >= cold_ranking,
        },
        {"target": "read items shown = 0", "value": read_shown, "met": read_shown == 0},
        {
            "target": f"coverage >= {TARGET_COVERAGE:.0%}",
            "value": coverage,
            "met": coverage >= TARGET_COVERAGE,
        },
    ]
    print("| measure | Recommendation | Ranking (same pages) |")
    print("|---|---:|---:|")
    print(
        f"| share in the reader's category after {args.views} views | {reco:.3f} | {ranking:.3f} |"
    )
    print(f"| share on the first page (cold) | {cold:.3f} | {cold_ranking:.3f} |")
    print(f"| read items shown | {read_shown} | |")
    print(f"| coverage of {len(demo.category):,} articles | {coverage:.1%} | |")
    for t in targets:
        print(f"target {'met   ' if t['met'] else 'MISSED'}  {t['target']}")
    result = {
        "readers": len(results),
        "categories": sorted({r["category"] for r in results}),
        "views": args.views,
        "share": {"recommendation": reco, "ranking": ranking},
        "cold": {"recommendation": cold, "ranking": cold_ranking},
        "coverage": coverage,
        "read_shown": read_shown,
        "targets": targets,
        "seconds": round(time.perf_counter() - started, 1),
    }
    failures = [t["target"] for t in targets if not t["met"]] if args.gate else None
    return finish(result, args.json, failures)


if __name__ == "__main__":
    sys.exit(main())
