"""A deterministic simulated readership, so the demo's counts and lists mean something.

Readers get 1–3 interest topics drawn from keyword groups found in the articles
themselves, read 10–60 articles chosen by interest and recency relative to the pinned
site clock, over the 14 days before it; some react, and some arrive by clicking a
"recommendation" list they were shown. Everything goes through the code the web uses
(``ensure_reader(simulated=True)``, ``EventBuffer``, ``toggle_reaction``), and the
readers are flagged ``simulated`` so the site can label them.

Idempotent by skipping: if any simulated reader exists, nothing is written (``--reset``
the demo to simulate afresh). Skipping, rather than subtracting the old run, stays
correct after retention has pruned the old raw events.
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from dateline.readers.buffer import EventBuffer
from dateline.readers.events import ensure_reader, naive_utc, toggle_reaction
from dateline.readers.identity import reader_key
from dateline.settings import Settings
from dateline.store.db import Store
from dateline.store.models import Article, Event, Reaction, Reader

DEFAULT_SEED = 20201228
READS_RANGE = (10, 60)  # articles one reader reads
INTERESTS_RANGE = (1, 3)  # interest topics per reader
INTEREST_BOOST = 25.0  # weight of an article in a reader's topics vs. one outside them
RECENCY_BOOST = 4.0  # extra weight of a brand-new article, decaying …
RECENCY_DAYS = 30.0  # … with this time constant (days before the clock)
WINDOW_DAYS = 14  # reads fall in the last this-many days before the clock
REACT_MATCH, REACT_OTHER = 0.14, 0.04  # chance a read of an interest / other article reacts
IMPRESSION_RATE = 0.3  # share of reads whose page logs a recommendation list
LIST_SIZE = 8  # items in that list (as on the article page)
CLICK_THROUGH = 0.5  # chance the reader's next read is in the list (and clicked)
LIST_NAME = "recommendation"
TOPIC_BODY_CHARS = 2000  # body prefix scanned for topic keywords
TOPIC_BODY_HITS = 3  # keyword hits in that prefix that make a topic (one in the title does)
MIN_TOPIC_ARTICLES = 3  # smaller topics are not offered as interests
GENERAL = "general"  # articles matching no topic

TOPICS: dict[str, str] = {
    "covid": r"covid|coronavirus|pandemic|sars-cov|lockdown",
    "us-politics": r"trump|biden|impeach|white house|congress|senate|democrats?\b|republicans?\b",
    "elections": r"elections?\b|by-election|candidate|ballot|voters?\b|campaign trail|nominee",
    "middle-east": r"iran|iraq|soleimani|israel|syria|saudi|yemen|gaza|lebanon|libya|palestin",
    "asia": r"hong kong|china|chinese|beijing|taiwan|japan|korea|india\b|philippines|indonesia",
    "europe": r"brexit|boris johnson|theresa may|european union|britain|british|england|france|"
    r"germany|ukrain|russia",
    "sport": r"sports?\b|football|soccer|rugby|cricket|tennis|olympic|marathon|nba\b|athlet",
    "science": r"scientists?\b|space|nasa|astronom|planet|physics|black hole|universe|species",
    "interview": r"interview",
    "health": r"health|hospital|disease|medical|hiv\b|cancer|measles|vaccin",
    "disasters": r"earthquake|tsunami|flood|storm|hurricane|typhoon|cyclone|wildfire|fire\b|"
    r"eruption|landslide|crash|explosion",
    "crime": r"murder|sentenced|convicted|arrested|shooting|stabb|jailed|police|court",
    "tech": r"technology|software|internet|google|github|linux|red hat|microsoft|computer",
    "business": r"economy|business|stock|market|sensex|company|billion|free trade",
    "culture": r"film|music|actor|singer|album|artist|festival|award|wrestler|guitarist",
}
_PATTERNS = {name: re.compile(pattern) for name, pattern in TOPICS.items()}


def article_topics(title: str, body: str) -> frozenset[str]:
    """Topics of an article: a keyword in the title, or several in the body's opening."""
    title, body = title.lower(), body[:TOPIC_BODY_CHARS].lower()
    found = {
        name
        for name, pattern in _PATTERNS.items()
        if pattern.search(title) or len(pattern.findall(body)) >= TOPIC_BODY_HITS
    }
    return frozenset(found or {GENERAL})


def simulated_reader_id(seed: int, index: int) -> str:
    """A reader id in the cookie's own format, derived from the seed (same seed, same ids)."""
    digest = hashlib.sha256(f"dateline-simulated:{seed}:{index}".encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4).hex


@dataclass
class SimulationSummary:
    readers: int = 0
    views: int = 0
    reactions: int = 0
    impressions: int = 0
    clicks: int = 0
    skipped: bool = False  # a simulated readership already existed
    interests: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Item:
    id: int
    published: datetime
    topics: frozenset[str]


