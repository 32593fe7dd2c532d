"""`dateline sources` and `dateline crawl` as a user runs them, on both engines, against feed
hosts on loopback; OPML in and out; the polling state on the source page."""

from __future__ import annotations

from datetime import datetime

import pytest

from conftest import LOOPBACK, cli_env
from dateline.crawl.sources import export_opml, import_opml
from dateline.store.db import Store
from dateline.store.subscriptions import list_subscriptions
from feed_server import Feed, FeedHost, serving
from test_cli import run

OPML = b"""<?xml version="1.0"?>
<opml version="2.0"><head><title>My feeds</title></head><body>
  <outline text="News">
    <outline type="rss" text="Harbour Gazette" xmlUrl="https://gazette.example/rss"/>
    <outline type="rss" text="Valley Times" xmlUrl="https://valley.example/feed.xml"/>
  </outline>
  <outline type="rss" text="broken" xmlUrl="ftp://old.example/feed"/>
</body></opml>
"""


@pytest.fixture
def env(database_url, tmp_path):
    return cli_env(
        database_url,
        tmp_path,
        DATELINE_FETCH_ALLOW_NETWORKS=LOOPBACK,
        DATELINE_CRAWL_HOST_DELAY="0.1",
    )


def test_add_list_crawl_show_pause_resume_remove(env):
    host = FeedHost("127.0.0.12", feeds={"/rss": Feed(7, items=2, title="Coast Courier")})
    with serving(host):
        added = run("sources", "add", host.base + "/rss", "--every", "2h", env=env)
        assert added.returncode == 0, added.stderr
        assert "subscribed" in added.stdout and "Coast Courier" in added.stdout
        again = run("sources", "add", host.base + "/rss", env=env)
        assert "known" in again.stdout and "already subscribed" in again.stdout
        listed = run("sources", "list", env=env)
        assert "not polled yet" in listed.stdout and "every 2 h" in listed.stdout
        crawled = run("crawl", "--once", env=env)
        assert crawled.returncode == 0, crawled.stderr
        assert "fetched" in crawled.stdout and "(2 new)" in crawled.stdout
        assert "2 new articles" in crawled.stdout
    shown = run("sources", "show", "1", env=env)
    assert "health  ok" in shown.stdout and "items stored  2" in shown.stdout
    assert run("sources", "pause", "1", env=env).returncode == 0
    assert "paused" in run("sources", "list", env=env).stdout
    assert "resumed" in run("sources", "resume", host.base + "/rss", env=env).stdout
    assert "removed" in run("sources", "remove", "1", env=env).stdout
    missing = run("sources", "show", "1", env=env)
    assert missing.returncode == 1 and "no subscription '1'" in missing.stderr


def test_a_failing_feed_shows_its_error_in_the_list(env):
    host = FeedHost("127.0.0.13", scripted={"/rss": (503, {"Retry-After": "120"})})
    with serving(host):
        run("sources", "add", host.base + "/rss", "--kind", "feed", env=env)
        crawled = run("crawl", "--once", env=env)
    assert "HTTP 503" in crawled.stdout and "1 failed polls" in crawled.stdout
    listed = run("sources", "list", env=env)
    assert "failing: GET" in listed.stdout and "HTTP 503" in listed.stdout


def test_bad_input_gets_a_clear_error(env, tmp_path):
    assert (
        "not an http(s) URL"
        in run("sources", "add", "ftp://x.example/feed", "--kind", "feed", env=env).stderr
    )
    assert (
        "--every 'often'"
        in run("sources", "add", "https://x.example/", "--every", "often", env=env).stderr
    )
    assert (
        "unknown kind"
        in run("sources", "add", "https://x.example/", "--kind", "podcast", env=env).stderr
    )
    junk = tmp_path / "junk.opml"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    result = run("sources", "import", str(junk), env=env)
    assert result.returncode == 1 and "not a readable OPML" in result.stderr
    refused = run("sources", "add", "http://169.254.169.254/latest/meta-data/", env=env)
    assert refused.returncode == 1 and "link-local" in refused.stderr


def test_opml_import_export_round_trip(env, tmp_path):
    path = tmp_path / "feeds.opml"
    path.write_bytes(OPML)
    result = run("sources", "import", str(path), env=env)
    assert result.returncode == 1  # one bad entry: reported, the rest imported
    assert "2 subscribed, 0 already known, 1 failed" in result.stdout
    assert "ftp://old.example/feed" in result.stdout
    again = run("sources", "import", str(path), env=env)
    assert "0 subscribed, 2 already known" in again.stdout
    out = tmp_path / "out.opml"
    assert run("sources", "export", str(out), env=env).returncode == 0
    exported = out.read_bytes()
    assert b'xmlUrl="https://gazette.example/rss"' in exported
    assert b'text="Harbour Gazette"' in exported
    store = Store(env["DATELINE_DATABASE_URL"])
    try:
        report = import_opml(store, exported, datetime(2026, 1, 1))
        assert len(report.known) == 2 and not report.added and not report.failed
        with store.read() as session:
            opml = export_opml(list_subscriptions(session), "x", datetime(2026, 1, 1))
        assert opml.count(b"<outline") == 2
    finally:
        store.dispose()
