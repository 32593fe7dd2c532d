"""The Recommendation simulation's readers and their browsing through the real ``Site``
(see ``bench/recommend.py``): one run per ranker, the same seed, the same readers.
"""

from __future__ import annotations

import heapq
import random
import re
import shutil
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

from recommend_corpus import START, Corpus, carry_over, corpus_settings, table_counts

if TYPE_CHECKING:
    from dateline.rank.base import Rankers
    from dateline.store.db import Store
    from dateline.web.site import Site

RankersFor = Callable[[str, "Site"], "Rankers | None"]  # name, site -> its rankers
DEFAULT_RUN = "default"  # the run of the site's own rankers (rankers_for gave None)
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
        site.rankers.schedule = in_line
    return site


def in_line(_key: object, job: Any) -> None:
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


def log_line(line: str) -> None:
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
    hook: RankersFor,
) -> dict[str, tuple[Path, Tally, float]]:
    """Every run, ``jobs`` at a time in their own processes (each run is independent: its
    own copies of the snapshots, the same seed), in ``names`` order in the result.
    ``hook(name, site)``: the rankers of run ``name`` (``recommend.rankers_for``)."""
    args = [
        (n, corpus, people, plans, opts, work / f"run-{n}", carried, log_line, hook) for n in names
    ]
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
    hook: RankersFor,
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
            rankers = hook(name, site) if name != DEFAULT_RUN else None
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
