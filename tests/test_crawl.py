"""The crawler against real feed hosts on loopback, on both engines: subscriptions, one pass,
conditional GET, robots.txt, Retry-After, back-off, per-host politeness, SQLite's one crawler."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from conftest import LOOPBACK, _test_settings
from dateline.clock import utc_now
from dateline.crawl.leases import CrawlerRunning, new_crawler_id, register, unregister
from dateline.crawl.service import CrawlOptions, crawl
from dateline.crawl.sources import add_source
from dateline.errors import FetchRefused
from dateline.store.crawl_models import CrawlHost, Subscription
from dateline.store.models import Page
from dateline.store.subscriptions import add_subscription, find_subscription
from feed_server import Feed, FeedHost, item_text, serving

FAST = {"crawl_host_delay": 0.2, "crawl_min_interval": 1.0, "enrich_on_ingest": False}


@pytest.fixture
def crawl_settings(tmp_path, database_url):
    return _test_settings(
        tmp_path, database_url=database_url, fetch_allow_networks=LOOPBACK, **FAST
    )


def once(store, settings, **kw):
    return crawl(store, settings, CrawlOptions(once=True, rng=random.Random(7), **kw))


def subscribe(store, url, kind="feed", every=None):
    with store.write() as session:
        return add_subscription(session, url, kind, utc_now(), every=every).subscription.id


def make_all_due(store):
    with store.write() as session:
        for sub in session.scalars(select(Subscription)):
            sub.next_due_at = utc_now() - timedelta(seconds=1)


def state(store, sub_id) -> Subscription:
    with store.read() as session:
        sub = session.get(Subscription, sub_id)
        session.expunge(sub)
        return sub


def test_one_pass_ingests_every_item_once_then_polls_end_in_304(store, crawl_settings):
    a = FeedHost("127.0.0.2", feeds={"/f1": Feed(1), "/f2": Feed(2)})
    b = FeedHost("127.0.0.3", feeds={"/f3": Feed(3, items=4)})
    with serving(a, b):
        ids = [
            subscribe(store, a.base + "/f1"),
            subscribe(store, a.base + "/f2"),
            subscribe(store, b.base + "/f3"),
        ]
        first = once(store, crawl_settings)
        assert first.polls["fetched"] == 3, first
        assert first.polls["robots"] == 2  # one robots.txt per host, before its first poll
        assert first.new == 10
        make_all_due(store)
        second = once(store, crawl_settings)
        assert second.polls == {"not_modified": 3}
        assert second.new == 0
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Page)) == 10
    sub = state(store, ids[2])
    assert sub.items_total == 4 and sub.polls == 2 and sub.not_modified == 1
    assert sub.etag and sub.last_modified and sub.last_error is None
    assert sub.items_per_day is not None and sub.items_per_day > 0
    assert sub.source_id is not None
    # every request carried the feed's validators after the first
    assert [r.status for r in b.requests_to("/f3")] == [200, 304]


def test_host_requests_never_overlap_and_start_the_delay_apart(store, crawl_settings):
    host = FeedHost("127.0.0.4", feeds={f"/f{i}": Feed(i, items=1) for i in range(6)}, latency=0.05)
    with serving(host):
        for i in range(6):
            subscribe(store, f"{host.base}/f{i}")
        report = once(store, crawl_settings)
    assert report.polls["fetched"] == 6
    assert host.max_in_flight == 1 and host.overlaps() == 0
    assert host.min_gap() >= 0.2 - 0.02  # the start-to-start delay (a little clock slack)


def test_poll_loops_work_several_hosts_at_once_one_request_each(store, crawl_settings):
    """crawl_concurrency loops in one process: hosts are polled side by side (a pass takes
    about what one host's share takes), yet no host ever has two requests in flight."""
    hosts = [
        FeedHost(
            f"127.0.0.{40 + h}",
            feeds={f"/f{i}": Feed(10 * h + i, items=1) for i in range(3)},
            latency=0.3,
        )
        for h in range(4)
    ]
    with serving(*hosts):
        for host in hosts:
            for path in host.feeds:
                subscribe(store, host.base + path)
        report = once(store, crawl_settings, concurrency=4)
    assert report.polls["fetched"] == 12 and report.new == 12
    assert all(h.max_in_flight == 1 and h.overlaps() == 0 for h in hosts)
    assert min(h.min_gap() for h in hosts) >= 0.3 - 0.02  # each request waits out the last
    spans = sorted((r.start, r.end) for h in hosts for r in h.log)
    busiest = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert busiest >= 3, "the loops never had several hosts in flight at once"
    # one loop: 16 requests (robots included) of 0.3 s one after another take at least 4.8 s
    whole = max(e for _, e in spans) - min(s for s, _ in spans)
    assert whole < 16 * 0.3 * 0.8, whole


def test_robots_txt_disallow_shows_as_the_error_and_crawl_delay_is_honoured(store, crawl_settings):
    host = FeedHost(
        "127.0.0.5",
        feeds={"/news/feed": Feed(1, items=1), "/private/feed": Feed(2, items=1)},
        robots="User-agent: *\nDisallow: /private/\nCrawl-delay: 0.5\n",
    )
    with serving(host):
        ok = subscribe(store, host.base + "/news/feed")
        blocked = subscribe(store, host.base + "/private/feed")
        report = once(store, crawl_settings)
    assert report.polls["refused"] == 1 and report.polls["fetched"] == 1
    assert host.requests_to("/private/feed") == []
    sub = state(store, blocked)
    assert "disallowed by robots.txt" in sub.last_error
    assert sub.next_due_at > utc_now() + timedelta(hours=5)  # asked again after the cache
    assert state(store, ok).last_error is None
    assert host.min_gap() >= 0.5 - 0.02  # Crawl-delay 0.5 s beats the 0.2 s setting


def test_retry_after_is_obeyed_for_the_host_and_the_feed(store, crawl_settings):
    host = FeedHost(
        "127.0.0.6",
        feeds={"/ok": Feed(1, items=1)},
        scripted={"/busy": (429, {"Retry-After": "3600"})},
    )
    with serving(host):
        busy = subscribe(store, host.base + "/busy")
        other = subscribe(store, host.base + "/ok")
        before = utc_now()
        report = once(store, crawl_settings)
    sub = state(store, busy)
    assert sub.last_status == 429 and "HTTP 429" in sub.last_error
    assert sub.next_due_at >= before + timedelta(seconds=3600)
    with store.read() as session:
        assert session.get(CrawlHost, sub.host).next_at >= before + timedelta(seconds=3600)
    # the other feed on that host waits too (the host asked everyone to): left for a later pass
    assert report.polls["error"] == 1
    assert host.requests_to("/ok") == [] and state(store, other).last_fetch_at is None


def test_failures_back_off_and_stay_visible(store, crawl_settings):
    host = FeedHost("127.0.0.7", scripted={"/gone": (500, {})})
    with serving(host):
        sub_id = subscribe(store, host.base + "/gone")
        gaps = []
        for _ in range(3):
            make_all_due(store)
            now = utc_now()
            once(store, crawl_settings)
            gaps.append((state(store, sub_id).next_due_at - now).total_seconds())
    sub = state(store, sub_id)
    assert sub.error_count == 3 and "HTTP 500" in sub.last_error
    assert gaps[0] < gaps[1] < gaps[2]  # doubling (jitter is at most 25 %)


def test_feed_kind_is_detected_and_a_page_is_followed_to_its_feed(store, crawl_settings):
    page = (
        b'<!doctype html><html><head><title>Home</title><link rel="alternate" '
        b'type="application/rss+xml" href="/rss"></head><body><p>hello</p></body></html>'
    )
    sitemap = (
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>http://example.org/a</loc></url></urlset>"
    )
    host = FeedHost(
        "127.0.0.8",
        feeds={"/rss": Feed(5, title="The Harbour Gazette")},
        pages={"/": page, "/sitemap.xml": sitemap},
    )
    with serving(host):
        followed = add_source(store, crawl_settings, host.base + "/", utc_now())
        assert followed.subscription.kind == "feed"
        assert followed.subscription.url == host.base + "/rss"
        assert "advertises a feed" in followed.note
        assert followed.subscription.name == "The Harbour Gazette"
        mapped = add_source(store, crawl_settings, host.base + "/sitemap.xml", utc_now())
        assert mapped.subscription.kind == "sitemap"
        again = add_source(store, crawl_settings, host.base + "/rss?utm_source=x", utc_now())
        assert not again.created and again.note == "already subscribed"


def test_adding_a_private_address_is_refused_without_the_allow_list(store, tmp_path, database_url):
    plain = _test_settings(tmp_path, database_url=database_url)
    host = FeedHost("127.0.0.9", feeds={"/rss": Feed(1)})
    with serving(host), pytest.raises(FetchRefused, match="loopback"):
        add_source(store, plain, host.base + "/rss", utc_now())
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Subscription)) == 0


