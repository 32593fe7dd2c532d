"""Several `dateline crawl` processes against feed hosts on loopback, on both engines.

PostgreSQL: three crawlers share the work; every item is ingested exactly once, every feed
fetched once, and no host ever has two requests in flight. SQLite: the second and third
crawler refuse to start and say why, and the one that runs does all of it. A crawler
killed with SIGKILL mid-request loses nothing: its subscription is polled by another one
once its lease runs out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import func, select

from conftest import LOOPBACK
from dateline.clock import utc_now
from dateline.store.crawl_models import Crawler, Subscription
from dateline.store.models import Page
from dateline.store.subscriptions import add_subscription
from feed_server import Feed, FeedHost, serving
from test_cli import DATELINE

DELAY = 0.15
LEASE = 3.0


@pytest.fixture
def env(database_url, tmp_path):
    keep = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    return {
        **keep,
        "DATELINE_DATABASE_URL": database_url,
        "DATELINE_DATA_DIR": str(tmp_path / "data"),
        "DATELINE_ENRICH_ON_INGEST": "false",
        "DATELINE_FETCH_ALLOW_NETWORKS": LOOPBACK,
        "DATELINE_CRAWL_HOST_DELAY": str(DELAY),
        "DATELINE_CRAWL_LEASE_SECONDS": str(LEASE),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }


def start(env, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [DATELINE, "crawl", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def subscribe_all(store, hosts: list[FeedHost]) -> None:
    with store.write() as session:
        for host in hosts:
            for path in host.feeds:
                add_subscription(session, host.base + path, "feed", utc_now())


def test_three_crawlers_share_the_work_politely(store, env):
    hosts = [
        FeedHost(
            f"127.0.0.{20 + h}",
            feeds={f"/f{i}": Feed(100 * h + i, items=3) for i in range(12)},
            latency=0.02,
        )
        for h in range(3)
    ]
    with serving(*hosts):
        subscribe_all(store, hosts)
        crawlers = [start(env, "--once") for _ in range(3)]
        outputs = [c.communicate(timeout=240) for c in crawlers]
    codes = [c.returncode for c in crawlers]
    ran = [out for (out, _), code in zip(outputs, codes, strict=True) if code == 0]
    refused = [err for (_, err), code in zip(outputs, codes, strict=True) if code != 0]
    if store.dialect == "sqlite":
        assert len(ran) == 1 and len(refused) == 2, outputs
        assert all("one crawler at a time" in err for err in refused)
    else:
        assert codes == [0, 0, 0], outputs
        working = [out for out in ran if "fetched" in out]
        assert len(working) >= 2, "the work was not shared"
    # every item exactly once, every feed fetched exactly once
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Page)) == 3 * 12 * 3
        assert session.scalar(select(func.sum(Subscription.items_total))) == 3 * 12 * 3
        assert session.scalar(select(func.count()).select_from(Crawler)) == 0
    for host in hosts:
        assert all(len(host.requests_to(path)) == 1 for path in host.feeds)
        assert len(host.requests_to("/robots.txt")) == 1
        assert host.max_in_flight == 1 and host.overlaps() == 0
        assert host.min_gap() >= DELAY - 0.03


def _wait(condition, timeout: float, step: float = 0.05) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError("timed out waiting")
        time.sleep(step)
    return time.monotonic() - started


def test_a_killed_crawlers_subscription_is_reclaimed_within_its_lease(store, env):
    host = FeedHost("127.0.0.30", feeds={"/slow": Feed(1, items=2)}, slow={"/slow": [30.0]})
    with serving(host):
        subscribe_all(store, [host])
        first = start(env)
        try:
            _wait(lambda: host.in_flight == 1, 60)  # mid-request on the slow feed
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=30)
        killed = time.monotonic()
        second = start(env)
        try:
            if store.dialect == "sqlite":  # the dead one's heartbeat is still fresh
                _, err = second.communicate(timeout=60)
                assert second.returncode == 1 and "killed" in err
                time.sleep(max(0.0, LEASE - (time.monotonic() - killed)))
                second = start(env)  # now its heartbeat is stale: this one runs
            waited = _wait(
                lambda: len(host.requests_to("/slow")) == 1, 30
            )  # the reclaim's GET done
            reclaimed = time.monotonic() - killed
        finally:
            second.send_signal(signal.SIGTERM)
            _, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert reclaimed <= LEASE + 5, f"reclaimed after {reclaimed:.1f} s (waited {waited:.1f})"
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Page)) == 2
        sub = session.scalars(select(Subscription)).one()
        assert sub.last_error is None and sub.items_total == 2