def simulate_readership(
    store: Store, settings: Settings, now: datetime, readers: int = 300, seed: int = DEFAULT_SEED
) -> SimulationSummary:
    """Write a simulated readership ending at ``now``; skip if one already exists."""
    now = naive_utc(now)
    with store.read() as session:
        if session.scalar(select(Reader.id).where(Reader.simulated.is_(True)).limit(1)):
            return _existing(store)
        rows = session.execute(
            select(
                Article.id,
                Article.title,
                func.substr(Article.body, 1, TOPIC_BODY_CHARS),
                func.coalesce(Article.published_at, Article.first_seen_at),
            )
            .where(func.coalesce(Article.published_at, Article.first_seen_at) <= now)
            .order_by(Article.id)
        ).all()
    items = [_Item(r[0], r[3], article_topics(r[1], r[2] or "")) for r in rows]
    if not items:
        return SimulationSummary()
    rng = random.Random(seed)
    sizes: dict[str, int] = {}
    for item in items:
        for topic in item.topics:
            sizes[topic] = sizes.get(topic, 0) + 1
    offered = sorted(t for t, n in sizes.items() if n >= MIN_TOPIC_ARTICLES)
    recency = [
        1 + RECENCY_BOOST * 2.0 ** (-(now - i.published).total_seconds() / 86400 / RECENCY_DAYS)
        for i in items
    ]
    summary = SimulationSummary(readers=readers)
    buffer = EventBuffer(store, flush_seconds=settings.event_flush_seconds)
    plans = []
    for index in range(readers):
        rid = simulated_reader_id(seed, index)
        wanted = rng.randint(*INTERESTS_RANGE)
        interests = tuple(sorted(rng.sample(offered, min(wanted, len(offered)))))
        summary.interests[rid] = interests
        weights = [
            w * (INTEREST_BOOST if item.topics.intersection(interests) else 1.0)
            for item, w in zip(items, recency, strict=True)
        ]
        reads = _sample(rng, weights, rng.randint(*READS_RANGE))
        times = sorted((_read_time(rng, items[i].published, now), i) for i in reads)
        plans.append((rid, interests, weights, times))
    with store.write() as session:
        for rid, _interests, _weights, times in plans:
            ensure_reader(session, rid, times[0][0] - timedelta(minutes=1), simulated=True)
    for rid, interests, weights, times in plans:
        _read(rng, buffer, store, summary, rid, interests, weights, items, times)
    buffer.close()
    return summary


def _read(
    rng: random.Random,
    buffer: EventBuffer,
    store: Store,
    summary: SimulationSummary,
    rid: str,
    interests: tuple[str, ...],
    weights: list[float],
    items: list[_Item],
    times: list[tuple[datetime, int]],
) -> None:
    """One reader's visits: views, reactions, and list impressions leading to the next read."""
    key = reader_key(rid)
    for n, (at, i) in enumerate(times):
        item = items[i]
        buffer.record_view(item.id, key, rid, at)
        summary.views += 1
        matched = bool(item.topics.intersection(interests))
        if rng.random() < (REACT_MATCH if matched else REACT_OTHER):
            toggle_reaction(store, rid, item.id, at + timedelta(seconds=30))
            summary.reactions += 1
        if n + 1 >= len(times) or rng.random() >= IMPRESSION_RATE:
            continue
        next_at, next_i = times[n + 1]
        others = [w if j not in (i, next_i) else 0.0 for j, w in enumerate(weights)]
        shown = _sample(rng, others, LIST_SIZE)
        if shown and rng.random() < CLICK_THROUGH:
            shown[rng.randrange(len(shown))] = next_i
        listed = [(pos, items[j].id) for pos, j in enumerate(shown, start=1)]
        buffer.record_impressions(key, rid, LIST_NAME, listed, at + timedelta(seconds=1))
        summary.impressions += len(listed)
        if next_i in shown:
            buffer.record_click(
                key, rid, LIST_NAME, shown.index(next_i) + 1, items[next_i].id, next_at
            )
            summary.clicks += 1


def _sample(rng: random.Random, weights: list[float], k: int) -> list[int]:
    """k distinct indices drawn by weight without replacement (Efraimidis–Spirakis keys)."""
    keys = [(rng.random() ** (1.0 / w), j) for j, w in enumerate(weights) if w > 0]
    keys.sort(reverse=True)
    return [j for _key, j in keys[:k]]


def _read_time(rng: random.Random, published: datetime, now: datetime) -> datetime:
    """A moment in the window before the clock, never before the article appeared."""
    start = max(now - timedelta(days=WINDOW_DAYS), published)
    span = (now - start).total_seconds()
    return start + timedelta(seconds=int(rng.random() * span))


def _existing(store: Store) -> SimulationSummary:
    """What an earlier run wrote, for the demo to report instead of simulating again."""
    simulated = select(Reader.id).where(Reader.simulated.is_(True))
    with store.read() as session:
        readers = session.scalar(select(func.count()).select_from(simulated.subquery())) or 0
        by_kind = dict(
            session.execute(
                select(Event.kind, func.count())
                .where(Event.reader_id.in_(simulated))
                .group_by(Event.kind)
            ).all()
        )
        reactions = session.scalar(
            select(func.count()).select_from(Reaction).where(Reaction.reader_id.in_(simulated))
        )
        clicks = session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.reader_id.in_(simulated), Event.clicked.is_(True))
        )
    return SimulationSummary(
        readers=int(readers),
        views=int(by_kind.get("view", 0)),
        reactions=int(reactions or 0),
        impressions=int(by_kind.get("impression", 0)),
        clicks=int(clicks or 0),
        skipped=True,
    )
