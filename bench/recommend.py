"""Reader simulation for the Recommendation list: each ranker serves the same readers.

Usage: ``python bench/recommend.py [--quick] [--articles N] [--days D] [--readers R]
[--test-days 7] [--eta 1.0] [--rankers random,popularity,content,collaborative,blend]
[--work DIR] [--json OUT] [--gate]`` (``--help`` lists every option and its default).

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
a corpus built there by the same options and commit (uncommitted changes are not seen).

Targets (printed; ``--gate`` exits 1 when one is missed): blend AUC >= popularity + 0.05;
blend best on nDCG@10 and MRR; blend's Recommendation click-through >= 1.3x popularity's;
no read item recommended. Related lists are measured by ``bench/related.py``.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import gzip
import heapq
import inspect
import json
import math
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

from bench_output import finish

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
SHARED = REPO.parent / "shared"

if TYPE_CHECKING:
    from dateline.rank.base import Rankers
    from dateline.rank.offline import Impression, News
    from dateline.store.db import Store
    from dateline.web.site import Site

DEFAULT_STORIES = SHARED / "benchmarks" / "stories" / "dev.csv"
DEFAULT_NEWS = SHARED / "corpora" / "news-category" / "news_category_subset.jsonl.gz"
DEFAULT_JSON = REPO / "bench" / "results" / "recommend.json"
BASELINE = REPO / "bench" / "baseline.json"
RANKER_NAMES = ("random", "popularity", "content", "collaborative", "blend")
DEFAULT_RUN = "default"  # the run of the site's own rankers (rankers_for gave None)
# Day 0 of the simulated calendar; any date works (every time is re-timed onto it).
START = datetime(2024, 3, 4)
# UCI's four categories as the HuffPost sections they are read as (reader interests).
UCI_CATEGORIES = {"b": "BUSINESS", "t": "TECH", "e": "ENTERTAINMENT", "m": "WELLNESS"}
# --- readers (defaults chosen so that sessions average about two pages) ---------------
INTERESTS = (1, 3)  # categories per reader
CATEGORY_WEIGHT_POWER = 0.5  # interests drawn by category size^0.5: thin sections get readers
STORY_FOLLOWERS = 0.4  # share of readers following a running UCI story
STORY_ENDED_HOURS = 48  # a followed story with no article for this long has ended
ACTIVITY = (0.05, 0.35)  # each reader's daily chance of a session, uniform in this range
HALF_LIFE_HOURS = (12.0, 96.0)  # each reader's freshness taste, uniform in this range
FRESH_FLOOR = 0.2  # attraction of a very old article relative to a brand-new one
STORY_MATCH, CATEGORY_MATCH = 1.0, 0.6  # attraction factor: followed story, category
SESSION_HOURS = (7, 23)  # sessions start between these simulated hours
DWELL_SECONDS = (60, 300)  # time on a page before the next click
MAX_PAGES = 10  # pages per session at most
HOME_TOP = 10  # Latest items of the home page a landing reader considers (+ its lead lists)
FRESH_HOURS = 48  # a "fresh article in their interests" landing: at most this old
# time.monotonic() while browsing: the simulated seconds since START, plus this.
MONOTONIC_OFFSET = 1e6
LINK = re.compile(rb'href="/a/(\d+)/[^"?]*\?from=([a-z_]+)&amp;pos=(\d+)')
PAGE_LISTS = ("related", "ranking", "recommendation")  # in page order
# Targets of issue 15, item 5.
AUC_MARGIN = 0.05
CTR_RATIO = 1.3
# The diversity/accuracy curve: MMR's λ (None: accuracy only), and the target — ILD@8 at
# least ILD_GAIN above the accuracy-only blend's for at most NDCG_LOSS of its nDCG@10.
MMR_LAMBDAS = (None, 0.9, 0.8, 0.7, 0.6, 0.5)
CURVE_NEGATIVES = 40
ILD_GAIN = 0.15
NDCG_LOSS = 0.03


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
        schedule=_in_line,  # engagement derived in line: runs of one seed agree
    )
    if weights.collab:
        rankers.retrain(site.now())
    return rankers


# --- the corpus ------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One headline to ingest, its simulated time and its gold labels (harness only)."""

    url: str
    title: str
    body: str
    site_name: str
    byline: str | None
    published: datetime
    category: str  # gold: HuffPost's section, or UCI's category read as one
    story: str | None  # gold: UCI's story id; None for HuffPost


def evenly(rows: list[Any], n: int) -> list[Any]:
    """``n`` rows spread evenly over ``rows`` (all of them when n >= len)."""
    if n >= len(rows):
        return rows
    return [rows[math.floor(i * len(rows) / n)] for i in range(n)]


def retime(rows: list[Any], days: int) -> list[datetime]:
    """Evenly spaced times over ``days`` days from START, in the rows' own order."""
    step = days * 86400 / max(len(rows), 1)
    return [START + timedelta(seconds=round((i + 0.5) * step)) for i in range(len(rows))]


