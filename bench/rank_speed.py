"""Rank stage speed and memory: the three lists, retraining and the indexes, in process.

Usage: ``python bench/rank_speed.py [--articles 100000] [--readers 10000] [--events
1000000] [--samples 500] [--quick] [--json OUT] [--gate]`` (``--help`` lists every option)

1. Data: the serving benchmark's generator (``serving_data.py``: the demo corpus plus
   ``--articles`` generated articles with clustered vectors, stories, entities and
   precomputed Related lists; ``--readers`` readers with ``--events`` views and reactions
   over the 30 days before the clock), built once and cached under ``bench/.cache/``,
   copied to a throwaway folder for the run (the freshness check writes a view). SQLite.
2. ``DatelineRankers`` in this process: ``reload()`` (the corpus arrays) timed, and
   measured for memory three ways: the arrays' ``nbytes``, ``tracemalloc`` around a second
   ``reload()`` (everything the index holds: arrays, the id → row dict, titles, …) and the
   process's resident memory before and after the first. Then ``retrain(now)`` timed (and
   its two halves: reading the reads, fitting the model), and the model's arrays measured.
3. Latency, warm (``--warmup`` calls first), for ``--samples`` readers with history drawn
   at random, each in its own read session as a request has, with the collector as a
   serving worker runs it (``web.gctune``: what is loaded is frozen): the reader's
   Recommendation; the article page's three lists (Related, Ranking, the reader's
   Recommendation with the article as ``current``), for an article drawn by views (the
   pages readers open); and each list alone. p50, p99 (nearest rank) and max over every
   call, as served; the calls in which a background engagement refresh (step 5) landed
   are counted, and the p99 of the others is shown beside it. Then the page again, for
   every reader, with that refresh running beside it in a thread the whole time (the
   worst share of a worker's time: on the site it runs for a few seconds every
   ``engagement_seconds``).
4. Baseline in the same run, interleaved call by call with ours (so load falls on both):
   "newest unread", the site's in-memory catalog (``web.catalog.Catalog``) newest list
   minus the reader's reads (one indexed query); for the page, the newest of the
   article's category, the newest overall and newest unread.
5. Engagement refresh: what ``DatelineRankers`` recomputes in the background every
   ``engagement_seconds`` (decayed engagement over 7 days of events, the popularity prior,
   the cold list), timed on its own (median of 3, in this thread).
6. Freshness: a reader with a short history (``FRESH_READS``) reads an article recommended
   to them that has a newer article in its story (else the oldest article of a recent
   story in their most-read category), recorded (a) through ``rankers.recent.add`` (a
   view this worker served, not yet flushed) and (b), for another reader, through
   ``EventBuffer`` and a flush. Their next Recommendation must leave the article out and
   reflect it: an item "new in the story" of that article.

BLAS runs with a serving worker's threads (``web.app.SERVING_BLAS_THREADS``), as the site
runs it; ``--blas-threads N`` sets another count for the whole run (``threadpoolctl``), to
measure what that changes.

Targets (issue 15, item 6): Recommendation p99 < 15 ms; the page's three lists p99 <
20 ms; retraining <= 60 s; the indexes (corpus arrays + co-reading model) <= 500 MB;
freshness holds. ``--gate`` exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

import serving_data
from bench_output import finish
from dateline.rank.rankers import ENGAGEMENT_SECONDS
from dateline.web.app import SERVING_BLAS_THREADS

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".cache"
DEFAULT_JSON = REPO / "bench" / "results" / "rank_speed.json"
FULL = {"articles": 100_000, "readers": 10_000, "events": 1_000_000, "samples": 500}
QUICK = {"articles": 5_000, "readers": 500, "events": 50_000, "samples": 200}
TARGET_RECOMMENDATION_P99_MS = 15.0
TARGET_PAGE_P99_MS = 20.0
TARGET_RETRAIN_S = 60.0
TARGET_MEMORY_MB = 500.0
MB = 1e6  # MB are 10^6 bytes
SEED = 20240501
# The freshness check: its readers have this many reads (a new read weighs in their
# profile), and the article read may be of a story with articles dated in these last days.
FRESH_READS = (3, 30)
RECENT_STORY_DAYS = 4


def percentiles(samples_ns: list[int]) -> dict[str, Any]:
    """p50, p99 (nearest rank), max and mean in milliseconds (None of no samples)."""
    ordered = sorted(samples_ns)
    n = len(ordered)
    if not n:
        return {"n": 0, "p50_ms": None, "p99_ms": None, "max_ms": None, "mean_ms": None}

    def rank(q: float) -> float:
        return round(ordered[max(0, math.ceil(q * n) - 1)] / 1e6, 3)

    return {
        "n": n,
        "p50_ms": rank(0.50),
        "p99_ms": rank(0.99),
        "max_ms": rank(1.0),
        "mean_ms": round(sum(ordered) / n / 1e6, 3),
    }


def rss_bytes() -> int:
    """Resident memory of this process (Linux)."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def timed(fn: Callable[..., Any], *args: Any) -> tuple[int, Any]:
    """Nanoseconds ``fn(*args)`` took, and what it returned."""
    started = time.perf_counter_ns()
    out = fn(*args)
    return time.perf_counter_ns() - started, out


