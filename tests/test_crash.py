"""A killed ``dateline ingest`` loses nothing it acknowledged and leaves nothing half-written.

20 cycles per engine: ``dateline ingest`` over a corpus of 300 distinct items is SIGKILLed
at a random point (mostly while it stores items, sometimes during start-up), and the store
is checked after each kill (``kill_cycles.check_store``). A last run, not killed, then
finishes the corpus: every item is in the store exactly once. ``bench/crash_cycles.py``
runs the same for 1,000 cycles and more.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import func, select

from conftest import cli_env
from dateline.store.db import Store
from kill_cycles import CycleLog, check_store, run_cycle, write_corpus

CYCLES = 20


@pytest.mark.timeout(900)
def test_sigkilled_ingest_keeps_every_acknowledged_item_exactly_once(database_url, tmp_path):
    urls = write_corpus(tmp_path / "corpus")
    env = cli_env(database_url, tmp_path, DATELINE_AUTO_MIGRATE="true")
    rng = random.Random(18)
    log = CycleLog()
    for _ in range(CYCLES):
        run_cycle(tmp_path / "corpus", env, rng, log)
        check_store(database_url, log.acknowledged)
    assert log.kills >= CYCLES // 2, log  # the kills did land
    assert log.acknowledged, "no item was ever acknowledged before a kill"
    # one run to the end: the rest of the corpus, and nothing twice
    finished = CycleLog()
    run_cycle(tmp_path / "corpus", env, random.Random(0), finished, kill=False)
    counts = check_store(database_url, log.acknowledged | set(urls))
    assert counts["pages"] == len(urls) and counts["articles"] == len(urls)
    assert finished.acknowledged == set(urls)


# --- the server, killed during concurrent reactions -----------------------------------------------


@pytest.mark.timeout(600)
def test_a_sigkilled_server_keeps_every_acknowledged_reaction(database_url, tmp_path):
    """8 clients (each from its own address, each reader a fresh cookie) react while the
    server is SIGKILLed, 3 times over. Every reaction the server answered is counted; one
    cut off in flight may or may not be; and the totals agree with the reaction rows and
    the events, article by article."""
    from http_util import dateline_serve, from_address
    from test_cli import run

    corpus = tmp_path / "corpus"
    write_corpus(corpus, items=6, files=1)
    env = cli_env(
        database_url, tmp_path, DATELINE_AUTO_MIGRATE="true", DATELINE_REACTIONS_PER_IP_DAY="0"
    )
    assert run("ingest", str(corpus), env=env).returncode == 0
    tally = Tally()
    ids: list[int] = []
    for cycle in range(3):
        with dateline_serve(env) as server:
            with from_address(server.base, "127.0.0.1") as c:
                items = c.get("/api/v1/articles").json()["items"]
            ids = [i["id"] for i in items]
            paths = {i["id"]: i["url"] for i in items}
            stop = threading.Event()
            clients = [
                threading.Thread(
                    target=react_until,
                    args=(stop, server.base, f"127.0.1.{10 * cycle + n + 1}", n, paths, tally),
                )
                for n in range(8)
            ]
            for t in clients:
                t.start()
            time.sleep(2.5)
            server.send_signal(signal.SIGKILL)
            time.sleep(0.5)
            stop.set()
            for t in clients:
                t.join(timeout=30)
    assert sum(tally.acknowledged.values()) > 20, tally  # the load did land
    counted = reaction_totals(database_url)
    for article in ids:
        rows, total, events = counted.get(article, (0, 0, 0))
        assert rows == total == events, (article, rows, total, events)
        low = tally.acknowledged.get(article, 0)
        assert low <= total <= low + tally.cut_off.get(article, 0), (article, low, total, tally)


@dataclass
class Tally:
    acknowledged: dict[int, int] = field(default_factory=dict)  # answered: reacted
    cut_off: dict[int, int] = field(default_factory=dict)  # sent, no answer
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, counts: dict[int, int], article: int) -> None:
        with self.lock:
            counts[article] = counts.get(article, 0) + 1


def react_until(
    stop: threading.Event, base: str, address: str, n: int, paths: dict[int, str], tally: Tally
) -> None:
    """One client: a fresh reader per reaction (its page, its token, then the reaction)."""
    from http_util import from_address

    ids = sorted(paths)
    k = 0
    while not stop.is_set():
        article = ids[(n + k) % len(ids)]
        k += 1
        cookie = uuid4_hex()
        try:
            with from_address(base, address, cookie, timeout=5) as c:
                page = c.get(paths[article]).text
            token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        except (httpx.HTTPError, IndexError):
            continue  # the server is gone: nothing sent yet
        try:
            with from_address(base, address, cookie, timeout=5) as c:
                answer = c.post(
                    f"/api/v1/articles/{article}/reaction", headers={"X-CSRF-Token": token}
                )
        except httpx.HTTPError:
            tally.add(tally.cut_off, article)
            continue
        if answer.status_code == 200 and answer.json()["reacted"]:
            tally.add(tally.acknowledged, article)


def uuid4_hex() -> str:
    import uuid

    return uuid.uuid4().hex


def reaction_totals(url: str) -> dict[int, tuple[int, int, int]]:
    """Per article: reaction rows, the running total, and the sum of reaction events."""
    from dateline.store.models import ArticleStats, Event, Reaction

    store = Store(url)
    try:
        with store.read() as session:
            rows = dict(
                session.execute(
                    select(Reaction.article_id, func.count()).group_by(Reaction.article_id)
                ).all()
            )
            totals = dict(
                session.execute(select(ArticleStats.article_id, ArticleStats.reactions)).all()
            )
            events = dict(
                session.execute(
                    select(Event.article_id, func.sum(Event.value))
                    .where(Event.kind == "reaction")
                    .group_by(Event.article_id)
                ).all()
            )
        ids = set(rows) | set(totals) | set(events)
        return {a: (rows.get(a, 0), int(totals.get(a, 0)), int(events.get(a, 0) or 0)) for a in ids}
    finally:
        store.dispose()