def load_items(stories: Path, news: Path, articles: int | None, days: int) -> list[Item]:
    """Both sources, subsampled to ``articles`` in proportion, re-timed, oldest first."""
    with stories.open(encoding="utf-8", newline="") as handle:
        uci = sorted(csv.DictReader(handle), key=lambda r: int(r["ID"]))  # ID order = time order
    with gzip.open(news, "rt", encoding="utf-8") as handle:
        huff = [json.loads(line) for line in handle if line.strip()]
    huff.reverse()  # the file is newest first
    huff.sort(key=lambda r: r["date"])  # stable: the file's own order within a day
    total = len(uci) + len(huff)
    if articles is not None and articles < total:
        n_uci = round(articles * len(uci) / total)
        uci, huff = evenly(uci, n_uci), evenly(huff, articles - n_uci)
    items = [
        Item(
            r["URL"],
            r["TITLE"],
            r["TITLE"],
            r["PUBLISHER"],
            None,
            at,
            UCI_CATEGORIES[r["CATEGORY"]],
            r["STORY"],
        )
        for r, at in zip(uci, retime(uci, days), strict=True)
    ]
    items += [
        Item(
            r["link"],
            r["headline"],
            r["short_description"] or r["headline"],
            "HuffPost",
            r.get("authors") or None,
            at,
            r["category"],
            None,
        )
        for r, at in zip(huff, retime(huff, days), strict=True)
    ]
    seen: set[str] = set()
    unique = []
    for item in sorted(items, key=lambda i: i.published):
        if item.url not in seen and item.title.strip():
            seen.add(item.url)
            unique.append(item)
    return unique


def jsonl_line(item: Item) -> str:
    """The item in our JSONL reader's format (no category: gold labels stay here)."""
    record = {
        "title": item.title,
        "body": item.body,
        "url": item.url,
        "published": item.published.isoformat() + "+00:00",
        "site_name": item.site_name,
        "byline": item.byline,
        "language": "en",
    }
    return json.dumps(record, ensure_ascii=False)


def corpus_settings(data_dir: Path, clock: datetime, **extra: str) -> Any:
    from dateline.settings import load_settings

    environ = {
        "DATELINE_DATA_DIR": str(data_dir),
        "DATELINE_SITE_CLOCK": clock.isoformat(),
        "DATELINE_ENRICH_ON_INGEST": "true",
        **extra,
    }
    return load_settings(environ=environ)


