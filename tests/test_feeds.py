"""RSS, Atom, sitemap.xml and robots.txt over real HTTP, on both engines.

Feeds are checked twice: by feedparser (what readers use) and structurally with lxml
(the elements the specs require, dates that parse, absolute links that resolve here).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urlsplit

import feedparser
import httpx
import pytest
from lxml import etree
from sqlalchemy import select

from dateline.pipeline import ingest_one
from dateline.settings import load_settings
from dateline.store.models import Article
from dateline.web import sitemap
from dateline.web.feed_data import feed_items, lead_of, xml_text
from http_util import BROWSER_UA

# Links are followed as a crawler would: bots are served but not counted as views, so
# following every feed link leaves other tests' view counts and rankings alone.
CRAWLER_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
ATOM = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
HOSTILE_TITLE = "<script>alert(1)</script> & \"quotes\" 'apos' ]]> Feedcheck Zyxwvu"
HOSTILE_LEAD = "A lead with <b>markup</b> & an ampersand, ]]> and a form\x0cfeed."
HOSTILE_CATEGORY = "Feeds & <checks>"
HOSTILE_SLUG = "feeds-checks"


def client(live_site) -> httpx.Client:
    """A browser-like client (HTTP libraries' own User-Agents count as bots)."""
    return httpx.Client(base_url=live_site.url, timeout=30, headers={"User-Agent": BROWSER_UA})


def local(live_site, url: str) -> str:
    """The path of an absolute site URL (links use base_url; the test server has a port)."""
    base = live_site.settings.base_url.rstrip("/")
    assert url.startswith(base + "/"), f"{url!r} is not an absolute link on {base}"
    return url[len(base) :]


def fresh(live_site) -> None:
    """Drop cached documents, so a response reflects what the test just stored."""
    live_site.app.state.site.pages.clear()


def clock(live_site) -> datetime:
    return datetime.fromisoformat(live_site.settings.site_clock)


def ingest_hostile(live_site, tmp_path) -> int:
    """One old article with a hostile title, lead and category (idempotent per store)."""
    record = {
        "title": HOSTILE_TITLE,
        "body": HOSTILE_LEAD + "\n\nSecond paragraph, not in the feed.",
        "published": "2005-06-15",
        "category": HOSTILE_CATEGORY,
        "url": "https://feeds.example.org/hostile-title",
        "site_name": "Feedcheck <Wire> & Co",
    }
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    reports = ingest_one(str(path), live_site.store, live_site.settings)
    assert reports and reports[0].article_id, reports
    # The site notices a corpus change within page_cache_seconds (its staleness bound).
    deadline = time.monotonic() + 10
    with client(live_site) as c:
        while c.get(f"/c/{HOSTILE_SLUG}/feed.rss").status_code != 200:
            assert time.monotonic() < deadline, "the new category never appeared"
            time.sleep(0.05)
    fresh(live_site)
    return int(reports[0].article_id)


def article_ids(live_site) -> set[int]:
    with live_site.store.read() as session:
        return set(session.scalars(select(Article.id).where(Article.superseded_by_id.is_(None))))


def resolve_all(live_site, urls: list[str]) -> None:
    """Every URL is absolute on base_url and answers 200 here (after its redirects)."""
    with httpx.Client(
        base_url=live_site.url, timeout=30, headers={"User-Agent": CRAWLER_UA}
    ) as crawler:
        for url in urls:
            r = crawler.get(local(live_site, url), follow_redirects=True)
            assert r.status_code == 200, url


# --- RSS ---------------------------------------------------------------------------------------


def check_rss(live_site, c: httpx.Client, path: str, follow: int = 50) -> etree._Element:
    r = c.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/rss+xml; charset=utf-8"
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    root = etree.fromstring(r.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for required in ("title", "link", "description"):
        assert (channel.findtext(required) or "").strip(), required
    self_link = channel.find(f"{ATOM}link[@rel='self']")
    assert local(live_site, self_link.get("href")) == path
    assert self_link.get("type") == "application/rss+xml"
    resolve_all(live_site, [channel.findtext("link")])
    items = channel.findall("item")
    assert len(parsed.entries) == len(items)
    dates = []
    for item in items:
        assert item.findtext("title").strip()
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "true"
        assert local(live_site, guid.text).startswith("/a/")
        assert item.findtext("description").strip()
        source = item.find("source")
        assert source.text.strip() and local(live_site, source.get("url")).startswith("/source/")
        assert item.findtext("category")
        if item.find("pubDate") is not None:  # an undated article has none (test_dates_shown)
            dates.append(parsedate_to_datetime(item.findtext("pubDate")))
    assert dates == sorted(dates, reverse=True), "newest first"
    assert len(dates) == sum(entry.get("published_parsed") is not None for entry in parsed.entries)
    resolve_all(live_site, [i.findtext("link") for i in items][:follow])
    if items:  # the guid is a permalink too: /a/{id} redirects to the article page
        resolve_all(live_site, [items[0].findtext("guid")])
    return channel


def test_rss_home_feed(live_site):
    with client(live_site) as c:
        channel = check_rss(live_site, c, "/feed.rss")
    items = channel.findall("item")
    assert len(items) == 50
    assert channel.findtext("title") == f"{live_site.settings.site_name} — latest"
    assert local(live_site, channel.findtext("link")) == "/"
    # The demo corpus is Wikinews: every such item carries its licence credit.
    wikinews = [i for i in items if "Wikinews" in (i.findtext("description") or "")]
    assert wikinews, "Wikinews items carry a credit"
    assert all("creativecommons.org/licenses/by/2.5" in i.findtext("description") for i in wikinews)


def test_rss_lists_the_newest_plausible_articles(live_site):
    """The feed is the site's latest list, minus articles dated after the clock plus a day."""
    with client(live_site) as c:
        channel = check_rss(live_site, c, "/feed.rss")
    ids = [int(local(live_site, i.findtext("guid")).split("/")[2]) for i in channel.iter("item")]
    with live_site.store.read() as session:
        expected = feed_items(session, clock(live_site))
        too_late = clock(live_site) + timedelta(days=1)
        future = set(session.scalars(select(Article.id).where(Article.published_at > too_late)))
    assert ids == [i.id for i in expected]
    assert not future & set(ids)


# --- Atom --------------------------------------------------------------------------------------


def rfc3339(text: str) -> datetime:
    assert text.endswith("Z") or text[-6] in "+-", text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_atom(live_site, c: httpx.Client, path: str, follow: int = 50) -> etree._Element:
    r = c.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    feed = etree.fromstring(r.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id").startswith(("tag:", "http://", "https://"))
    assert feed.findtext(f"{ATOM}title").strip()
    rfc3339(feed.findtext(f"{ATOM}updated"))
    assert local(live_site, feed.find(f"{ATOM}link[@rel='self']").get("href")) == path
    alternate = feed.find(f"{ATOM}link[@rel='alternate']").get("href")
    resolve_all(live_site, [alternate])
    entries = feed.findall(f"{ATOM}entry")
    assert len(parsed.entries) == len(entries)
    ids = []
    for entry in entries:
        ids.append(entry.findtext(f"{ATOM}id"))
        assert entry.findtext(f"{ATOM}title").strip()
        updated = rfc3339(entry.findtext(f"{ATOM}updated"))
        if entry.find(f"{ATOM}published") is not None:
            assert rfc3339(entry.findtext(f"{ATOM}published")) == updated
        assert entry.find(f"{ATOM}author/{ATOM}name").text.strip()
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
    assert len(ids) == len(set(ids)), "entry ids are unique"
    assert all(i.startswith(("tag:", "http://", "https://")) for i in ids)
    links = [e.find(f"{ATOM}link[@rel='alternate']").get("href") for e in entries]
    resolve_all(live_site, links[:follow])
    return feed


def test_atom_home_feed(live_site):
    with client(live_site) as c:
        feed = check_atom(live_site, c, "/feed.atom")
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 50
    newest = rfc3339(entries[0].findtext(f"{ATOM}updated"))
    assert rfc3339(feed.findtext(f"{ATOM}updated")) == newest
    rights = [e.findtext(f"{ATOM}rights") for e in entries if e.find(f"{ATOM}rights") is not None]
    assert rights and all("CC BY 2.5" in r and "Wikinews" in r for r in rights)


# --- categories --------------------------------------------------------------------------------


def test_category_feeds(live_site):
    site = live_site.app.state.site
    with client(live_site) as c:
        for item in site.nav()[:3]:
            slug, label = item["slug"], item["label"]
            channel = check_rss(live_site, c, f"/c/{slug}/feed.rss", follow=5)
            assert local(live_site, channel.findtext("link")) == f"/c/{slug}"
            assert label in channel.findtext("title")
            assert {i.findtext("category") for i in channel.iter("item")} <= {label}
            feed = check_atom(live_site, c, f"/c/{slug}/feed.atom", follow=5)
            terms = {e.get("term") for e in feed.iter(f"{ATOM}category")}
            assert terms <= {label}


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_unknown_category_feed_is_404(live_site, kind):
    with client(live_site) as c:
        assert c.get(f"/c/no-such-category/feed.{kind}").status_code == 404


def test_hostile_text_is_escaped(live_site, tmp_path):
    article_id = ingest_hostile(live_site, tmp_path)
    with client(live_site) as c:
        rss_raw = c.get(f"/c/{HOSTILE_SLUG}/feed.rss").content
        atom_raw = c.get(f"/c/{HOSTILE_SLUG}/feed.atom").content
        channel = check_rss(live_site, c, f"/c/{HOSTILE_SLUG}/feed.rss")
        feed = check_atom(live_site, c, f"/c/{HOSTILE_SLUG}/feed.atom")
    for raw in (rss_raw, atom_raw):
        assert b"<script>" not in raw and b"<b>" not in raw and b"\x0c" not in raw
    item = channel.find("item")
    assert item.findtext("title") == HOSTILE_TITLE
    assert (
        item.findtext("description")
        == "A lead with <b>markup</b> & an ampersand, ]]> and a form feed."
    )
    assert item.findtext("category") == HOSTILE_CATEGORY
    assert HOSTILE_CATEGORY in channel.findtext("title")
    assert local(live_site, item.findtext("guid")) == f"/a/{article_id}"
    entry = feed.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == HOSTILE_TITLE
    assert entry.find(f"{ATOM}category").get("term") == HOSTILE_CATEGORY
    assert entry.find(f"{ATOM}rights") is None, "no credit for a source without a licence"
    assert feedparser.parse(rss_raw).entries[0].title.endswith("Feedcheck Zyxwvu")


# --- sitemap and robots ------------------------------------------------------------------------


def sitemap_locs(live_site, c: httpx.Client, path: str) -> tuple[str, list[etree._Element]]:
    r = c.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/xml; charset=utf-8"
    root = etree.fromstring(r.content)
    return root.tag, list(root)


def article_id_of(live_site, url: str) -> int | None:
    parts = local(live_site, url).split("/")
    return int(parts[2]) if len(parts) == 4 and parts[1] == "a" else None


def test_sitemap_lists_every_article_once(live_site, tmp_path):
    hostile = ingest_hostile(live_site, tmp_path)
    with client(live_site) as c:
        tag, urls = sitemap_locs(live_site, c, "/sitemap.xml")
        assert tag == f"{SM}urlset"
        locs = [u.findtext(f"{SM}loc") for u in urls]
        assert len(locs) == len(set(locs)) <= sitemap.MAX_URLS
        ids = [i for i in (article_id_of(live_site, loc) for loc in locs) if i is not None]
        assert len(ids) == len(set(ids)) and set(ids) == article_ids(live_site)
        assert hostile in ids
        paths = [local(live_site, loc) for loc in locs]
        assert "/" in paths
        nav = live_site.app.state.site.nav()
        assert {f"/c/{n['slug']}" for n in nav} <= set(paths)
        too_late = clock(live_site) + timedelta(days=1)
        with live_site.store.read() as session:
            undated = set(session.scalars(select(Article.id).where(Article.published_at.is_(None))))
        for url in urls:
            lastmod = url.findtext(f"{SM}lastmod")
            article = article_id_of(live_site, url.findtext(f"{SM}loc"))
            if lastmod is not None and article is not None:
                # an implausible claim is never repeated; first-seen dates are our own
                assert rfc3339(lastmod).replace(tzinfo=None) <= too_late or article in undated
        non_articles = [p for p in paths if not p.startswith("/a/")]
        resolve_all(live_site, [locs[paths.index(p)] for p in non_articles])
        some_articles = [loc for loc in locs if "/a/" in loc][:10] + [
            loc for loc in locs if article_id_of(live_site, loc) == hostile
        ]
        for loc in some_articles:  # the sitemap's URL is the canonical one: no redirect
            path = local(live_site, loc)
            assert c.get(path, headers={"User-Agent": CRAWLER_UA}).status_code == 200, loc
            assert unquote(urlsplit(loc).path) == unquote(path)


def test_sitemap_index_for_large_sites(live_site, monkeypatch):
    """Over MAX_URLS the sitemap is an index of id-range parts (lowered here to 100)."""
    monkeypatch.setattr(sitemap, "MAX_URLS", 100)
    fresh(live_site)
    try:
        with client(live_site) as c:
            tag, entries = sitemap_locs(live_site, c, "/sitemap.xml")
            assert tag == f"{SM}sitemapindex"
            parts = [e.findtext(f"{SM}loc") for e in entries]
            assert local(live_site, parts[0]) == "/sitemap-site.xml"
            seen: list[int] = []
            site_paths: list[str] = []
            for part in parts:
                part_tag, urls = sitemap_locs(live_site, c, local(live_site, part))
                assert part_tag == f"{SM}urlset" and 0 < len(urls) <= 100
                for url in urls:
                    loc = url.findtext(f"{SM}loc")
                    found = article_id_of(live_site, loc)
                    if found is None:
                        site_paths.append(local(live_site, loc))
                    else:
                        seen.append(found)
            assert len(seen) == len(set(seen)) and set(seen) == article_ids(live_site)
            assert "/" in site_paths
            assert c.get("/sitemap-99999.xml").status_code == 404
    finally:
        monkeypatch.undo()
        fresh(live_site)


def test_robots_txt(live_site):
    with client(live_site) as c:
        r = c.get("/robots.txt")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    lines = r.text.splitlines()
    assert lines[0] == "User-agent: *" and "Allow: /" in lines
    for path in ("/me", "/search", "/api/", "/a/*/react"):
        assert f"Disallow: {path}" in lines
    sitemap_line = [line for line in lines if line.startswith("Sitemap: ")]
    assert sitemap_line == [f"Sitemap: {live_site.settings.base_url.rstrip('/')}/sitemap.xml"]


# --- caching -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/feed.rss", "/feed.atom", "/c/uncategorised/feed.rss", "/sitemap.xml", "/robots.txt"]
)
def test_cache_headers_and_conditional_get(live_site, path):
    with client(live_site) as c:
        first = c.get(path)
        assert first.status_code == 200
        control = first.headers["cache-control"]
        assert control.startswith("public, max-age=")
        assert int(control.split("=")[1]) <= live_site.settings.page_cache_seconds
        etag = first.headers["etag"]
        time.sleep(live_site.settings.page_cache_seconds + 0.1)  # rebuilt: same bytes, same tag
        again = c.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        assert c.get(path, headers={"If-None-Match": f"W/{etag}"}).status_code == 304
        assert c.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
        head = c.head(path)
        assert head.status_code == 200 and head.content == b""
        modified = first.headers.get("last-modified")
        if path.startswith(("/feed", "/c/")):
            assert modified is not None
        if modified:
            assert c.get(path, headers={"If-Modified-Since": modified}).status_code == 304
            earlier = parsedate_to_datetime(modified) - timedelta(seconds=1)
            older = earlier.strftime("%a, %d %b %Y %H:%M:%S GMT")
            assert c.get(path, headers={"If-Modified-Since": older}).status_code == 200


# --- units: feed selection and text ------------------------------------------------------------


def test_feed_leaves_out_implausible_future_dates(store, tmp_path):
    """Dated after the clock plus a day: left out; undated (first-seen) and plausible: in."""
    settings = load_settings(environ={"DATELINE_DATA_DIR": str(tmp_path)})
    now = datetime(2020, 12, 29)
    lines = [
        {"title": "Yesterday", "body": "Plausible.", "published": "2020-12-28"},
        {"title": "Tomorrow-ish", "body": "Time zones.", "published": "2020-12-29T20:00:00"},
        {"title": "Far future", "body": "A content farm's date.", "published": "2031-01-01"},
        {"title": "Undated", "body": "No date at all; first seen counts."},
    ]
    path = tmp_path / "dates.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert all(r.article_id for r in ingest_one(str(path), store, settings))
    with store.read() as session:
        titles = [i.title for i in feed_items(session, now)]
    assert "Far future" not in titles
    assert set(titles) == {"Yesterday", "Tomorrow-ish", "Undated"}


def test_lead_is_first_paragraph_cut_at_a_word():
    assert lead_of("\n\nFirst  para\nwraps.\n\nSecond.") == "First para wraps."
    long = lead_of(("word " * 300).strip())
    assert long.endswith("…") and len(long) <= 601 and "wor…" not in long
    assert xml_text("a\x00b\x0cc\td\ud800e") == "abc\tde"
