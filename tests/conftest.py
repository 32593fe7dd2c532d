"""Shared fixtures: the seed pages, throwaway stores on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS_DIR = SHARED / "seeds"
DATA = Path(__file__).resolve().parent / "data"


def shared_path(relative: str) -> Path:
    """A path under ../shared; the test fails, never skips, when it is absent.

    The shared folder holds third-party text we must not copy into the repo (the AP seeds,
    benchmark pages). A skip would let a checkout without it pass with the seed pages and
    benchmarks untested, so a missing folder is an error that says what to put where.
    """
    path = SHARED / relative
    if not path.exists():
        pytest.fail(
            f"{path} not found: the tests read ../shared (seed pages, benchmark dev halves); "
            "put the shared folder beside the repository"
        )
    return path


def cli_env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``dateline`` command in a test: this test's store and data
    folder, enrichment off (NER and embeddings are tested where they matter), and
    ``extra`` settings by their variable names."""
    return {
        "DATELINE_DATABASE_URL": database_url,
        "DATELINE_DATA_DIR": str(tmp_path / "data"),
        "DATELINE_ENRICH_ON_INGEST": "false",
        **extra,
    }


def _test_settings(tmp_path, **overrides):
    from dateline.settings import load_settings

    environ = {"DATELINE_DATA_DIR": str(tmp_path / "data")}
    return load_settings(environ=environ, overrides=overrides)


@pytest.fixture
def settings(tmp_path):
    """Settings whose data directory is the test's own (nothing else set)."""
    return _test_settings(tmp_path)


LOOPBACK = "127.0.0.0/8"


@pytest.fixture
def loopback_settings(tmp_path):
    """The same, for a test that fetches from a server of its own on loopback: the fetcher
    refuses loopback unless allow-listed, so the test allow-lists it, and only it."""
    return _test_settings(tmp_path, fetch_allow_networks=LOOPBACK)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    """The two seed pages, read in place from ../shared/seeds (never copied)."""
    return shared_path("seeds")


SEED_000 = "000_6590402504eff1c4.txt"
# When AP itself published seed 000's story (its lead says "on Tuesday"; the farm claims
# 2025-04-26). Used only to build the wire's own page in the live site.
SEED_000_WIRE_DATE = "2024-01-16T10:12:00+00:00"


def wire_original_of(seed_path: Path, settings) -> dict:
    """A JSONL record of the wire's own page carrying a seed's text (apnews.com, earlier)."""
    from dateline.extract import extract_document
    from dateline.ingest.sources import load

    seed = next(iter(extract_document(load(str(seed_path), settings))))
    slug = "-".join(seed.title.lower().split()[:6])
    return {
        "title": seed.title,
        "body": seed.body,
        "site_name": "AP News",
        "url": f"https://apnews.com/article/{slug}",
        "published": SEED_000_WIRE_DATE,
    }


@pytest.fixture(scope="session")
def seed_000(seeds_dir: Path) -> Path:
    return seeds_dir / SEED_000


@pytest.fixture(scope="session")
def seed_004(seeds_dir: Path) -> Path:
    return seeds_dir / "004_92e710bd06e61c6d.txt"


# --- stores on both engines -------------------------------------------------------------

ENGINES = [
    e.strip()
    for e in os.environ.get("DATELINE_TEST_ENGINES", "sqlite,postgresql").split(",")
    if e.strip()
]


@pytest.fixture(scope="session")
def pg_cluster():
    """One PostgreSQL server for the session; each test gets its own database in it."""
    from pgcluster import start_cluster

    try:
        cluster = start_cluster()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    yield cluster
    cluster.stop()