def backup(store_path: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (its WAL included)."""
    source, copy = sqlite3.connect(store_path), sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()


@dataclass
class Corpus:
    """The built corpus: a store snapshot per day and the gold labels by article id."""

    folder: Path
    days: int
    gold: dict[int, tuple[str, str | None]]  # article id -> (category, story)
    published: dict[int, datetime]  # article id -> simulated publication time
    stats: dict[str, Any]

    def snapshot(self, day: int) -> Path:
        return self.folder / f"day-{day:03d}.db"

    def save(self) -> None:
        meta = {
            "days": self.days,
            "gold": {str(k): v for k, v in self.gold.items()},
            "published": {str(k): v.isoformat() for k, v in self.published.items()},
            "stats": self.stats,
        }
        (self.folder / "corpus.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Corpus:
        meta = json.loads((folder / "corpus.json").read_text(encoding="utf-8"))
        return cls(
            folder,
            meta["days"],
            {int(k): (v[0], v[1]) for k, v in meta["gold"].items()},
            {int(k): datetime.fromisoformat(v) for k, v in meta["published"].items()},
            meta["stats"],
        )


def build_corpus(items: list[Item], days: int, folder: Path, log: Callable[[str], None]) -> Corpus:
    """Ingest and enrich day by day (the library calls of ``dateline ingest``); snapshot each day."""
    from dateline.enrich.run import enrich_articles
    from dateline.pipeline import FAILED, ingest_many
    from dateline.store.db import Store
    from dateline.store.schema import upgrade

    folder.mkdir(parents=True, exist_ok=True)
    live = folder / "live.db"
    store = Store(f"sqlite:///{live}")
    upgrade(store)
    by_day: list[list[Item]] = [[] for _ in range(days)]
    for item in items:
        by_day[min((item.published - START).days, days - 1)].append(item)
    corpus = Corpus(folder, days, {}, {}, Counter())
    started = time.perf_counter()
    for day, todays in enumerate(by_day):
        ingest_at = START + timedelta(days=day + 1)
        settings = corpus_settings(folder / "data", ingest_at)
        path = folder / f"day-{day:03d}.jsonl"
        path.write_text("".join(jsonl_line(i) + "\n" for i in todays), encoding="utf-8")
        t0 = time.perf_counter()
        report = ingest_many([str(path)], store, settings)
        corpus.stats["ingest_seconds"] += time.perf_counter() - t0
        path.unlink()
        if len(report.items) != len(todays):
            raise RuntimeError(f"day {day}: {len(report.items)} reports for {len(todays)} lines")
        touched = set()
        for item, got in zip(todays, report.items, strict=True):  # one report per line, in order
            corpus.stats[got.status] += 1
            if got.status == FAILED or got.article_id is None:
                continue
            corpus.gold.setdefault(got.article_id, (item.category, item.story))
            corpus.published.setdefault(got.article_id, item.published)
            if got.status in ("new", "updated"):
                touched.add(got.article_id)
        if settings.enrich_on_ingest and touched:  # as `dateline ingest` does
            t0 = time.perf_counter()
            enriched = enrich_articles(store, settings, sorted(touched))
            corpus.stats["enrich_seconds"] += time.perf_counter() - t0
            for step, seconds in enriched.seconds.items():
                corpus.stats[f"enrich {step} seconds"] += seconds
        backup(live, corpus.snapshot(day))
        log(
            f"  day {day + 1}/{days}: {len(todays)} items, {len(touched)} articles "
            f"({time.perf_counter() - started:.0f} s)"
        )
    store.dispose()
    live.unlink()
    corpus.stats = {k: round(v, 1) if isinstance(v, float) else v for k, v in corpus.stats.items()}
    corpus.stats["articles"] = len(corpus.gold)
    corpus.stats["items"] = len(items)
    corpus.stats["uci_items"] = sum(i.story is not None for i in items)
    return corpus


def table_counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as conn:
        names = [
            n
            for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not n.startswith("sqlite_")
        ]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def carry_over(previous: Path, target: Path, tables: Iterable[str]) -> None:
    """Copy the rows of ``tables`` (reader-side) from ``previous`` into ``target``."""
    conn = sqlite3.connect(target)
    try:
        conn.execute("ATTACH DATABASE ? AS prev", (str(previous),))
        with conn:
            for name in tables:
                conn.execute(f'INSERT INTO main."{name}" SELECT * FROM prev."{name}"')
        conn.execute("DETACH DATABASE prev")
    finally:
        conn.close()


# --- readers -----------------------------------------------------------------------------


@dataclass
class Reader:
    id: str
    activity: float
    half_life_hours: float
    categories: list[str]
    story: str | None = None


@dataclass(frozen=True)
class DayPlan:
    """Who browses on a day, when each session starts, and everyone's interests that day."""

    sessions: list[tuple[datetime, int]]
    interests: list[tuple[frozenset[str], str | None]]


def reader_id(seed: int, index: int) -> str:
    return uuid.UUID(int=random.Random(f"{seed}:reader:{index}").getrandbits(128), version=4).hex


def plan_days(
    corpus: Corpus, readers: int, seed: int, drift: float
) -> tuple[list[Reader], list[DayPlan]]:
    """Readers and their days, from the gold labels only (the same for every run)."""
    rng = random.Random(f"{seed}:readers")
    sizes = Counter(category for category, _ in corpus.gold.values())
    labels = sorted(sizes)
    weights = [sizes[c] ** CATEGORY_WEIGHT_POWER for c in labels]

    def draw(k: int, avoid: Iterable[str] = ()) -> list[str]:
        out: list[str] = []
        while len(out) < k:
            pick = rng.choices(labels, weights)[0]
            if pick not in out and pick not in avoid:
                out.append(pick)
        return out

    people = [
        Reader(
            reader_id(seed, i),
            rng.uniform(*ACTIVITY),
            rng.uniform(*HALF_LIFE_HOURS),
            draw(min(rng.randint(*INTERESTS), len(labels))),
        )
        for i in range(readers)
    ]
    story_times: dict[str, list[datetime]] = defaultdict(list)
    for aid, (_, story) in corpus.gold.items():
        if story is not None:
            story_times[story].append(corpus.published[aid])
    follows = [rng.random() < STORY_FOLLOWERS for _ in people]
    plans = []
    for day in range(1, corpus.days + 1):
        start = START + timedelta(days=day)
        running = sorted(
            s
            for s, times in story_times.items()
            if any(start - timedelta(days=1) <= t < start for t in times)
        )
        last = {
            s: max(t for t in story_times[s] if t < start)
            for s in story_times
            if any(t < start for t in story_times[s])
        }
        for reader, follower in zip(people, follows, strict=True):
            if day > 1 and len(reader.categories) < len(labels) and rng.random() < drift:
                reader.categories[rng.randrange(len(reader.categories))] = draw(
                    1, reader.categories
                )[0]
            ended = reader.story is None or start - last[reader.story] > timedelta(
                hours=STORY_ENDED_HOURS
            )
            if follower and ended and running:
                reader.story = rng.choice(running)
        sessions = []
        for index, reader in enumerate(people):
            if rng.random() < reader.activity:
                at = start + timedelta(hours=rng.uniform(*SESSION_HOURS))
                sessions.append((at.replace(microsecond=0), index))
        interests = [(frozenset(r.categories), r.story) for r in people]
        plans.append(DayPlan(sorted(sessions), interests))
    return people, plans


# --- browsing ----------------------------------------------------------------------------


class SimulatedClock:
    """The simulated time, as the site reads time: ``site.now()`` for dates, and
    ``time.monotonic()`` for the ages of its caches (page_cache_seconds, the catalog's
    checks, background refreshes), patched for the browsing so they age by it too."""

    def __init__(self) -> None:
        self.at = START

    def monotonic(self) -> float:
        return (self.at - START).total_seconds() + MONOTONIC_OFFSET

    @contextmanager
    def patched(self) -> Iterator[None]:
        with mock.patch("time.monotonic", self.monotonic):
            yield


def simulated_site(settings: Any, store: Store, clock: SimulatedClock) -> Site:
    """The real ``Site``, its clock the simulated one (``site.now()`` is its only clock)."""
    from dateline.web.site import Site

    class SimulatedSite(Site):
        def now(self) -> datetime:
            return clock.at

    site = SimulatedSite(settings, store)
    if hasattr(site.rankers, "schedule"):
        # engagement derived in line, as of the page that asks: runs of one seed agree
        site.rankers.schedule = _in_line
    return site


def _in_line(_key: object, job: Any) -> None:
    job()


@dataclass
class Tally:
    """What one run's readers saw and did (the harness's own count)."""

    pages: int = 0
    sessions: int = 0
    landings: Counter[str] = field(default_factory=Counter)
    followed: Counter[str] = field(default_factory=Counter)
    read_recommended: int = 0
    test_reco_shown: int = 0
    test_reco_in_interest: int = 0
    flushes: int = 0


@dataclass
class Options:
    eta: float
    attraction: float
    off_interest: float
    home_share: float
    seed: int
    test_start: datetime


class Day:
    """One simulated day of one run: sessions served through ``site`` in time order."""

    def __init__(
        self,
        site: Site,
        clock: SimulatedClock,
        corpus: Corpus,
        people: list[Reader],
        plan: DayPlan,
        reads: dict[int, set[int]],
        tally: Tally,
        opts: Options,
        day: int,
    ) -> None:
        self.site, self.clock, self.corpus = site, clock, corpus
        self.people, self.plan, self.reads = people, plan, reads
        self.tally, self.opts, self.day = tally, opts, day
        start = START + timedelta(days=day)
        self.flushed_at = start
        since = start - timedelta(hours=FRESH_HOURS)
        self.fresh = [a for a, at in corpus.published.items() if since <= at < start]

    def attraction(self, reader: int, article_id: int, at: datetime) -> float:
        if article_id in self.reads[reader] or article_id not in self.corpus.gold:
            return 0.0
        categories, story = self.plan.interests[reader]
        category, its_story = self.corpus.gold[article_id]
        if story is not None and its_story == story:
            match = STORY_MATCH
        elif category in categories:
            match = CATEGORY_MATCH
        else:
            match = self.opts.off_interest
        age = max((at - self.corpus.published[article_id]).total_seconds() / 3600, 0.0)
        decay = 2.0 ** (-age / self.people[reader].half_life_hours)
        return self.opts.attraction * match * (FRESH_FLOOR + (1 - FRESH_FLOOR) * decay)

    def in_interest(self, reader: int, article_id: int) -> bool:
        categories, story = self.plan.interests[reader]
        category, its_story = self.corpus.gold.get(article_id, ("", None))
        return category in categories or (story is not None and its_story == story)

    def run(self) -> None:
        queue: list[tuple[datetime, int, int, tuple[int, tuple[str, int, int] | None] | None]] = []
        for n, (at, reader) in enumerate(self.plan.sessions):
            queue.append((at, n, reader, None))
        heapq.heapify(queue)
        count = len(queue)
        pages: Counter[int] = Counter()
        while queue:
            at, _, reader, step = heapq.heappop(queue)
            rng = random.Random(f"{self.opts.seed}:{self.day}:{reader}:{pages[reader]}")
            self.advance(at)
            if step is None:
                self.tally.sessions += 1
                step = (self.land(reader, at, rng), None)
                if step[0] is None:
                    continue
            article_id, clicked_from = step
            shown = self.serve(reader, article_id, clicked_from, at)
            pages[reader] += 1
            if shown is None or pages[reader] >= MAX_PAGES:
                continue
            nxt = self.click(reader, article_id, shown, at, rng)
            if nxt is not None:
                count += 1
                then = at + timedelta(seconds=rng.randint(*DWELL_SECONDS))
                heapq.heappush(queue, (then, count, reader, nxt))

    def advance(self, at: datetime) -> None:
        """Move the clock to ``at``, after the site's background work of the last page is
        done (so every run does the same work at the same simulated times), writing the
        buffered events when the site's flusher would have (``event_flush_seconds``)."""
        self.site.refresher.drain()
        self.clock.at = at
        if (at - self.flushed_at).total_seconds() >= self.site.settings.event_flush_seconds:
            self.site.events.flush()
            self.flushed_at = at
            self.tally.flushes += 1

    def land(self, reader: int, at: datetime, rng: random.Random) -> int | None:
        """The first page of a session: from the home page's top, or a fresh article."""
        if rng.random() >= self.opts.home_share:
            fresh = [(a, self.attraction(reader, a, at)) for a in self.fresh]
            fresh = [(a, w) for a, w in fresh if w > 0 and self.in_interest(reader, a)]
            if fresh:
                self.tally.landings["fresh in interests"] += 1
                return rng.choices([a for a, _ in fresh], [w for _, w in fresh])[0]
        home = self.site.home_page()
        # its lead sections ("Most read", "Top stories": whatever is not a category's), Latest
        lead = [items for name, items in home.sections.items() if not name.startswith("category:")]
        sections = [*lead, home.items[:HOME_TOP]]
        weighted = [
            (s.id, (1 / k) ** self.opts.eta * self.attraction(reader, s.id, at))
            for section in sections
            for k, s in enumerate(section, start=1)
        ]
        weighted = [(a, w) for a, w in weighted if w > 0]
        if not weighted:
            return None
        self.tally.landings["home"] += 1
        return rng.choices([a for a, _ in weighted], [w for _, w in weighted])[0]

    def serve(
        self, reader: int, article_id: int, clicked_from: tuple[str, int, int] | None, at: datetime
    ) -> dict[str, list[int]] | None:
        """Serve the page through the Site; the lists it showed, by name."""
        from dateline.readers.identity import reader_key
        from dateline.web.viewer import ReaderContext

        rid = self.people[reader].id
        cached = self.site.cached_article(article_id)
        if cached is None:
            return None
        context = ReaderContext(rid, new=False, viewer_key=reader_key(rid), bot=False)
        body = self.site.serve_article(cached, article_id, context, clicked_from, block=True, at=at)
        if body is None:
            return None
        shown: dict[str, list[int]] = {name: [] for name in PAGE_LISTS}
        for aid, name, _pos in LINK.findall(body):
            shown.setdefault(name.decode(), []).append(int(aid))
        reco = shown["recommendation"]
        read = self.reads[reader]
        self.tally.pages += 1
        self.tally.read_recommended += sum(a in read for a in reco)
        if at >= self.opts.test_start:
            self.tally.test_reco_shown += len(reco)
            self.tally.test_reco_in_interest += sum(self.in_interest(reader, a) for a in reco)
        read.add(article_id)
        return shown

    def click(
        self, reader: int, on: int, shown: dict[str, list[int]], at: datetime, rng: random.Random
    ) -> tuple[int, tuple[str, int, int]] | None:
        """Position-based clicks over the page's lists; one clicked link is followed."""
        clicked = []
        for name in PAGE_LISTS:
            for k, aid in enumerate(shown.get(name, []), start=1):
                p = (1 / k) ** self.opts.eta * self.attraction(reader, aid, at)
                if rng.random() < p:
                    clicked.append((aid, (name, k, on)))
        if not clicked:
            return None
        choice = rng.choice(clicked)
        self.tally.followed[choice[1][0]] += 1
        return choice


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def browse_all(
    names: list[str],
    jobs: int,
    corpus: Corpus,
    people: list[Reader],
    plans: list[DayPlan],
    opts: Options,
    work: Path,
    carried: list[str],
) -> dict[str, tuple[Path, Tally, float]]:
    """Every run, ``jobs`` at a time in their own processes (each run is independent: its
    own copies of the snapshots, the same seed), in ``names`` order in the result."""
    args = [(n, corpus, people, plans, opts, work / f"run-{n}", carried, _log) for n in names]
    if jobs <= 1 or len(names) <= 1:
        return {n: browse(*a) for n, a in zip(names, args, strict=True)}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: a fresh interpreter per run, nothing forked from this one's threads
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {n: pool.submit(browse, *a) for n, a in zip(names, args, strict=True)}
        return {n: futures[n].result() for n in names}


def browse(
    name: str,
    corpus: Corpus,
    people: list[Reader],
    plans: list[DayPlan],
    opts: Options,
    folder: Path,
    carried: list[str],
    log: Callable[[str], None],
) -> tuple[Path, Tally, float]:
    """One run: every simulated day on its own copy of that day's snapshot."""
    from dateline.readers.events import ensure_reader
    from dateline.store.db import Store

    shutil.rmtree(folder, ignore_errors=True)  # a run of an earlier --work
    folder.mkdir(parents=True)
    tally, reads = Tally(), defaultdict(set)
    previous: Path | None = None
    started = time.perf_counter()
    for day in range(1, corpus.days + 1):
        path = folder / f"day-{day:03d}.db"
        shutil.copyfile(corpus.snapshot(day - 1), path)
        if previous is not None:
            carry_over(previous, path, carried)
            previous.unlink()
        expected = {t: n for t, n in table_counts(path).items() if t not in carried}
        clock = START + timedelta(days=day)
        day_start = START + timedelta(days=day)
        settings = corpus_settings(folder / "data", day_start, DATELINE_IMPRESSION_SAMPLE_RATE="1")
        store = Store(f"sqlite:///{path}")
        if day == 1:
            with store.write() as session:
                for reader in people:
                    ensure_reader(session, reader.id, day_start, simulated=True)
        clock = SimulatedClock()
        clock.at = day_start
        with clock.patched():
            site = simulated_site(settings, store, clock)
            rankers = rankers_for(name, site) if name != DEFAULT_RUN else None
            if rankers is not None:
                site.rankers = rankers
            Day(site, clock, corpus, people, plans[day - 1], reads, tally, opts, day).run()
            site.refresher.drain()
            site.events.close()
        store.dispose()
        changed = {
            t: n for t, n in table_counts(path).items() if t in expected and expected[t] != n
        }
        if changed:
            raise RuntimeError(
                f"browsing wrote to corpus tables {changed}: they are not carried over"
            )
        previous = path
        log(
            f"  {name}: day {day}/{corpus.days}, {tally.pages} pages "
            f"({time.perf_counter() - started:.0f} s)"
        )
    assert previous is not None
    return previous, tally, time.perf_counter() - started


# --- scoring -----------------------------------------------------------------------------


def export_mind(db: Path, folder: Path) -> tuple[dict[str, News], list[Impression], list[str]]:
    """The run's log as MIND files (the site's export), read back; each line's list name."""
    from sqlalchemy import select

    from dateline.rank.offline import read_behaviors, read_news
    from dateline.readers.events import IMPRESSION
    from dateline.readers.history import export_behaviors_tsv, export_news_tsv
    from dateline.store.db import Store
    from dateline.store.models import Event

    store = Store(f"sqlite:///{db}")
    news_tsv, behaviors_tsv = folder / "news.tsv", folder / "behaviors.tsv"
    with store.read() as session:
        with news_tsv.open("w", encoding="utf-8") as out:
            export_news_tsv(session, out)
        with behaviors_tsv.open("w", encoding="utf-8") as out:
            export_behaviors_tsv(session, out)
        # the export's own grouping and order: line n is the n-th (viewer, list, time) group
        rows = session.execute(
            select(Event.viewer_key, Event.list_name, Event.created_at)
            .where(Event.kind == IMPRESSION)
            .order_by(Event.created_at, Event.viewer_key, Event.list_name, Event.position, Event.id)
        ).all()
    store.dispose()
    names, last = [], None
    for row in rows:
        if tuple(row) != last:
            names.append(str(row[1]))
            last = tuple(row)
    log = read_behaviors(behaviors_tsv)
    if log.bad_count:
        raise RuntimeError(f"{behaviors_tsv}: {log.bad_count} malformed lines: {log.bad[:3]}")
    line_lists = [names[imp.line - 1] for imp in log.impressions]
    return read_news(news_tsv), log.impressions, line_lists


def vectors_for(snapshot: Path, article_ids: Iterable[int]) -> dict[str, Any]:
    """The store's MiniLM vectors by MIND id (``N<id>``); titles embedded for any missing."""
    from sqlalchemy import select

    from dateline.enrich.embed import embed_texts, load_vectors
    from dateline.store.db import Store
    from dateline.store.models import Article

    ids = list(article_ids)
    store = Store(f"sqlite:///{snapshot}")
    with store.read() as session:
        stored = load_vectors(session, ids)
        missing = [i for i in ids if i not in stored]
        titles = dict(
            session.execute(select(Article.id, Article.title).where(Article.id.in_(missing))).all()
        )
    store.dispose()
    vectors = {f"N{aid}": v for aid, v in stored.items()}
    if titles:
        embedded = embed_texts(list(titles.values()))
        vectors.update({f"N{aid}": v for aid, v in zip(titles, embedded, strict=True)})
    return vectors


class AsServed:
    """A line scored as it was served (its first item highest): the beyond-accuracy
    figures of the lists a run actually showed."""

    name = "as served"

    def score(self, impression: Impression) -> list[float]:
        return [-float(k) for k in range(len(impression.items))]

    def learn(self, impression: Impression) -> None:
        return None


def served_scores(
    news: dict[str, News],
    lines: list[Impression],
    lists: list[str],
    test_start: datetime,
    vectors: dict[str, Any],
    catalogue: Iterable[int],
) -> dict[str, Any]:
    """ILD@8, coverage (of every article), calibration KL and median age of the
    Recommendation lists a run served on the test days (and the served order's accuracy,
    which position bias flatters)."""
    from dateline.rank.offline import News, evaluate

    every = {f"N{a}": news.get(f"N{a}", News(f"N{a}", "", "")) for a in catalogue}
    test = [
        i
        for i, name in zip(lines, lists, strict=True)
        if name == "recommendation" and i.at >= test_start
    ]
    report = evaluate({**every, **news}, test, AsServed(), vectors)
    a = report.accuracy
    return {"served_auc": None if math.isnan(a.auc) else round(a.auc, 6), **report.beyond}


def offline_scores(
    news: dict[str, News],
    lines: list[Impression],
    lists: list[str],
    keep: str,
    test_start: datetime,
    names: list[str],
    seed: int,
    vectors: dict[str, Any],
) -> dict[str, dict[str, Any]]:
    """Each offline ranker taught the training lines, then scored on the test lines."""
    from dateline.rank.offline import evaluate
    from dateline.rank.offline_suite import RANKERS, make_ranker

    kept = [imp for imp, name in zip(lines, lists, strict=True) if keep in ("all", name)]
    train = [imp for imp in kept if imp.at < test_start]
    test = [imp for imp in kept if imp.at >= test_start]
    # rankers that read the catalogue (the blend) take the news file and the log, where
    # make_ranker accepts them
    accepts = inspect.signature(make_ranker).parameters
    extra = {"news": news, "impressions": kept} if "impressions" in accepts else {}
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        if name not in RANKERS:
            out[name] = {"note": "not in dateline.rank.offline yet"}
            continue
        ranker = make_ranker(name, seed, vectors, **extra)
        for imp in train:  # in time order, as evaluate learns
            ranker.learn(imp)
        report = evaluate(news, test, ranker, vectors)
        a = report.accuracy
        row: dict[str, Any] = {"auc": a.auc, "mrr": a.mrr, "ndcg5": a.ndcg5, "ndcg10": a.ndcg10}
        row = {k: None if math.isnan(v) else round(v, 6) for k, v in row.items()}
        row |= {"scored": a.impressions, "skipped": a.skipped, **report.beyond}
        out[name] = row
    out["_lines"] = {"train": len(train), "test": len(test), "lists": keep}
    if "blend" in names and "blend" in RANKERS:
        out["_curve"] = diversity_curve(news, kept, train, test, seed, vectors)
    return out


def diversity_curve(
    news: dict[str, Any],
    kept: list[Any],
    train: list[Any],
    test: list[Any],
    seed: int,
    vectors: dict[str, Any],
) -> list[dict[str, Any]]:
    """The blend's ILD@8 and nDCG@10 with MMR at each λ of ``MMR_LAMBDAS`` (None: the
    accuracy-only order).

    A logged line holds only the list that was shown (8 or so items), so choosing 8 of
    them cannot diversify anything: each test line is widened with ``CURVE_NEGATIVES``
    articles that had appeared before it and were neither shown nor read (unclicked), a
    sampled evaluation. Seeded, the same for every λ."""
    from dateline.rank.offline import Impression, evaluate
    from dateline.rank.offline_blend import BlendRanker, first_appearances

    seen = sorted((at, n) for n, at in first_appearances(kept).items())
    times = [at for at, _ in seen]
    rng = random.Random(seed)
    widened = []
    for imp in test:
        upto = bisect.bisect_right(times, imp.at)
        skip = set(imp.items) | set(imp.history)
        extra: list[str] = []
        for _ in range(CURVE_NEGATIVES * 3):
            if len(extra) >= CURVE_NEGATIVES or upto == 0:
                break
            n = seen[rng.randrange(upto)][1]
            if n not in skip:
                skip.add(n)
                extra.append(n)
        widened.append(
            Impression(
                imp.line,
                imp.user,
                imp.at,
                imp.history,
                (*imp.items, *extra),
                (*imp.labels, *([0] * len(extra))),
            )
        )
    points = []
    for lam in MMR_LAMBDAS:
        ranker = BlendRanker(news, vectors, kept, seed, mmr_lambda=lam)
        for imp in train:
            ranker.learn(imp)
        report = evaluate(news, widened, ranker, vectors)
        points.append(
            {"lambda": lam, "ndcg10": round(report.accuracy.ndcg10, 6), "ild": report.beyond["ild"]}
        )
    return points


def online_scores(db: Path, tally: Tally, test_start: datetime) -> dict[str, Any]:
    """Click-through per list from the run's store (the site's own log), test days."""
    from sqlalchemy import case, func, select

    from dateline.readers.events import IMPRESSION
    from dateline.store.db import Store
    from dateline.store.models import Event

    store = Store(f"sqlite:///{db}")
    with store.read() as session:
        rows = session.execute(
            select(
                Event.list_name, func.count(), func.sum(case((Event.clicked.is_(True), 1), else_=0))
            )
            .where(Event.kind == IMPRESSION, Event.created_at >= test_start)
            .group_by(Event.list_name)
        ).all()
    store.dispose()
    ctr = {
        str(name): {
            "impressions": int(n),
            "clicks": int(c or 0),
            "ctr": round(int(c or 0) / n, 6) if n else None,
        }
        for name, n, c in rows
    }
    reco = ctr.get("recommendation", {"impressions": 0, "clicks": 0, "ctr": None})
    shown = tally.test_reco_shown
    return {
        "reco_impressions": reco["impressions"],
        "reco_clicks": reco["clicks"],
        "reco_ctr": reco["ctr"],
        "reco_in_interest": round(tally.test_reco_in_interest / shown, 6) if shown else None,
        "read_recommended": tally.read_recommended,
        "ctr_by_list": ctr,
        "pages": tally.pages,
        "sessions": tally.sessions,
        "landings": dict(tally.landings),
        "followed": dict(tally.followed),
        "flushes": tally.flushes,
    }


METRICS = (
    "auc",
    "mrr",
    "ndcg5",
    "ndcg10",
    "ild",
    "coverage",
    "calibration_kl",
    "median_age_hours",
    "reco_ctr",
    "reco_in_interest",
    "read_recommended",
)


def curve_target(curve: list[dict[str, Any]]) -> dict[str, Any]:
    """The diversity/accuracy target, met by any λ of the curve."""
    base = next((p for p in curve if p["lambda"] is None), None)
    ok = [
        p
        for p in curve
        if base is not None
        and p["lambda"] is not None
        and p["ild"] is not None
        and base["ild"] is not None
        and p["ild"] >= (1 + ILD_GAIN) * base["ild"]
        and p["ndcg10"] >= (1 - NDCG_LOSS) * base["ndcg10"]
    ]
    return {
        "target": f"ILD@8 +{ILD_GAIN:.0%} over the accuracy-only blend for <= {NDCG_LOSS:.0%} "
        "nDCG@10 loss (some MMR lambda)",
        "curve": curve,
        "met": bool(ok),
    }


def targets(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 15's targets, each with the figures it compares and whether it was met."""

    def get(name: str, key: str) -> float | None:
        value = rows.get(name, {}).get(key)
        return None if value is None else float(value)

    out = []
    blend, pop = get("blend", "auc"), get("popularity", "auc")
    out.append(
        {
            "target": f"blend AUC >= popularity AUC + {AUC_MARGIN}",
            "blend": blend,
            "popularity": pop,
            "met": blend is not None and pop is not None and blend >= pop + AUC_MARGIN,
        }
    )
    for key in ("ndcg10", "mrr"):
        scored = {n: get(n, key) for n in rows if get(n, key) is not None}
        best = max(scored.values()) if scored else None
        met = (
            "blend" in scored
            and scored["blend"] == best
            and sum(v == best for v in scored.values()) == 1
        )
        out.append(
            {"target": f"blend best on {key}", "blend": get("blend", key), "best": best, "met": met}
        )
    blend, pop = get("blend", "reco_ctr"), get("popularity", "reco_ctr")
    out.append(
        {
            "target": f"blend Recommendation click-through >= {CTR_RATIO}x popularity's",
            "blend": blend,
            "popularity": pop,
            "met": blend is not None and pop is not None and blend >= CTR_RATIO * pop,
        }
    )
    read = [r for n in rows if (r := get(n, "read_recommended")) is not None]
    out.append(
        {
            "target": "read items recommended = 0 (every ranker)",
            "max": max(read, default=None),
            "met": bool(read) and all(r == 0 for r in read),
        }
    )
    return out


def _fig(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(rows: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| ranker | served by | AUC | MRR | nDCG@5 | nDCG@10 | ILD@8 | cover | KL | age h "
        "| Reco CTR | in interests | read recommended |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        cells = [
            _fig(r.get(k))
            for k in ("auc", "mrr", "ndcg5", "ndcg10", "ild", "coverage", "calibration_kl")
        ]
        cells += [
            _fig(r.get("median_age_hours"), 1),
            _fig(r.get("reco_ctr"), 4),
            _fig(r.get("reco_in_interest")),
            _fig(r.get("read_recommended"), 0),
        ]
        lines.append(f"| {name} | {r['served_by'] or 'offline only'} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            text=True,
            capture_output=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out


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
        default="random",
        help="whose run's log the offline rankers are scored on (%(default)s; the first run if absent)",
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
        "a corpus already here, built with the same options and commit, is reused",
    )
    add(
        "--quick",
        action="store_true",
        help="smoke test: 600 articles, 100 readers, 8 days, 3 test days",
    )
    add("--json", type=Path, default=DEFAULT_JSON, help="where to write results (%(default)s)")
    add(
        "--serve",
        default=None,
        help="comma-separated rankers that serve a run of their own (default: every one "
        "of --rankers); the others are scored offline only",
    )
    add(
        "--jobs",
        type=int,
        default=1,
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

    log = _log

    work = args.work or Path(tempfile.mkdtemp(prefix="dateline-recommend-"))
    try:
        key = {
            "stories": str(args.stories),
            "news": str(args.news),
            "articles": args.articles,
            "days": args.days,
            "commit": commit(),
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
            served = [n for n in names if args.serve is None or n in args.serve.split(",")]
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
        "commit": key["commit"],
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
        print(
            f"MMR lambda {point['lambda']}: nDCG@10 {_fig(point['ndcg10'])}, ILD@8 {_fig(point['ild'])}"
        )
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
        "rankers": {
            row["name"]: {
                # a ranker scored offline only: its ILD and coverage on the logged lists
                k: row.get(k) if row.get(k) is not None else row.get(f"offline_{k}")
                for k, _ in FIGURE_METRICS
            }
            for row in result["rows"]
        },
    }


def write_figures(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rank_figures(result), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
