"""Sources are sites, not hosts (issue 14, item 4): several sites served from one
loopback host stay apart, keep their names, scheme and port; one page is one carrier
whether it came as a file or by URL; ``/api/v1/sources`` lists them. Both engines."""

from __future__ import annotations

import hashlib
from datetime import datetime

import httpx
import pytest
from sqlalchemy import func, select, text

from conftest import _serve_in_thread
from dateline.pipeline import ingest_many
from dateline.store.db import Store
from dateline.store.models import Article, Page, Source
from dateline.store.queries import get_article
from dateline.store.schema import upgrade
from news_pages import serve_folder, write_pages
from test_lead import COPY, ORIGINAL


@pytest.fixture
def settings(loopback_settings):
    """The pages are served on loopback, which a fetch refuses unless allow-listed."""
    return loopback_settings


METRO = dict(
    site="Metro Wire",
    title="Council approves new budget for city libraries",
    paragraphs=[
        "The city council approved on Wednesday a budget that keeps all eleven branch "
        "libraries open on Saturdays and adds evening hours at the central library.",
        "Librarians had warned that two branches might close, but a late amendment moved "
        "money from the parking fund to cover the staff the libraries need next year.",
        "The budget also pays for new books in eight languages spoken in the city, and "
        "for a van that will bring books to care homes and schools in the outer districts.",
    ],
    published="2026-11-25T18:00:00+00:00",
    section="Politics",
    byline="Sam Okafor",
)


def no_canonical(fields: dict) -> dict:
    return {k: v for k, v in fields.items() if k != "url"}


def sources(store) -> dict[str, tuple[str, str | None]]:
    with store.read() as session:
        return {s.key: (s.name, s.home_url) for s in session.scalars(select(Source))}


def test_sites_on_one_host_are_apart_and_keep_their_names(store, settings, tmp_path):
    folder = tmp_path / "site"
    renamed = {**no_canonical(METRO), "site": "metro  WIRE", "title": "Second story"}
    renamed["paragraphs"] = [p.replace("libraries", "parks") for p in METRO["paragraphs"]]
    write_pages(
        folder,
        bridge=no_canonical(ORIGINAL),
        copy=no_canonical(COPY),
        budget=no_canonical(METRO),
        parks=renamed,
    )
    with serve_folder(folder) as base:
        report = ingest_many(
            [f"{base}/{n}.html" for n in ("copy", "bridge", "budget", "parks")], store, settings
        )
    assert [i.status for i in report.items] == ["new"] * 4
    origin = base.removesuffix("/")
    assert sources(store) == {
        f"{origin}|valley tribune": ("Valley Tribune", f"{origin}/"),
        f"{origin}|dailybuzz money": ("DailyBuzz Money", f"{origin}/"),
        f"{origin}|metro wire": ("Metro Wire", f"{origin}/"),
    }, "three sites, each under its own name; a later spelling renames none"
    with store.read() as session:
        bridge = session.scalars(select(Article).where(Article.title == ORIGINAL["title"])).one()
        detail = get_article(session, bridge.id)
    assert detail.source_name == "Valley Tribune"
    assert sorted(c.source_name for c in detail.carriers) == ["DailyBuzz Money", "Valley Tribune"]


def test_a_page_by_file_and_by_url_is_one_carrier(store, new_store, settings, tmp_path):
    folder = tmp_path / "site"
    paths = write_pages(folder, bridge=no_canonical(ORIGINAL))
    with serve_folder(folder) as base:
        url = f"{base}/bridge.html"
        for target, order in (
            (store, (str(paths["bridge"]), url)),
            (new_store(), (url, str(paths["bridge"]))),
        ):
            statuses = [ingest_many([t], target, settings).items[0].status for t in order]
            assert statuses == ["new", "known"], order
            with target.read() as session:
                assert session.scalar(select(func.count()).select_from(Page)) == 1, order
                page = session.scalars(select(Page)).one()
                assert page.identity_key == f"url:{url}", "the page learns its address"
                assert [s.name for s in session.scalars(select(Source))] == ["Valley Tribune"]
                assert session.get(Source, page.source_id).home_url == f"{base}/"
            assert ingest_many([str(paths["bridge"]), url], target, settings).counts == {"known": 2}


