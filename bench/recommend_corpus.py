"""The Recommendation simulation's corpus: both headline sets re-timed onto the simulated
days, ingested and enriched day by day through the library calls ``dateline ingest``
makes, one store snapshot per day (see ``bench/recommend.py``).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import math
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# Day 0 of the simulated calendar; any date works (every time is re-timed onto it).
START = datetime(2024, 3, 4)
# UCI's four categories as the HuffPost sections they are read as (reader interests).
UCI_CATEGORIES = {"b": "BUSINESS", "t": "TECH", "e": "ENTERTAINMENT", "m": "WELLNESS"}

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


def git_rev(repo: Path, *spec: str) -> str:
    """``git rev-parse SPEC`` in ``repo``; "unknown" outside a checkout."""
    try:
        return subprocess.run(
            ["git", "rev-parse", *spec], cwd=repo, text=True, capture_output=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def corpus_code(repo: Path) -> str:
    """What a built corpus depends on: the package's committed tree (``HEAD:src``) and this
    module. The key of a reusable ``--work`` corpus: a commit that changes only the
    browsing or the scoring reuses it (uncommitted changes to ``src`` are not seen)."""
    tree = git_rev(repo, "HEAD:src")
    return f"{tree[:12]}-{hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]}"