def _fresh_pg_database(cluster) -> tuple[str, str]:
    import uuid

    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(
        f"host={cluster.socket_dir} user={cluster.user} dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, cluster.url(name)


def _drop_pg_database(cluster, name: str) -> None:
    import psycopg

    with psycopg.connect(
        f"host={cluster.socket_dir} user={cluster.user} dbname=postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path):
    """An empty database on each engine: a real SQLite file, a real PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dateline.db'}"
        return
    if request.param != "postgresql":
        pytest.fail(f"unknown engine {request.param!r} in DATELINE_TEST_ENGINES")
    cluster = request.getfixturevalue("pg_cluster")
    name, url = _fresh_pg_database(cluster)
    yield url
    _drop_pg_database(cluster, name)


@pytest.fixture
def store(database_url):
    """A migrated store on each engine, disposed after the test."""
    from dateline.store.db import Store
    from dateline.store.schema import upgrade

    s = Store(database_url)
    upgrade(s)
    yield s
    s.dispose()


@pytest.fixture
def new_store(request, database_url, tmp_path):
    """Make more empty, migrated stores on the engine of ``database_url`` (to compare two
    ingest orders, say); all are disposed, and dropped on PostgreSQL, after the test."""
    from dateline.store.db import Store
    from dateline.store.schema import upgrade

    made: list[tuple[Store, str | None]] = []

    def make() -> Store:
        name = None
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / f'extra-{len(made)}.db'}"
        else:
            name, url = _fresh_pg_database(request.getfixturevalue("pg_cluster"))
        s = Store(url)
        upgrade(s)
        made.append((s, name))
        return s

    yield make
    for s, name in made:
        s.dispose()
        if name is not None:
            _drop_pg_database(request.getfixturevalue("pg_cluster"), name)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say, per engine, how many store tests ran: CI output must show both."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if getattr(report, "when", "call") not in ("call", "setup"):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            for engine in ("sqlite", "postgresql"):
                if f"[{engine}" in nodeid or f"-{engine}]" in nodeid or f"-{engine}-" in nodeid:
                    counts.setdefault(engine, {}).setdefault(outcome, 0)
                    counts[engine][outcome] += 1
    if counts:
        terminalreporter.section("tests per database engine")
        for engine, c in sorted(counts.items()):
            terminalreporter.write_line(
                f"{engine}: " + ", ".join(f"{n} {k}" for k, n in sorted(c.items()))
            )


# --- a live site on both engines ---------------------------------------------------------------


def _serve_in_thread(app):
    """Run ``app`` under uvicorn on 127.0.0.1 (a free port) in a daemon thread."""
    import socket
    import threading
    import time

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session", params=ENGINES)
def live_site(request, tmp_path_factory):
    """The real app over the demo corpus plus the two seed pages, served over real HTTP.

    One per engine per session (loading the demo takes seconds). Yields an object with
    ``url`` (base URL), ``store`` and ``settings``. Tests that change state (reactions,
    history) use their own reader cookies so they never see each other's changes.
    """
    from types import SimpleNamespace

    from dateline.demo import load_demo, load_farm_copies
    from dateline.enrich.run import enrich_articles
    from dateline.pipeline import ingest_many
    from dateline.settings import load_settings
    from dateline.store.db import Store
    from dateline.store.schema import upgrade
    from dateline.web.app import create_app

    data_dir = tmp_path_factory.mktemp(f"site-{request.param}")
    if request.param == "sqlite":
        url, dropper = f"sqlite:///{data_dir / 'dateline.db'}", None
    else:
        cluster = request.getfixturevalue("pg_cluster")
        name, url = _fresh_pg_database(cluster)
        dropper = (cluster, name)
    settings = load_settings(
        environ={
            "DATELINE_DATA_DIR": str(data_dir),
            "DATELINE_DATABASE_URL": url,
            "DATELINE_PAGE_CACHE_SECONDS": "0.2",
            "DATELINE_EVENT_FLUSH_SECONDS": "0.1",
            "DATELINE_SITE_CLOCK": "2026-11-01T00:00:00",
        }
    )
    store = Store(url)
    upgrade(store)
    load_demo(store, settings)
    load_farm_copies(store, settings)
    seeds = shared_path("seeds")  # the seed pages are part of every site under test
    # The wire's own, earlier page for seed 000's text (built here from the seed, never
    # committed): the copying page must attach to it and have its claim flagged.
    wire = data_dir / "wire.jsonl"
    wire.write_text(
        json.dumps(wire_original_of(SEEDS_DIR / SEED_000, settings)) + "\n", encoding="utf-8"
    )
    report = ingest_many([str(wire)], store, settings)
    report.items.extend(ingest_many([str(seeds)], store, settings).items)
    assert report.ok, report.failures
    enrich_articles(store, settings)
    app = create_app(settings, store)
    server, thread, base = _serve_in_thread(app)
    yield SimpleNamespace(
        url=base,
        store=store,
        settings=settings,
        engine=request.param,
        app=app,
    )
    server.should_exit = True
    thread.join(timeout=10)
    store.dispose()
    if dropper is not None:
        _drop_pg_database(*dropper)


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session (Playwright's sync API allows one
    per thread); fails, never skips, without it."""
    from browser_util import BrowserMissing, check_browser, launch

    try:
        check_browser()
    except BrowserMissing as exc:
        pytest.fail(str(exc))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