def test_a_second_crawler_on_sqlite_refuses_and_says_why(store, crawl_settings):
    first = new_crawler_id()
    register(store, first, utc_now(), 45)
    try:
        if store.dialect == "sqlite":
            with pytest.raises(CrawlerRunning, match="one crawler at a time"):
                once(store, crawl_settings)
        else:  # PostgreSQL shares the work
            assert once(store, crawl_settings).polls == {}
    finally:
        unregister(store, first)
    # a crawler whose heartbeat went stale (killed) does not block the next one
    dead = new_crawler_id()
    register(store, dead, utc_now() - timedelta(minutes=5), 45)
    assert once(store, crawl_settings).polls == {}


def test_stop_event_ends_a_running_crawler_cleanly(store, crawl_settings):
    host = FeedHost("127.0.0.10", feeds={"/rss": Feed(1, items=1)})
    stop = threading.Event()
    with serving(host):
        subscribe(store, host.base + "/rss")
        polled = threading.Event()
        runner = threading.Thread(
            target=crawl,
            args=(
                store,
                crawl_settings,
                CrawlOptions(on_poll=lambda o: polled.set() if o.status == "fetched" else None),
                stop,
            ),
        )
        runner.start()
        assert polled.wait(20)
        stop.set()
        runner.join(20)
        assert not runner.is_alive()
    with store.read() as session:
        from dateline.store.crawl_models import Crawler

        assert session.scalar(select(func.count()).select_from(Crawler)) == 0
        assert (
            session.scalar(select(func.count()).where(Subscription.lease_owner.is_not(None))) == 0
        )


