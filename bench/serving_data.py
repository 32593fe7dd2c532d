"""The serving and rank benchmarks' data: the demo corpus plus a generated corpus and
readership (SQLite).

Built once and cached under ``bench/.cache/``; re-runs copy it. Bump ``VERSION`` when the
generator or the schema changes (an old cache is then never reused). Everything is
seeded, so two builds of one version hold the same articles, readers and history.

Two cached layers, so the serving benchmark (1,000 readers) and the rank benchmark
(10,000 readers, 1,000,000 events) share the expensive part:

* ``serving-v{VERSION}-{N}-corpus/``: the demo corpus and ``N`` generated articles with
  everything the enrich stage would have written for them:

  - titles and bodies from a fixed vocabulary, dates spread over the year before the
    pinned site clock, ``SOURCES`` sources; each article belongs to one topic (about
    ``ARTICLES_PER_TOPIC`` articles each, the same number in every category) and
    claims its topic's category;
  - a 384-dimension, L2-normalised float32 vector per article in ``article_vectors``
    under ``enrich.embed.MODEL_NAME``, drawn around its topic's direction (and its
    story's), so content similarity means something (see ``TOPIC_SPREAD``);
  - stories: a share of the articles come in stories of ``STORY_SIZE`` articles of one
    topic from different sources within ``STORY_HOURS`` (``story_id`` + ``stories`` rows);
  - entities: a few per topic, shared by a story, plus ``COMMON_ENTITIES`` named
    everywhere (``entities`` + ``article_entities``);
  - Related lists precomputed as the enrich stage does (``enrich.related.RelatedBuilder``
    + ``write_related``, in batches); the time it took is kept in the metadata.

  Everything goes in with SQLAlchemy core in large transactions (the FTS5 triggers index
  the articles on the way).

* ``serving-v{VERSION}-{N}-{R}r-{E}e/``: a copy of the corpus with ``R`` readers and ``E``
  events in the ``HISTORY_DAYS`` before the clock (see :func:`_readership`).

Events are written directly, not through ``EventBuffer`` (a million views through it would
take many minutes), but row for row as the buffer and ``toggle_reaction`` write them:
views with ``viewer_key`` ``r:<reader id>``, the hour ``bucket`` and value 1; reactions
with no bucket, value 1 and a ``reactions`` row; ``readers`` rows; ``article_stats`` and
``article_daily`` hold exactly the totals of those events. Left out: ``reader_changes``
(the change log web workers poll; a new store has nothing to announce), impressions and
clicks.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select

VERSION = 2
SEED = 20240501
SOURCES = 300
CATEGORIES = (
    "World",
    "Politics",
    "Business",
    "Markets",
    "Technology",
    "Science",
    "Health",
    "Sport",
    "Culture",
    "Environment",
    "Education",
    "Travel",
)
CHUNK = 5000

# --- the corpus -------------------------------------------------------------------------
DIMENSIONS = 384  # enrich.embed.DIMENSIONS (MiniLM)
# Topics grow with the corpus, so a small corpus (--quick) has as many articles per topic
# and day as a large one, and its readers find as much to read.
ARTICLES_PER_TOPIC = 400
# Vectors are unit(centre + spread · random unit vector). With independent random unit
# vectors (nearly orthogonal in 384 dimensions) the expected cosines are: two topics of
# one category 1 / (1 + 1.2²) ≈ 0.41; two articles of one topic 1 / (1 + 1²) = 0.5, of
# one category but different topics ≈ 0.2, of different categories ≈ 0; two articles of
# one story (1 + 1²) / (1 + 1² + 0.5²) ≈ 0.89, under the 0.97 at which Related and
# Recommendation take an article for a copy.
CATEGORY_SPREAD = 1.2
TOPIC_SPREAD = 1.0
STORY_SPREAD = 0.5
# A new group of articles is a story with this probability (else a single article):
# 0.14 with stories of 2-6 articles puts about 40 % of the articles in stories.
STORY_START = 0.14
STORY_SIZE = (2, 6)
STORY_HOURS = 48
# Entities: each topic has its own few; a story's articles share theirs; some articles
# also name one of the common entities (a country, say: hundreds of articles each).
TOPIC_ENTITIES = 6
ENTITIES_PER_ARTICLE = 2
COMMON_ENTITIES = 20
COMMON_ENTITY_SHARE = 0.3
ENTITY_KINDS = ("PERSON", "ORG", "PLACE")
# Related lists computed and written per transaction.
RELATED_BATCH = 2000

# --- the readership ---------------------------------------------------------------------
READERS = 1000  # the serving benchmark's readership
EVENTS = 25_000  # … and its events (the rank benchmark asks for 10,000 and 1,000,000)
HISTORY_DAYS = 30  # events spread over this many days before the clock (rank.rankers.COLLAB_DAYS)
# Reactions among the events (each on an article the reader viewed).
REACTION_SHARE = 0.03
# Readers' activity is heavy-tailed: events per reader ∝ lognormal(0, ACTIVITY_SIGMA).
ACTIVITY_SIGMA = 1.0
# A reader follows 1-3 topics; this share of their reads is in them, the rest in topics
# by popularity (Zipf-like, exponent TOPIC_ZIPF).
INTEREST_TOPICS = (1, 3)
INTEREST_SHARE = 0.7
TOPIC_ZIPF = 0.8
# In the chosen topic a reader reads the k-th newest article dated before the read, k
# geometric with this parameter: recent articles are read most.
RECENCY_P = 0.2
# Events are drawn this many times over, then duplicates (reader, article) dropped and the
# rest drawn again, at most MAX_ROUNDS times. A busy reader soon has read most of their
# topics: after FOLLOW_ROUNDS rounds the rest are drawn from the popular topics only.
OVERSAMPLE = 1.4
MAX_ROUNDS = 20
FOLLOW_ROUNDS = 4

WORDS = [
    "minister",
    "council",
    "election",
    "market",
    "bank",
    "court",
    "police",
    "storm",
    "flood",
    "summit",
    "trade",
    "deal",
    "union",
    "strike",
    "budget",
    "energy",
    "climate",
    "vaccine",
    "hospital",
    "school",
    "university",
    "study",
    "report",
    "research",
    "space",
    "mission",
    "rocket",
    "satellite",
    "football",
    "league",
    "cup",
    "final",
    "champion",
    "record",
    "festival",
    "museum",
    "film",
    "music",
    "award",
    "artist",
    "border",
    "refugee",
    "army",
    "ceasefire",
    "talks",
    "treaty",
    "inflation",
    "growth",
    "export",
    "import",
    "factory",
    "company",
    "shares",
    "investors",
    "profit",
    "loss",
    "merger",
    "airline",
    "airport",
    "railway",
    "bridge",
    "harbour",
    "village",
    "region",
    "province",
    "capital",
    "mayor",
    "governor",
    "senate",
    "parliament",
    "president",
    "premier",
    "coalition",
    "opposition",
    "protest",
    "rally",
    "reform",
    "tax",
    "court",
    "judge",
    "verdict",
    "appeal",
    "inquiry",
    "scandal",
    "fraud",
    "corruption",
    "prison",
    "sentence",
    "charges",
    "wildfire",
    "drought",
    "harvest",
    "farmers",
    "wheat",
    "rice",
    "coffee",
    "oil",
    "gas",
    "pipeline",
    "solar",
    "wind",
    "nuclear",
    "ocean",
    "river",
    "forest",
    "wildlife",
    "species",
    "discovery",
    "fossil",
    "telescope",
    "planet",
    "comet",
    "galaxy",
    "software",
    "startup",
    "chip",
    "network",
    "outage",
    "privacy",
    "data",
    "cyber",
    "attack",
    "hackers",
    "ransomware",
]


Log = Callable[[str], None]


@dataclass(frozen=True)
class BenchData:
    """A ready data dir: the database, the pinned clock, article URLs and reader ids."""

    data_dir: Path
    clock: str
    paths: list[str]  # /a/{id}/{slug} of every article
    readers: list[str]
    build_seconds: float  # 0 when the cache was used
    # what building took, in seconds, cached or not: "demo", "articles", "related", "events"
    timings: dict[str, float] = field(default_factory=dict)
    events: int = 0
    related_lists: int = 0  # Related lists precomputed (the "related" timing's work)

    @property
    def database(self) -> Path:
        return self.data_dir / "dateline.db"


def corpus_dir(root: Path, articles: int) -> Path:
    return root / f"serving-v{VERSION}-{articles}-corpus"


def cache_dir(root: Path, articles: int, readers: int = READERS, events: int = EVENTS) -> Path:
    return root / f"serving-v{VERSION}-{articles}-{readers}r-{events}e"


def reader_ids(count: int = READERS) -> list[str]:
    rng = random.Random(SEED + 1)
    return [uuid.UUID(int=rng.getrandbits(128), version=4).hex for _ in range(count)]


def _sentence(rng: random.Random, lo: int, hi: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(lo, hi))]
    return " ".join(words).capitalize() + "."


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 10))).capitalize()


def _body(rng: random.Random, place: str) -> str:
    paragraphs = []
    for i in range(rng.randint(4, 9)):
        text = " ".join(_sentence(rng, 8, 22) for _ in range(rng.randint(2, 4)))
        paragraphs.append(f"{place} — {text}" if i == 0 else text)
    return "\n\n".join(paragraphs)


def build(
    root: Path,
    articles: int,
    log: Log = print,
    *,
    readers: int = READERS,
    events: int = EVENTS,
) -> BenchData:
    """The cached data dir for ``articles`` generated articles, ``readers`` readers and
    ``events`` events (built on first use; the corpus part is shared between readerships)."""
    if events < readers:
        raise ValueError("every reader has at least one event: events must be >= readers")
    target = cache_dir(root, articles, readers, events)
    meta_file = target / "bench-meta.json"
    if meta_file.exists():
        return _data(target, json.loads(meta_file.read_text()), 0.0)
    started = time.perf_counter()
    corpus = _corpus(root, articles, log)
    tmp = target.with_name(target.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    shutil.copyfile(corpus / "dateline.db", tmp / "dateline.db")
    meta = json.loads((corpus / "corpus-meta.json").read_text())
    plan = np.load(corpus / "corpus-plan.npz")
    t0 = time.perf_counter()
    ids = reader_ids(readers)
    written = _readership(tmp, ids, events, datetime.fromisoformat(meta["clock"]), plan)
    meta["timings"]["events"] = time.perf_counter() - t0
    log(f"  {len(ids):,} readers, {written:,} events in {meta['timings']['events']:.1f} s")
    meta |= {"readers": ids, "events": written}
    (tmp / "bench-meta.json").write_text(json.dumps(meta))
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return _data(target, meta, time.perf_counter() - started)


def _data(target: Path, meta: dict[str, Any], seconds: float) -> BenchData:
    return BenchData(
        target,
        meta["clock"],
        meta["paths"],
        meta["readers"],
        seconds,
        meta.get("timings", {}),
        meta.get("events", 0),
        meta.get("related_lists", 0),
    )


def _store(data_dir: Path) -> Any:
    from dateline.settings import load_settings
    from dateline.store.db import Store

    settings = load_settings(environ={"DATELINE_DATA_DIR": str(data_dir)})
    return Store(settings.resolved_database_url), settings


def _corpus(root: Path, articles: int, log: Log) -> Path:
    """The cached corpus folder (database, ``corpus-meta.json``, ``corpus-plan.npz``)."""
    target = corpus_dir(root, articles)
    if (target / "corpus-meta.json").exists():
        return target
    tmp = target.with_name(target.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    meta = _build_corpus(tmp, articles, log)
    (tmp / "corpus-meta.json").write_text(json.dumps(meta))
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def topics_per_category(articles: int) -> int:
    return max(1, round(articles / (ARTICLES_PER_TOPIC * len(CATEGORIES))))


def _epoch(at: datetime) -> float:
    """Epoch seconds of a stored (naive UTC) datetime."""
    return at.replace(tzinfo=UTC).timestamp()


def _naive(epoch: float) -> datetime:
    """The stored (naive UTC) datetime of epoch seconds."""
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@dataclass
class _Plan:
    """What the generator decided for each generated article (row n is id first_id + n)."""

    topic: np.ndarray  # int
    story: np.ndarray  # index into the stories planned, -1 for none
    at: np.ndarray  # epoch seconds of the date
    story_sizes: list[int]


def _plan(rng: np.random.Generator, articles: int, clock: datetime) -> _Plan:
    topics = topics_per_category(articles) * len(CATEGORIES)
    topic = np.empty(articles, dtype=np.int64)
    story = np.full(articles, -1, dtype=np.int64)
    at = np.empty(articles, dtype=np.float64)
    sizes: list[int] = []
    end = _epoch(clock) - 60
    n = 0
    while n < articles:
        size = 1
        if rng.random() < STORY_START:
            size = min(int(rng.integers(STORY_SIZE[0], STORY_SIZE[1] + 1)), articles - n)
        start = end - rng.uniform(0, 365 * 86400)
        topic[n : n + size] = rng.integers(topics)
        if size > 1:
            story[n : n + size] = len(sizes)
            sizes.append(size)
            at[n : n + size] = np.minimum(start + rng.uniform(0, STORY_HOURS * 3600, size), end)
        else:
            at[n] = start
        n += size
    return _Plan(topic, story, at, sizes)


def _vectors(rng: np.random.Generator, plan: _Plan) -> np.ndarray:
    """One unit vector per article around its topic's (and story's) direction."""

    def noise(count: int) -> np.ndarray:
        return _unit(rng.standard_normal((count, DIMENSIONS)))

    categories = noise(len(CATEGORIES))
    count = topics_per_category(len(plan.topic)) * len(CATEGORIES)
    of_category = np.arange(count) // topics_per_category(len(plan.topic))
    topics = _unit(categories[of_category] + CATEGORY_SPREAD * noise(count))
    story_dirs = TOPIC_SPREAD * noise(max(len(plan.story_sizes), 1))
    out = np.empty((len(plan.topic), DIMENSIONS), dtype=np.float32)
    for start in range(0, len(out), CHUNK):
        part = slice(start, start + CHUNK)
        story = plan.story[part]
        count = len(story)
        centre = topics[plan.topic[part]]
        in_story = story >= 0
        own = np.where(in_story, STORY_SPREAD, TOPIC_SPREAD)[:, None] * noise(count)
        shared = np.where(in_story[:, None], story_dirs[np.maximum(story, 0)], 0.0)
        out[part] = _unit(centre + shared + own)
    return out


def _entity_names(rng: random.Random, topics: int) -> list[str]:
    """Distinct two-word names: ``TOPIC_ENTITIES`` per topic, then the common ones."""
    wanted = topics * TOPIC_ENTITIES + COMMON_ENTITIES
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < wanted:
        name = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS).capitalize()}"
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def _build_corpus(data_dir: Path, articles: int, log: Log) -> dict[str, Any]:
    from dateline.demo import load_demo
    from dateline.enrich.embed import MODEL_NAME, vector_to_bytes
    from dateline.store.models import (
        Article,
        ArticleEntity,
        ArticleVector,
        Entity,
        Page,
        Source,
        Story,
    )
    from dateline.store.queries import slugify
    from dateline.store.schema import upgrade

    store, settings = _store(data_dir)
    upgrade(store)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    load_demo(store, settings)
    timings["demo"] = time.perf_counter() - t0
    log(f"  demo corpus loaded in {timings['demo']:.1f} s")
    with store.read() as session:
        newest = session.scalar(select(func.max(Article.published_at)))
        first_id = (session.scalar(select(func.max(Article.id))) or 0) + 1
        first_source = (session.scalar(select(func.max(Source.id))) or 0) + 1
        first_story = (session.scalar(select(func.max(Story.id))) or 0) + 1
        first_entity = (session.scalar(select(func.max(Entity.id))) or 0) + 1
    assert newest is not None
    clock = datetime.combine(newest.date(), dtime(23, 59, 59))

    t0 = time.perf_counter()
    rng = random.Random(SEED)
    nrng = np.random.default_rng(SEED)
    plan = _plan(nrng, articles, clock)
    vectors = _vectors(nrng, plan)
    sources = [
        {
            "id": first_source + i,
            "key": f"bench-{i}.example",
            "name": f"Bench Wire {i}",
            "home_url": f"https://bench-{i}.example/",
            "kind": "site",
            "created_at": clock - timedelta(days=400),
        }
        for i in range(SOURCES)
    ]
    per_category = topics_per_category(articles)
    names = _entity_names(rng, per_category * len(CATEGORIES))
    entities = [
        {
            "id": first_entity + i,
            "kind": ENTITY_KINDS[i % len(ENTITY_KINDS)],
            "name": name,
            "key": name.casefold(),
            "article_count": 0,
        }
        for i, name in enumerate(names)
    ]
    common = list(range(per_category * len(CATEGORIES) * TOPIC_ENTITIES, len(names)))
    places = ["LONDON", "PARIS", "NAIROBI", "TOKYO", "LIMA", "OSLO", "CAIRO", "SYDNEY"]
    # per story: its sources (distinct) and entities, chosen when its first article is made
    story_sources: dict[int, list[int]] = {}
    story_entities: dict[int, list[int]] = {}
    stories: dict[int, dict[str, Any]] = {}
    links: list[dict[str, Any]] = []
    with store.write() as session:
        session.execute(insert(Source), sources)
        for start in range(0, articles, CHUNK):
            arts, pages, vecs = [], [], []
            for n in range(start, min(start + CHUNK, articles)):
                aid = first_id + n
                topic, story = int(plan.topic[n]), int(plan.story[n])
                title = f"{_title(rng)} {n}"
                body = _body(rng, rng.choice(places))
                published = _naive(float(plan.at[n])).replace(microsecond=0)
                body_hash = hashlib.sha256(body.encode()).hexdigest()
                pool = [topic * TOPIC_ENTITIES + j for j in range(TOPIC_ENTITIES)]
                if story >= 0:
                    if story not in story_sources:
                        size = plan.story_sizes[story]
                        story_sources[story] = rng.sample(range(SOURCES), size)
                        story_entities[story] = rng.sample(pool, ENTITIES_PER_ARTICLE)
                    src = sources[story_sources[story].pop()]
                    named = list(story_entities[story])
                    sid = first_story + story
                    row = stories.setdefault(
                        sid,
                        {
                            "id": sid,
                            "label": title,
                            "size": 0,
                            "first_seen_at": published,
                            "last_seen_at": published,
                            "updated_at": clock,
                            "revision": 0,
                        },
                    )
                    row["size"] += 1
                    row["first_seen_at"] = min(row["first_seen_at"], published)
                    row["last_seen_at"] = max(row["last_seen_at"], published)
                else:
                    src = sources[rng.randrange(SOURCES)]
                    named = rng.sample(pool, ENTITIES_PER_ARTICLE)
                if rng.random() < COMMON_ENTITY_SHARE:
                    named.append(rng.choice(common))
                for e in named:
                    entities[e]["article_count"] += 1
                    links.append(
                        {
                            "article_id": aid,
                            "entity_id": first_entity + e,
                            "mentions": 1 + rng.randrange(3),
                            "in_title": False,
                        }
                    )
                url = f"https://{src['key']}/story/{aid}"
                key = f"url:{url}"
                arts.append(
                    {
                        "id": aid,
                        "title": title,
                        "body": body,
                        "body_hash": body_hash,
                        "language": "en",
                        "published_at": published,
                        "word_count": len(body.split()),
                        "first_seen_at": published,
                        "category": CATEGORIES[topic // per_category],
                        "category_confidence": 0.9,
                        "story_id": first_story + story if story >= 0 else None,
                    }
                )
                pages.append(
                    {
                        "identity_key": key,
                        "identity_hash": hashlib.sha256(key.encode()).hexdigest(),
                        "version": 1,
                        "fingerprint": body_hash,
                        "source_id": src["id"],
                        "article_id": aid,
                        "input_kind": "generated",
                        "origin": "bench/serving_data.py",
                        "url": url,
                        "canonical_url": url,
                        "raw_sha256": body_hash,
                        "title": title,
                        "site_name": src["name"],
                        "claimed_date": published.isoformat(),
                        "claimed_date_utc": published,
                        "claimed_date_has_tz": False,
                        "claimed_category": CATEGORIES[topic // per_category],
                        "claimed_links": {},
                        "extra": {},
                        "first_seen_at": published,
                    }
                )
                vecs.append(
                    {"article_id": aid, "model": MODEL_NAME, "vector": vector_to_bytes(vectors[n])}
                )
            session.execute(insert(Article), arts)
            session.execute(insert(Page), pages)
            session.execute(insert(ArticleVector), vecs)
        session.execute(insert(Story), list(stories.values()))
        session.execute(insert(Entity), entities)
        for start in range(0, len(links), CHUNK * 4):
            session.execute(insert(ArticleEntity), links[start : start + CHUNK * 4])
    _set_lead_pages(store, first_id)
    timings["articles"] = time.perf_counter() - t0
    log(
        f"  {articles:,} articles ({len(stories):,} stories, {len(links):,} entity links) "
        f"generated in {timings['articles']:.1f} s"
    )

    t0 = time.perf_counter()
    lists = _related(store, log)
    timings["related"] = time.perf_counter() - t0
    log(f"  {lists:,} Related lists in {timings['related']:.1f} s")

    with store.read() as session:
        rows = session.execute(select(Article.id, Article.title).order_by(Article.id)).all()
    paths = [f"/a/{aid}/{slugify(title)}" for aid, title in rows]
    with store.write() as session:
        session.connection().exec_driver_sql("ANALYZE")
    store.dispose()
    np.savez(
        data_dir / "corpus-plan.npz",
        ids=np.arange(first_id, first_id + articles, dtype=np.int64),
        topic=plan.topic,
        at=plan.at,
    )
    return {
        "clock": clock.isoformat(),
        "paths": paths,
        "articles": articles,
        "related_lists": lists,
        "timings": timings,
    }


def _set_lead_pages(store: Any, first_id: int) -> None:
    """Each generated article's lead page is its one page (as ingest sets it)."""
    with store.write() as session:
        session.connection().exec_driver_sql(
            "UPDATE articles SET lead_page_id = (SELECT min(p.id) FROM pages p "
            "WHERE p.article_id = articles.id) WHERE id >= ? AND lead_page_id IS NULL",
            (first_id,),
        )


