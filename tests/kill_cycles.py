"""SIGKILL ``dateline ingest`` at random points and check the store after every kill.

Shared by ``tests/test_crash.py`` (20 cycles per engine in CI) and ``bench/crash_cycles.py``
(1,000 and more). ``dateline ingest`` prints a line for an item once its commit is done;
every item acknowledged so, before any kill, must be in the store exactly once, and the
store must stay whole: SQLite's ``integrity_check`` and ``foreign_key_check`` pass, and on
both engines no row points at a missing parent, every article has its pages and its lead
among them, and every page's article exists.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, inspect, select, text

from dateline.store.db import Store
from dateline.store.models import Article, Base, Page
from dateline.store.schema import schema_status

DATELINE = str(Path(sys.executable).parent / "dateline")
HOST = "https://crash.example"
_ACK = re.compile(
    r"^(?:ingested|already known|new version)\s+.*\((" + re.escape(HOST) + r"/\d+)\)$"
)

WORDS = (
    "harbour council budget river school minister storm museum railway festival bridge "
    "election hospital farmers drought vaccine market tunnel orchestra library court "
    "airport volcano glacier turbine archive novel stadium border reform satellite "
    "ferry garden protest treaty canal miners harvest theatre"
).split()


def write_corpus(folder: Path, items: int = 300, files: int = 6, seed: int = 5) -> list[str]:
    """``items`` distinct JSON-lines articles over ``files`` files; their URLs."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    urls = []
    per_file = -(-items // files)
    for f in range(files):
        lines = []
        for n in range(f * per_file, min(items, (f + 1) * per_file)):
            url = f"{HOST}/{n}"
            body = " ".join(rng.choice(WORDS) for _ in range(80))
            title = f"Crash item {n}: " + " ".join(rng.sample(WORDS, 5))
            lines.append(json.dumps({"url": url, "title": title, "body": body + f" Item {n}."}))
            urls.append(url)
        (folder / f"part-{f:02d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return urls


@dataclass
class CycleLog:
    acknowledged: set[str] = field(default_factory=set)
    kills: int = 0
    completed_runs: int = 0
    kill_delays: list[float] = field(default_factory=list)


def run_cycle(
    corpus: Path, env: dict[str, str], rng: random.Random, log: CycleLog, *, kill: bool = True
) -> None:
    """One ``dateline ingest`` run, SIGKILLed at a random point (``kill=False``: to the end)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    full_env.update({"COLUMNS": "400", "NO_COLOR": "1", **env})
    proc = subprocess.Popen(
        [DATELINE, "ingest", str(corpus)],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    first = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            first.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    started = time.monotonic()
    if not kill:
        proc.wait(timeout=600)
    elif rng.random() < 0.2:  # sometimes anywhere, start-up and schema check included
        time.sleep(rng.uniform(0.0, 2.5))
    else:  # mostly while items are being stored
        first.wait(timeout=30)
        time.sleep(rng.uniform(0.0, 0.6))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        log.kills += 1
        log.kill_delays.append(time.monotonic() - started)
    else:
        log.completed_runs += 1
    proc.wait(timeout=30)
    reader.join(timeout=10)
    assert proc.stdout is not None
    proc.stdout.close()
    for line in lines:  # what was printed before the kill: committed items
        match = _ACK.match(line)
        if match:
            log.acknowledged.add(match.group(1))


def check_store(url: str, acknowledged: set[str]) -> dict[str, int]:
    """The store after a kill: what must hold. Returns a few counts."""
    store = Store(url)
    try:
        tables = set(inspect(store.engine).get_table_names())
        if not tables:  # killed before the schema was created: nothing, not half of it
            assert not acknowledged
            return {"pages": 0, "articles": 0}
        status = schema_status(store)
        assert status.up_to_date, f"a half-migrated schema: {status}"
        if store.dialect == "sqlite":
            with store.engine.connect() as conn:
                assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        with store.read() as session:
            counts = dict(
                session.execute(
                    select(Page.url, func.count())
                    .where(Page.url.like(f"{HOST}/%"))
                    .group_by(Page.url)
                ).all()
            )
            twice = {u: n for u, n in counts.items() if n != 1}
            assert not twice, f"stored more than once: {sorted(twice)[:5]}"
            missing = acknowledged - counts.keys()
            assert not missing, f"acknowledged but not stored: {sorted(missing)[:5]}"
            orphans = _orphans(session)
            assert not orphans, f"rows pointing at nothing: {orphans}"
            pageless = session.scalar(
                select(func.count()).select_from(Article).where(~Article.pages.any())
            )
            assert pageless == 0, f"{pageless} articles without a page"
            stray_lead = session.scalar(
                select(func.count())
                .select_from(Article)
                .join(Page, Page.id == Article.lead_page_id)
                .where(Page.article_id != Article.id)
            )
            assert stray_lead == 0, f"{stray_lead} articles led by another article's page"
            articles = session.scalar(select(func.count()).select_from(Article))
        return {"pages": len(counts), "articles": int(articles or 0)}
    finally:
        store.dispose()


def _orphans(session) -> dict[str, int]:
    """Per foreign key: rows whose non-null reference finds no row (any table)."""
    found = {}
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            column, parent = fk.parent, fk.column
            n = session.scalar(
                select(func.count())
                .select_from(table)
                .where(column.is_not(None), column.not_in(select(parent)))
            )
            if n:
                found[f"{table.name}.{column.name}"] = int(n)
    return found