class Bench:
    """The store, our rankers and the baseline over one copy of the data."""

    def __init__(self, data: serving_data.BenchData, work: Path, args: argparse.Namespace):
        from dateline.settings import load_settings
        from dateline.store.db import Store
        from dateline.store.schema import upgrade

        serving_data.run_copy(data, work)
        settings = load_settings(environ={"DATELINE_DATA_DIR": str(work)})
        self.store = Store(settings.resolved_database_url)
        upgrade(self.store)  # the cached copy may predate a new migration
        self.now = datetime.fromisoformat(data.clock)
        self.args = args
        self.rng = random.Random(args.seed)
        self.rankers: Any = None
        self.catalog: Any = None

    # --- memory and retraining -------------------------------------------------------

    def load(self) -> dict[str, Any]:
        """``reload()`` timed and measured (see the module docstring, step 2)."""
        from dateline.rank.rankers import DatelineRankers

        gc.collect()
        before = rss_bytes()
        rankers = DatelineRankers(self.store, engagement_seconds=self.args.engagement_seconds)
        seconds, _ = timed(rankers.reload)
        rss_delta = rss_bytes() - before
        index = rankers.index()
        # every array the index holds (vectors, ids, dates, stories, sources, …)
        arrays = {
            name: int(value.nbytes)
            for name, value in vars(index).items()
            if isinstance(value, np.ndarray)
        }
        probe = DatelineRankers(self.store)
        gc.collect()
        tracemalloc.start()
        probe.reload()
        traced, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del probe
        gc.collect()
        self.rankers = rankers
        return {
            "seconds": round(seconds / 1e9, 2),
            "articles": len(index),
            "with_vector": int(index.has_vector.sum()),
            "arrays_mb": {k: round(v / MB, 1) for k, v in arrays.items()},
            "arrays_total_mb": round(sum(arrays.values()) / MB, 1),
            "traced_mb": round(traced / MB, 1),
            "traced_peak_mb": round(traced_peak / MB, 1),
            "rss_delta_mb": round(rss_delta / MB, 1),
        }

    def retrain(self) -> dict[str, Any]:
        """``retrain(now)`` timed, after its halves timed on their own."""
        from dateline.rank.collab import fit_coreading
        from dateline.rank.rankers import training_reads

        with self.store.read() as session:
            read_ns, reads = timed(training_reads, session, self.now)
        fit_ns, model = timed(fit_coreading, reads)
        count = len(reads)
        del reads
        model_bytes = 0
        if model is not None:
            for name in ("article_ids", "item_factors", "_gram", "_unit", "_table"):
                value = getattr(model, name, None)
                model_bytes += int(value.nbytes) if value is not None else 0
        del model
        gc.collect()
        before = rss_bytes()
        seconds, fitted = timed(self.rankers.retrain, self.now)
        return {
            "seconds": round(seconds / 1e9, 2),
            "fitted": bool(fitted),
            "reads": count,
            "read_seconds": round(read_ns / 1e9, 2),
            "fit_seconds": round(fit_ns / 1e9, 2),
            "model_mb": round(model_bytes / MB, 1),
            "rss_delta_mb": round((rss_bytes() - before) / MB, 1),
        }

    def engagement_refresh(self, times: int = 3) -> dict[str, Any]:
        """What the background refresh recomputes (``rank.rankers.derive``), in this
        thread: nothing is left running into the latency step."""
        took = []
        for _ in range(times):
            took.append(timed(self.rankers.refresh_now, self.now)[0])
        return {"refresh_ms": round(sorted(took)[len(took) // 2] / 1e6, 1), "runs": times}

    # --- latency ---------------------------------------------------------------------

    def readers_with_history(self) -> list[str]:
        from sqlalchemy import select

        from dateline.store.models import Event

        with self.store.read() as session:
            found = session.scalars(
                select(Event.reader_id).where(Event.reader_id.is_not(None)).distinct()
            ).all()
        return sorted(str(r) for r in found)

    def pages(self, count: int) -> list[Any]:
        """``count`` article pages drawn by views (an article read more is opened more)."""
        from sqlalchemy import func, select

        from dateline.store.models import Event
        from dateline.store.queries import get_article

        with self.store.read() as session:
            top = session.scalar(select(func.max(Event.id))) or 0
            out = []
            while len(out) < count:
                aid = session.scalar(
                    select(Event.article_id).where(Event.id >= self.rng.randint(1, top)).limit(1)
                )
                detail = get_article(session, int(aid)) if aid is not None else None
                if detail is not None:
                    out.append(detail)
        return out

    def baseline(self) -> Callable[..., list[Any]]:
        """Newest unread: the catalog's newest list minus the reader's reads."""
        from sqlalchemy import select

        from dateline.readers.events import REACTION, VIEW
        from dateline.store.models import Event
        from dateline.web.catalog import Catalog

        self.catalog = Catalog(self.store, check_seconds=1e9)
        self.catalog.fresh()
        now = self.now

        def newest_unread(session: Any, reader_id: str, limit: int, current: int | None) -> list:
            reads = set(
                session.scalars(
                    select(Event.article_id).where(
                        Event.reader_id == reader_id, Event.kind.in_((VIEW, REACTION))
                    )
                )
            )
            if current is not None:
                reads.add(current)
            return self.catalog.newest(limit, exclude=reads, until=now)

        return newest_unread

    def latency(self, readers: list[str]) -> dict[str, Any]:
        from dateline.rank.base import RANKING_SIZE, RECOMMENDATION_SIZE, RELATED_SIZE
        from dateline.web import gctune

        rankers, store, now = self.rankers, self.store, self.now
        newest_unread = self.baseline()
        catalog = self.catalog
        pages = self.pages(len(readers))

        def ours_rec(session: Any, rid: str, _page: Any) -> Any:
            return rankers.recommendation(session, rid, now, RECOMMENDATION_SIZE)

        def base_rec(session: Any, rid: str, _page: Any) -> Any:
            return newest_unread(session, rid, RECOMMENDATION_SIZE, None)

        def ours_related(session: Any, _rid: str, page: Any) -> Any:
            return rankers.related(session, page, RELATED_SIZE)

        def ours_ranking(session: Any, _rid: str, _page: Any) -> Any:
            return rankers.ranking(session, now, RANKING_SIZE + 1)

        def ours_page(session: Any, rid: str, page: Any) -> Any:
            return (
                rankers.related(session, page, RELATED_SIZE),
                rankers.ranking(session, now, RANKING_SIZE + 1),
                rankers.recommendation(
                    session,
                    rid,
                    now,
                    RECOMMENDATION_SIZE,
                    exclude=frozenset({page.id}),
                    current=page.id,
                ),
            )

        def base_page(session: Any, rid: str, page: Any) -> Any:
            return (
                catalog.newest(RELATED_SIZE, exclude={page.id}, category=page.category, until=now),
                catalog.newest(RANKING_SIZE + 1, until=now),
                newest_unread(session, rid, RECOMMENDATION_SIZE, page.id),
            )

        cases: dict[str, Callable[[Any, str, Any], Any]] = {
            "recommendation": ours_rec,
            "recommendation_baseline": base_rec,
            "related": ours_related,
            "ranking": ours_ranking,
            "page": ours_page,
            "page_baseline": base_page,
        }
        samples: dict[str, list[int]] = {name: [] for name in cases}
        refreshed: dict[str, list[int]] = {name: [] for name in cases}
        warm = self.args.warmup
        order = list(cases)
        turns = list(zip(readers[:warm] + readers, pages[:warm] + pages, strict=True))
        # the collector as a serving worker runs it: what is loaded is frozen (web.gctune)
        gctune.start()
        try:
            for i, (rid, page) in enumerate(turns):
                # the cases take turns, and the first of a turn changes each time
                turn = order[i % len(order) :] + order[: i % len(order)]
                for name in turn:
                    cached = engagement_cache(rankers)
                    with store.read() as session:
                        ns, _ = timed(cases[name], session, rid, page)
                    if i >= warm:
                        # a call that recomputed the engagement cache is also kept apart
                        paid = engagement_cache(rankers) is not cached
                        (refreshed if paid else samples)[name].append(ns)
        finally:
            gctune.stop()
        out = {}
        for name in cases:
            every = samples[name] + refreshed[name]
            out[name] = percentiles(every) | {"refreshes": len(refreshed[name])}
            out[name]["without_refresh"] = percentiles(samples[name])
        out["page_during_refresh"] = self.during_refresh(ours_page, turns[warm:])
        return out

    def during_refresh(self, case: Callable[[Any, str, Any], Any], turns: list[Any]) -> Any:
        """The page's lists while the engagement refresh runs in a background thread, as
        it does every ``engagement_seconds`` on the site (restarted until every turn ran):
        what the GIL and the cores shared with it cost a request."""
        from dateline.web import gctune

        took: list[int] = []
        refreshes = 0
        worker: threading.Thread | None = None
        gctune.start()
        try:
            for rid, page in turns:
                if worker is None or not worker.is_alive():
                    worker = threading.Thread(target=self.rankers.refresh_now, args=(self.now,))
                    worker.start()
                    refreshes += 1
                with self.store.read() as session:
                    took.append(timed(case, session, rid, page)[0])
            if worker is not None:
                worker.join()
        finally:
            gctune.stop()
        return percentiles(took) | {"refreshes": refreshes}

    # --- freshness -------------------------------------------------------------------

    def freshness(self) -> dict[str, Any]:
        """See the module docstring, step 6: (a) through ``recent``, (b) flushed.

        The reader of each is the first, in a seeded order, of the readers with
        ``FRESH_READS`` reads (a read then weighs in their profile, as on a young
        account) for whom an article to read is found (:meth:`_story_article`).
        """
        from sqlalchemy import func, select

        from dateline.readers.buffer import EventBuffer
        from dateline.readers.identity import reader_key
        from dateline.store.models import Event

        lo, hi = FRESH_READS
        with self.store.read() as session:
            counts = session.execute(
                select(Event.reader_id, func.count())
                .where(Event.reader_id.is_not(None))
                .group_by(Event.reader_id)
            ).all()
        light = sorted(str(r) for r, n in counts if lo <= n <= hi)
        self.rng.shuffle(light)

        def buffered(rid: str, aid: int, at: datetime) -> None:
            buffer = EventBuffer(self.store, flush_seconds=60)
            buffer.record_view(aid, reader_key(rid), rid, at)
            buffer.close()  # a clean close flushes

        out: dict[str, Any] = {}
        ways: list[tuple[str, Callable[[str, int, datetime], None]]] = [
            ("recent", self.rankers.recent.add),
            ("flushed", buffered),
        ]
        readers = iter(light)
        for way, record in ways:
            out[way] = {"holds": False, "note": "no reader with a story to follow"}
            for rid in readers:
                before = self._recommend(rid)
                found = self._story_article(rid, before)
                if found is not None:
                    out[way] = self._read_and_check(rid, before, *found, record)
                    break
        out["holds"] = bool(out["recent"]["holds"] and out["flushed"]["holds"])
        return out

    def _recommend(self, reader_id: str) -> list[Any]:
        from dateline.rank.base import RECOMMENDATION_SIZE

        with self.store.read() as session:
            return list(
                self.rankers.recommendation(session, reader_id, self.now, RECOMMENDATION_SIZE)
            )

    def _story_article(self, reader_id: str, shown: list[Any]) -> tuple[int, int, bool] | None:
        """(article, its story, whether it was recommended) for the reader to read: the
        first recommended article with a newer article in its story, or else the oldest
        article of a recent story (3+ articles dated in ``RECENT_STORY_DAYS``) in the
        reader's most-read category, of which they read nothing."""
        from collections import Counter

        from dateline.rank.rankers import reads_of

        index = self.rankers.index()
        now = _epoch(self.now)
        dated = index.at <= now
        for item in shown:
            row = index.pos.get(item.article_id)
            story = int(index.story[row]) if row is not None else -1
            if story >= 0 and np.any((index.story == story) & dated & (index.at > index.at[row])):
                return item.article_id, story, True
        with self.store.read() as session:
            reads = reads_of(session, [reader_id]).get(reader_id, [])
        rows = index.rows([r.article_id for r in reads])
        if not rows:
            return None
        category = Counter(index.category[r] for r in rows).most_common(1)[0][0]
        read_stories = {int(index.story[r]) for r in rows}
        recent = dated & (index.at > now - RECENT_STORY_DAYS * 86400) & (index.story >= 0)
        members: dict[int, list[int]] = {}
        for row in np.flatnonzero(recent).tolist():
            if index.category[row] == category:
                members.setdefault(int(index.story[row]), []).append(row)
        for story, story_rows in sorted(members.items()):
            if story in read_stories or len(story_rows) < 3:
                continue
            oldest = min(story_rows, key=lambda r: index.at[r])
            return int(index.ids[oldest]), story, False
        return None

    def _read_and_check(
        self,
        reader_id: str,
        before: list[Any],
        article: int,
        story: int,
        recommended: bool,
        record: Callable[[str, int, datetime], None],
    ) -> dict[str, Any]:
        """Record the read, then: is it left out, and does its story come in?"""
        index = self.rankers.index()
        record(reader_id, article, self.now - timedelta(minutes=1))
        after = self._recommend(reader_id)
        ids = [r.article_id for r in after]
        followed = [
            r.reason
            for r in after
            if r.article_id in index.pos and int(index.story[index.pos[r.article_id]]) == story
        ]
        excluded = article not in ids
        reflected = any(reason.startswith("new in the story") for reason in followed)
        return {
            "reader": reader_id,
            "article": article,
            "was_recommended": recommended,
            "excluded": excluded,
            "reflected": reflected,
            "holds": excluded and reflected,
            "before": [r.article_id for r in before],
            "after": ids,
            "reasons_after": [r.reason for r in after],
        }


def _epoch(at: datetime) -> float:
    from datetime import UTC

    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


def engagement_cache(rankers: Any) -> Any:
    """The rankers' engagement cache object: a new one after each recomputation.

    ``DatelineRankers`` keeps it in ``_cache`` (a private attribute: should it go, no call
    is counted as having paid a refresh, and the figures still include every call).
    """
    return getattr(rankers, "_cache", None)


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def table(result: dict[str, Any]) -> str:
    lat = result["latency"]
    met = {t["name"]: t for t in result["targets"]}
    rows = [
        "| list(s) | p50 ms | p99 ms | max ms | calls a refresh landed in | p99 ms without them "
        "| baseline p50 | baseline p99 | vs baseline p50 / p99 | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for label, key, base in (
        ("Recommendation, one reader", "recommendation", "recommendation_baseline"),
        ("article page: Related + Ranking + Recommendation", "page", "page_baseline"),
        ("Related (the stored list)", "related", None),
        ("Ranking", "ranking", None),
        ("article page, an engagement refresh running beside it", "page_during_refresh", None),
    ):
        r, b = lat[key], lat[base] if base else None
        if "without_refresh" not in r:
            rows.append(
                f"| {label} | {_ms(r['p50_ms'])} | {_ms(r['p99_ms'])} | {_ms(r['max_ms'])} "
                f"| all {r['n']} ({r['refreshes']} refreshes) | | | | | | |"
            )
            continue
        ratio = f"{r['p50_ms'] / b['p50_ms']:.1f}x / {r['p99_ms'] / b['p99_ms']:.1f}x" if b else ""
        check = met.get(key)
        rows.append(
            f"| {label} | {_ms(r['p50_ms'])} | {_ms(r['p99_ms'])} | {_ms(r['max_ms'])} "
            f"| {r['refreshes']} of {r['n']} | {_ms(r['without_refresh']['p99_ms'])} "
            f"| {_ms(b['p50_ms']) if b else ''} | {_ms(b['p99_ms']) if b else ''} | {ratio} "
            f"| {check['target'] if check else ''} "
            f"| {'' if check is None else ('yes' if check['met'] else '**no**')} |"
        )
    rows += ["", "| measure | value | target | met |", "|---|---|---|---|"]
    rt, mem, ld = result["retrain"], result["memory"], result["reload"]
    rows.append(
        f"| retrain the co-reading model ({rt['reads']:,} reads) | {rt['seconds']:.1f} s "
        f"(reading {rt['read_seconds']:.1f} s, fitting {rt['fit_seconds']:.1f} s) "
        f"| {met['retrain']['target']} | {'yes' if met['retrain']['met'] else '**no**'} |"
    )
    rows.append(
        f"| rank indexes: corpus arrays (traced) + co-reading model | {mem['total_mb']:.0f} MB "
        f"({mem['index_traced_mb']:.0f} + {mem['model_mb']:.1f}) | {met['memory']['target']} "
        f"| {'yes' if met['memory']['met'] else '**no**'} |"
    )
    rows.append(
        f"| corpus arrays: nbytes; resident memory added by reload() "
        f"| {ld['arrays_total_mb']:.0f} MB; {ld['rss_delta_mb']:.0f} MB | | |"
    )
    rows.append(f"| reload() (load_corpus_index) | {ld['seconds']:.1f} s | | |")
    rows.append(
        f"| engagement refresh (due every {result['config']['engagement_seconds']:g} s) "
        f"| {result['engagement']['refresh_ms']:,.0f} ms | | |"
    )
    enrich = result["enrich_related"]
    rows.append(
        f"| Related precomputed at enrich time ({enrich['lists']:,} lists, at build) "
        f"| {enrich['seconds']:,.0f} s ({enrich['ms_per_article']:.1f} ms each) | | |"
    )
    fresh = result["freshness"]
    rows.append(
        f"| freshness: recent read / flushed read "
        f"| {_yes(fresh['recent'])} / {_yes(fresh['flushed'])} | left out, reflected "
        f"| {'yes' if fresh['holds'] else '**no**'} |"
    )
    return "\n".join(rows)


def _yes(check: dict[str, Any]) -> str:
    if "excluded" not in check:
        return "not run"
    return f"{'left out' if check['excluded'] else 'SHOWN'}, " + (
        "reflected" if check["reflected"] else "not reflected"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add = parser.add_argument
    add(
        "--articles",
        type=int,
        default=None,
        help=f"generated articles (default {FULL['articles']:,}; --quick {QUICK['articles']:,})",
    )
    add(
        "--readers",
        type=int,
        default=None,
        help=f"readers (default {FULL['readers']:,}; --quick {QUICK['readers']:,})",
    )
    add(
        "--events",
        type=int,
        default=None,
        help=f"views and reactions (default {FULL['events']:,}; --quick {QUICK['events']:,})",
    )
    add(
        "--samples",
        type=int,
        default=None,
        help=f"readers timed, each once per case (default {FULL['samples']}; --quick {QUICK['samples']})",
    )
    add("--warmup", type=int, default=30, help="untimed turns of every case first (default 30)")
    add("--quick", action="store_true", help="the small sizes above (a test runs it)")
    add(
        "--engagement-seconds",
        type=float,
        default=ENGAGEMENT_SECONDS,
        help="how often DatelineRankers refreshes engagement in the background (default "
        "%(default)s, the site's)",
    )
    add("--seed", type=int, default=SEED, help=f"readers and pages drawn (default {SEED})")
    add(
        "--cache",
        type=Path,
        default=CACHE,
        help="where generated data is cached (default bench/.cache)",
    )
    add(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help="where to write results (default bench/results/rank_speed.json)",
    )
    add(
        "--blas-threads",
        type=int,
        default=SERVING_BLAS_THREADS,
        help="BLAS threads for the run (default %(default)s, a serving worker's)",
    )
    add("--gate", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    for key, value in sizes.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.blas_threads, "blas"):
        return run(args)


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the rank and enrich code had uncommitted changes."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    paths = ["src/dateline/rank", "src/dateline/enrich"]
    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_rank_or_enrich": bool(git("status", "--porcelain", "--", *paths)),
    }


def blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [int(i["num_threads"]) for i in threadpool_info() if i.get("user_api") == "blas"]


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    print(
        f"data: demo corpus + {args.articles:,} generated articles, {args.readers:,} readers, "
        f"{args.events:,} events (SQLite)",
        flush=True,
    )
    data = serving_data.build(args.cache, args.articles, readers=args.readers, events=args.events)
    print(
        f"  {f'built in {data.build_seconds:.1f} s' if data.build_seconds else 'cached'}: "
        f"{len(data.paths):,} articles, {data.events:,} events, clock {data.clock}",
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="dateline-rank-speed-"))
    try:
        bench = Bench(data, work, args)
        print("reload(): the corpus arrays", flush=True)
        loaded = bench.load()
        print(f"  {loaded['seconds']:.1f} s, {loaded['traced_mb']:.0f} MB traced", flush=True)
        print("retrain(now): the co-reading model", flush=True)
        retrained = bench.retrain()
        print(f"  {retrained['seconds']:.1f} s, model {retrained['model_mb']:.0f} MB", flush=True)
        engagement = bench.engagement_refresh()
        readers = bench.readers_with_history()
        sampled = bench.rng.sample(readers, min(args.samples, len(readers)))
        print(f"latency: {len(sampled)} readers with history, each case once", flush=True)
        latency = bench.latency(sampled)
        for name, r in latency.items():
            print(f"  {name}: p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms", flush=True)
        print("freshness", flush=True)
        fresh = bench.freshness()
        bench.store.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    related_s = data.timings.get("related", 0.0)
    memory = {
        "index_traced_mb": loaded["traced_mb"],
        "index_arrays_mb": loaded["arrays_total_mb"],
        "index_rss_delta_mb": loaded["rss_delta_mb"],
        "model_mb": retrained["model_mb"],
        "total_mb": round(loaded["traced_mb"] + retrained["model_mb"], 1),
    }
    targets = [
        {
            "name": "recommendation",
            "target": f"p99 < {TARGET_RECOMMENDATION_P99_MS:g} ms",
            "value": latency["recommendation"]["p99_ms"],
            "met": latency["recommendation"]["p99_ms"] < TARGET_RECOMMENDATION_P99_MS,
        },
        {
            "name": "page",
            "target": f"p99 < {TARGET_PAGE_P99_MS:g} ms",
            "value": latency["page"]["p99_ms"],
            "met": latency["page"]["p99_ms"] < TARGET_PAGE_P99_MS,
        },
        {
            "name": "retrain",
            "target": f"<= {TARGET_RETRAIN_S:g} s",
            "value": retrained["seconds"],
            "met": retrained["fitted"] and retrained["seconds"] <= TARGET_RETRAIN_S,
        },
        {
            "name": "memory",
            "target": f"<= {TARGET_MEMORY_MB:g} MB",
            "value": memory["total_mb"],
            "met": memory["total_mb"] <= TARGET_MEMORY_MB,
        },
        {
            "name": "freshness",
            "target": "left out and reflected",
            "value": fresh["holds"],
            "met": fresh["holds"],
        },
    ]
    result: dict[str, Any] = {
        "config": {
            "articles": args.articles,
            "readers": args.readers,
            "events": args.events,
            "samples": len(sampled),
            "warmup": args.warmup,
            "quick": args.quick,
            "engagement_seconds": args.engagement_seconds,
            "seed": args.seed,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_after": round(os.getloadavg()[0], 2),
            "blas_threads": blas_threads(),
        },
        "code": code_version(),
        "data": {
            "articles_listed": loaded["articles"],
            "events": data.events,
            "build_seconds": round(data.build_seconds, 1),
            "timings": {k: round(v, 1) for k, v in data.timings.items()},
        },
        "enrich_related": {
            "lists": data.related_lists,
            "seconds": round(related_s, 1),
            "ms_per_article": round(1000 * related_s / max(data.related_lists, 1), 2),
        },
        "reload": loaded,
        "retrain": retrained,
        "memory": memory,
        "engagement": engagement,
        "latency": latency,
        "freshness": fresh,
        "targets": targets,
        "runtime_seconds": round(time.perf_counter() - started, 1),
    }
    result["table"] = table(result)
    print()
    print(result["table"])
    print(f"\nran in {result['runtime_seconds']:.0f} s; wrote {args.json}")
    failures = [
        f"{t['name']}: {t['value']} (target {t['target']})" for t in targets if not t["met"]
    ]
    return finish(result, args.json, failures if args.gate else None)


if __name__ == "__main__":
    sys.exit(main())