def test_paused_subscriptions_are_not_polled(store, crawl_settings):
    host = FeedHost("127.0.0.11", feeds={"/rss": Feed(1, items=1)})
    with serving(host):
        sub_id = subscribe(store, host.base + "/rss")
        with store.write() as session:
            find_subscription(session, str(sub_id)).paused = True
        report = once(store, crawl_settings)
    assert report.polls == {} and host.log == []


def test_the_source_page_shows_how_its_articles_arrive(store, crawl_settings, tmp_path):
    from http_util import app_client

    good = FeedHost("127.0.0.14", feeds={"/rss": Feed(3, items=2, title="Quay Post")})
    with serving(good):
        sub_id = subscribe(store, good.base + "/rss")
        once(store, crawl_settings)
        source_id = state(store, sub_id).source_id
        # the feed then fails: the page must say so, with the reason
        good.scripted["/rss"] = (500, {})
        make_all_due(store)
        once(store, crawl_settings)
    with app_client(store, tmp_path, "2026-12-06T12:00:00") as client:
        page = client.get(f"/source/{source_id}")
    assert page.status_code == 200
    text = page.text
    assert "How its articles arrive" in text and good.base + "/rss" in text
    assert "failing: GET" in text and "HTTP 500" in text and 'class="failing"' in text


def test_a_sitemap_brings_in_its_new_pages_politely(store, crawl_settings):
    from news_pages import page_html

    host = FeedHost("127.0.0.15", robots="User-agent: *\nDisallow: /private/\n")
    paths = ["/news/one", "/news/two", "/private/three"]
    for i, path in enumerate(paths):
        title, text = item_text(40, i)
        host.pages[path] = page_html(
            site="Quay Post",
            title=title,
            paragraphs=[text, text[::-1]],
            published=f"2026-12-0{i + 1}T08:00:00Z",
            section="Local",
            byline="A. Writer",
        ).encode()
    urls = "".join(
        f"<url><loc>{{base}}{p}</loc><lastmod>2026-12-0{i + 1}</lastmod></url>"
        for i, p in enumerate(paths)
    )
    with serving(host):
        host.pages["/sitemap.xml"] = (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + urls.format(base=host.base)
            + "</urlset>"
        ).encode()
        sub_id = subscribe(store, host.base + "/sitemap.xml", kind="sitemap")
        report = once(store, crawl_settings)
        assert report.polls["fetched"] == 1 and report.new == 2
        assert report.failed_items == 1  # the disallowed page: reported, never fetched
        assert host.requests_to("/private/three") == []
        make_all_due(store)
        again = once(store, crawl_settings)
    assert again.new == 0 and again.polls == {"not_modified": 1}
    assert host.max_in_flight == 1 and host.min_gap() >= 0.2 - 0.02
    assert state(store, sub_id).items_total == 2


def test_new_articles_are_enriched_in_a_batch(store, tmp_path, database_url):
    from dateline.store.models import Article, ArticleVector

    settings = _test_settings(
        tmp_path,
        database_url=database_url,
        fetch_allow_networks=LOOPBACK,
        **{**FAST, "enrich_on_ingest": True},
    )
    host = FeedHost("127.0.0.16", feeds={"/rss": Feed(9, items=3)})
    batches = []
    with serving(host):
        subscribe(store, host.base + "/rss")
        report = once(store, settings, on_enrich=batches.append)
    assert report.new == 3 and report.enriched == 3
    assert [b.articles for b in batches] == [3]  # one batch, not one call per article
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(ArticleVector)) == 3
        assert session.scalar(select(func.count()).where(Article.enrich_version.is_not(None))) == 3


def test_a_huge_robots_txt_is_read_up_to_500_kib(store, crawl_settings):
    padding = "# a very long comment line\n" * 30_000  # about 800 KiB after the rule
    host = FeedHost(
        "127.0.0.17",
        feeds={"/private/rss": Feed(1, items=1)},
        robots="User-agent: *\nDisallow: /private/\n" + padding + "Allow: /\n",
    )
    with serving(host):
        sub_id = subscribe(store, host.base + "/private/rss")
        report = once(store, crawl_settings)
    assert report.polls["refused"] == 1 and host.requests_to("/private/rss") == []
    assert "disallowed by robots.txt" in state(store, sub_id).last_error