def _related(store: Any, log: Log) -> int:
    """Every listed article's Related list, as the enrich stage computes and stores them."""
    from dateline.enrich.corpus_index import load_corpus_index
    from dateline.enrich.related import RelatedBuilder, write_related

    with store.read() as session:
        index = load_corpus_index(session)
    builder = RelatedBuilder(index)
    ids = [int(a) for a in index.ids]
    started = time.perf_counter()
    for start in range(0, len(ids), RELATED_BATCH):
        lists = builder.lists(ids[start : start + RELATED_BATCH])
        with store.write() as session:
            write_related(session, lists)
        if start and start % (RELATED_BATCH * 10) == 0:
            rate = start / (time.perf_counter() - started)
            log(f"    Related: {start:,} of {len(ids):,} ({rate:,.0f} lists/s)")
    return len(ids)


class _Draw:
    """Reads as the module docstring describes them: who, when, which article (by row)."""

    def __init__(
        self, rng: np.random.Generator, readers: int, end: float, topic: np.ndarray, at: np.ndarray
    ) -> None:
        self.rng, self.readers, self.end = rng, readers, end
        activity = rng.lognormal(0.0, ACTIVITY_SIGMA, readers)
        self.activity = activity / activity.sum()
        lo, hi = INTEREST_TOPICS
        self.topics = topics = int(topic.max()) + 1
        self.interests = [rng.choice(topics, int(rng.integers(lo, hi + 1))) for _ in range(readers)]
        popularity = 1.0 / np.arange(1, topics + 1) ** TOPIC_ZIPF
        self.popularity = popularity / popularity.sum()
        self.popular_topics = rng.permutation(topics)
        # each topic's article rows, oldest first, and their dates
        self.rows: list[np.ndarray] = []
        for t in range(topics):
            rows = np.flatnonzero(topic == t)
            self.rows.append(rows[np.argsort(at[rows], kind="stable")])
        self.at = at

    def reads(
        self, who: np.ndarray | None, count: int, interest_share: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``count`` reads (beginning with one by each of ``who``): reader, time, row
        (-1 where the topic has no article that old)."""
        rng = self.rng
        drawn = rng.choice(
            self.readers, max(count - (0 if who is None else len(who)), 0), p=self.activity
        )
        readers = drawn if who is None else np.concatenate([who, drawn])
        n = len(readers)
        when = self.end - rng.uniform(60, HISTORY_DAYS * 86400, n)
        pick = rng.integers(0, 1 << 30, n)
        own = np.array(
            [
                self.interests[r][k % len(self.interests[r])]
                for r, k in zip(readers, pick, strict=True)
            ]
        )
        popular = self.popular_topics[rng.choice(self.topics, n, p=self.popularity)]
        topic = np.where(rng.random(n) < interest_share, own, popular)
        back = rng.geometric(RECENCY_P, n) - 1
        article = np.full(n, -1, dtype=np.int64)
        for t in np.unique(topic).tolist():
            mine = np.flatnonzero(topic == t)
            rows = self.rows[t]
            pos = np.searchsorted(self.at[rows], when[mine], side="right") - 1 - back[mine]
            ok = pos >= 0
            article[mine[ok]] = rows[pos[ok]]
        return readers.astype(np.int64), when, article


def _readership(data_dir: Path, ids: list[str], events: int, clock: datetime, plan: Any) -> int:
    """Readers and their events (see the module docstring); returns the events written."""
    from dateline.readers.flush import hour_bucket
    from dateline.readers.identity import reader_key
    from dateline.store.models import ArticleDaily, ArticleStats, Event, Reaction, Reader

    rng = np.random.default_rng(SEED + 2)
    article_ids = plan["ids"]
    readers = len(ids)
    views_wanted = round(events / (1 + REACTION_SHARE))
    end = _epoch(clock)
    draw = _Draw(rng, readers, end, plan["topic"], plan["at"])
    # each reader reads an article once: pairs drawn again are dropped, and drawn anew
    who = np.arange(readers)  # at least one read each
    pairs = np.zeros(0, dtype=np.int64)
    when = np.zeros(0)
    for round_ in range(MAX_ROUNDS):
        need = views_wanted - len(pairs)
        if need <= 0:
            break
        share = INTEREST_SHARE if round_ < FOLLOW_ROUNDS else 0.0
        w, t, a = draw.reads(who if not len(pairs) else None, int(need * OVERSAMPLE), share)
        drawn = np.where(a >= 0, w * len(article_ids) + a, -1 - np.arange(len(a)))
        _, first = np.unique(np.concatenate([pairs, drawn]), return_index=True)
        new = np.sort(first[first >= len(pairs)]) - len(pairs)
        new = new[a[new] >= 0][:need]
        pairs = np.concatenate([pairs, drawn[new]])
        when = np.concatenate([when, t[new]])
    else:
        if len(pairs) < views_wanted:
            raise ValueError(f"{len(article_ids):,} articles are too few for {events:,} events")
    who, article = pairs // len(article_ids), article_ids[pairs % len(article_ids)]
    reacted = np.zeros(len(pairs), dtype=bool)
    reacted[rng.choice(len(pairs), min(events - len(pairs), len(pairs)), replace=False)] = True
    react_at = np.minimum(when + rng.uniform(30, 600, len(pairs)), end)

    stats: dict[int, list[int]] = {}
    daily: dict[tuple[int, date], list[int]] = {}
    view_rows: list[dict[str, Any]] = []
    reaction_events: list[dict[str, Any]] = []
    reaction_rows: list[dict[str, Any]] = []
    first_seen: dict[int, datetime] = {}
    for r, t, aid, react, rt in zip(
        who.tolist(),
        when.tolist(),
        article.tolist(),
        reacted.tolist(),
        react_at.tolist(),
        strict=True,
    ):
        rid = ids[r]
        seen = _naive(t)
        first_seen[r] = min(first_seen.get(r, seen), seen)
        view_rows.append(
            {
                "kind": "view",
                "article_id": aid,
                "reader_id": rid,
                "viewer_key": reader_key(rid),
                "bucket": hour_bucket(seen),
                "value": 1,
                "created_at": seen,
            }
        )
        stats.setdefault(aid, [0, 0])[0] += 1
        daily.setdefault((aid, seen.date()), [0, 0])[0] += 1
        if react:
            made = _naive(rt)
            reaction_events.append(
                {
                    "kind": "reaction",
                    "article_id": aid,
                    "reader_id": rid,
                    "viewer_key": reader_key(rid),
                    "bucket": None,
                    "value": 1,
                    "created_at": made,
                }
            )
            reaction_rows.append({"reader_id": rid, "article_id": aid, "created_at": made})
            stats[aid][1] += 1
            daily.setdefault((aid, made.date()), [0, 0])[1] += 1
    # views in the unique key's order, as the buffer writes them (flush.py)
    view_rows.sort(key=lambda v: (v["article_id"], v["viewer_key"], v["bucket"]))
    store, _ = _store(data_dir)
    with store.write() as session:
        # a large page cache for the build: the events' four indexes grow together
        session.connection().exec_driver_sql("PRAGMA cache_size=-400000")
        session.execute(
            insert(Reader),
            [
                {"id": ids[r], "created_at": first_seen.get(r, clock), "simulated": False}
                for r in range(readers)
            ],
        )
        for start in range(0, len(view_rows), CHUNK * 20):
            session.execute(insert(Event), view_rows[start : start + CHUNK * 20])
        if reaction_events:
            session.execute(insert(Event), reaction_events)
            session.execute(insert(Reaction), reaction_rows)
        session.execute(
            insert(ArticleStats),
            [
                {"article_id": a, "views": v, "reactions": x, "updated_at": clock}
                for a, (v, x) in sorted(stats.items())
            ],
        )
        session.execute(
            insert(ArticleDaily),
            [
                {
                    "article_id": a,
                    "day": d,
                    "views": v,
                    "reactions": x,
                    "impressions": 0,
                    "clicks": 0,
                }
                for (a, d), (v, x) in sorted(daily.items())
            ],
        )
    with store.write() as session:
        session.connection().exec_driver_sql("ANALYZE")
    store.dispose()
    return len(view_rows) + len(reaction_events)


def run_copy(data: BenchData, into: Path) -> Path:
    """A throwaway copy of the cached data dir (the server writes views into it)."""
    into.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data.database, into / "dateline.db")
    return into
