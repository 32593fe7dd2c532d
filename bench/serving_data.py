"""The serving benchmark's data: the demo corpus plus generated articles and readers (SQLite).

Built once and cached under ``bench/.cache/serving-v{VERSION}-{N}/`` (re-runs copy it);
bump ``VERSION`` when the generator or the schema changes. Everything is seeded, so two
builds of one version hold the same articles, readers and history.

* Articles: titles and bodies from a fixed vocabulary, dates spread over the year before
  the pinned site clock, ``SOURCES`` sources, ``CATEGORIES`` claimed categories; written
  with SQLAlchemy core in large transactions (the FTS5 triggers index them on the way).
* Readers: ``READERS`` reader ids with history written through the real event code
  (``EventBuffer`` views, ``toggle_reaction``), in the week before the clock.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import func, insert, select

VERSION = 1
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
READERS = 1000
VIEWS_PER_READER = (5, 40)
REACTION_SHARE = 0.25  # readers who react to one or two of the articles they read
CHUNK = 5000

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


@dataclass(frozen=True)
class BenchData:
    """A ready data dir: the database, the pinned clock, article URLs and reader ids."""

    data_dir: Path
    clock: str
    paths: list[str]  # /a/{id}/{slug} of every article
    readers: list[str]
    build_seconds: float  # 0 when the cache was used

    @property
    def database(self) -> Path:
        return self.data_dir / "dateline.db"


def cache_dir(root: Path, articles: int) -> Path:
    return root / f"serving-v{VERSION}-{articles}"


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


def build(root: Path, articles: int, log: callable = print) -> BenchData:  # type: ignore[valid-type]
    """The cached data dir for ``articles`` generated articles (built on first use)."""
    target = cache_dir(root, articles)
    meta_file = target / "bench-meta.json"
    if meta_file.exists():
        meta = json.loads(meta_file.read_text())
        return BenchData(target, meta["clock"], meta["paths"], meta["readers"], 0.0)
    started = time.perf_counter()
    tmp = target.with_name(target.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    clock, paths, readers = _build_into(tmp, articles, log)
    (tmp / "bench-meta.json").write_text(
        json.dumps({"clock": clock, "paths": paths, "readers": readers})
    )
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return BenchData(target, clock, paths, readers, time.perf_counter() - started)


def _build_into(data_dir: Path, articles: int, log: callable) -> tuple[str, list[str], list[str]]:  # type: ignore[valid-type]
    from dateline.demo import load_demo
    from dateline.settings import load_settings
    from dateline.store.db import Store
    from dateline.store.models import Article, Page, Source
    from dateline.store.queries import slugify
    from dateline.store.schema import upgrade

    settings = load_settings(environ={"DATELINE_DATA_DIR": str(data_dir)})
    store = Store(settings.resolved_database_url)
    upgrade(store)
    t0 = time.perf_counter()
    load_demo(store, settings)
    log(f"  demo corpus loaded in {time.perf_counter() - t0:.1f} s")
    with store.read() as session:
        newest = session.scalar(select(func.max(Article.published_at)))
        first_id = (session.scalar(select(func.max(Article.id))) or 0) + 1
        first_source = (session.scalar(select(func.max(Source.id))) or 0) + 1
    assert newest is not None
    clock = datetime.combine(newest.date(), dtime(23, 59, 59))

    t0 = time.perf_counter()
    rng = random.Random(SEED)
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
    places = ["LONDON", "PARIS", "NAIROBI", "TOKYO", "LIMA", "OSLO", "CAIRO", "SYDNEY"]
    with store.write() as session:
        session.execute(insert(Source), sources)
        for start in range(0, articles, CHUNK):
            arts, pages = [], []
            for n in range(start, min(start + CHUNK, articles)):
                aid = first_id + n
                title = f"{_title(rng)} {n}"
                body = _body(rng, rng.choice(places))
                published = clock - timedelta(seconds=rng.randint(60, 365 * 86400))
                body_hash = hashlib.sha256(body.encode()).hexdigest()
                src = sources[rng.randrange(SOURCES)]
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
                        "claimed_category": rng.choice(CATEGORIES),
                        "claimed_links": {},
                        "extra": {},
                        "first_seen_at": published,
                    }
                )
            session.execute(insert(Article), arts)
            session.execute(insert(Page), pages)
    log(f"  {articles:,} articles generated in {time.perf_counter() - t0:.1f} s")

    t0 = time.perf_counter()
    readers = reader_ids()
    _reader_history(store, readers, clock, first_id, articles)
    log(f"  {len(readers):,} readers with history in {time.perf_counter() - t0:.1f} s")

    with store.read() as session:
        rows = session.execute(select(Article.id, Article.title).order_by(Article.id)).all()
    paths = [f"/a/{aid}/{slugify(title)}" for aid, title in rows]
    with store.write() as session:
        session.connection().exec_driver_sql("ANALYZE")
    store.dispose()
    return clock.isoformat(), paths, readers


def _reader_history(
    store: object, readers: list[str], clock: datetime, first_id: int, articles: int
) -> None:
    from dateline.readers.buffer import EventBuffer
    from dateline.readers.events import toggle_reaction
    from dateline.readers.identity import reader_key

    rng = random.Random(SEED + 2)
    buffer = EventBuffer(store, flush_seconds=60, max_events=20_000)  # type: ignore[arg-type]
    reactions: list[tuple[str, int, datetime]] = []
    for rid in readers:
        for _ in range(rng.randint(*VIEWS_PER_READER)):
            # Recent articles are read more: the newest tenth of the ids, mostly.
            span = articles // 10 if rng.random() < 0.7 else articles
            aid = first_id + articles - 1 - rng.randrange(span)
            at = clock - timedelta(seconds=rng.randint(60, 7 * 86400))
            buffer.record_view(aid, reader_key(rid), rid, at)
            if rng.random() < REACTION_SHARE / 10:
                reactions.append((rid, aid, at))
    buffer.flush()
    for rid, aid, at in reactions:
        toggle_reaction(store, rid, aid, at)  # type: ignore[arg-type]


def run_copy(data: BenchData, into: Path) -> Path:
    """A throwaway copy of the cached data dir (the server writes views into it)."""
    into.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data.database, into / "dateline.db")
    return into