def test_the_api_lists_sources(store, settings, tmp_path):
    from dateline.web.app import create_app

    folder = tmp_path / "site"
    write_pages(folder, bridge=no_canonical(ORIGINAL), copy=no_canonical(COPY))
    with serve_folder(folder) as base:
        ingest_many([f"{base}/copy.html", f"{base}/bridge.html"], store, settings)
    server, thread, app_url = _serve_in_thread(create_app(settings, store))
    try:
        listed = httpx.get(f"{app_url}/api/v1/sources", timeout=30)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert listed.status_code == 200
    got = {s["name"]: (s["home_url"], s["pages"], s["articles"]) for s in listed.json()}
    assert got == {
        "DailyBuzz Money": (f"{base}/", 1, 0),
        "Valley Tribune": (f"{base}/", 1, 1),
    }, "the publisher leads the article its copy carries"
    assert all(set(s) >= {"id", "kind", "score"} for s in listed.json())


def test_migration_0010_splits_a_host_into_its_sites(database_url):
    """A host-keyed source of the previous release, carrying two sites' pages, becomes
    two sources: the first site keeps the row (id, kind), the other gets a new one."""
    store = Store(database_url)
    try:
        upgrade(store, "0009")
        now = datetime(2026, 11, 1)
        with store.engine.begin() as conn:
            source_id = conn.execute(
                text(
                    "INSERT INTO sources (key, name, home_url, kind, created_at) VALUES "
                    "('127.0.0.1', 'Valley Tribune', 'https://127.0.0.1/', 'unknown', :now) "
                    "RETURNING id"
                ),
                {"now": now},
            ).scalar_one()
            for n, (site, url) in enumerate(
                [
                    ("Valley Tribune", "http://127.0.0.1:8000/bridge.html"),
                    ("DailyBuzz Money", "http://127.0.0.1:8000/copy.html"),
                    ("Valley Tribune", "http://127.0.0.1:8000/more.html"),
                ]
            ):
                conn.execute(
                    text(
                        "INSERT INTO articles (title, body, body_hash, word_count, first_seen_at)"
                        " VALUES ('t', :body, :hash, 1, :now)"
                    ),
                    {
                        "body": str(n),
                        "hash": hashlib.sha256(str(n).encode()).hexdigest(),
                        "now": now,
                    },
                )
                conn.execute(
                    text(
                        "INSERT INTO pages (identity_key, identity_hash, version, fingerprint, "
                        "source_id, article_id, input_kind, origin, url, raw_sha256, title, "
                        "site_name, claimed_links, extra, first_seen_at) VALUES (:key, :hash, "
                        "1, 'f', :source, (SELECT max(id) FROM articles), 'html', :url, :url, "
                        "'x', 't', :site, '{}', '{}', :now)"
                    ),
                    {
                        "key": f"url:{url}",
                        "hash": hashlib.sha256(url.encode()).hexdigest(),
                        "source": source_id,
                        "url": url,
                        "site": site,
                        "now": now,
                    },
                )
        upgrade(store)
        with store.read() as session:
            rows = session.execute(
                select(Page.url, Source.id, Source.key, Source.name, Source.home_url)
                .join(Source, Source.id == Page.source_id)
                .order_by(Page.id)
            ).all()
        tribune = (source_id, "http://127.0.0.1:8000|valley tribune", "Valley Tribune")
        assert [r[1:4] for r in rows] == [tribune, rows[1][1:4], tribune]
        assert rows[1][2:] == (
            "http://127.0.0.1:8000|dailybuzz money",
            "DailyBuzz Money",
            "http://127.0.0.1:8000/",
        )
        assert rows[0].home_url == "http://127.0.0.1:8000/"
    finally:
        store.dispose()
