"""The fast path (web/fastpath.py) against the FastAPI routes it short-cuts, on both engines."""

from __future__ import annotations

import re

import httpx
import pytest
from lxml import html as lxml_html

from dateline.store.models import ArticleStats
from dateline.web.contexts import ArticleList, ListEntry
from dateline.web.site import _items, render_items, render_reaction
from http_util import BROWSER_UA

TITLE = "US professional wrestler Jon Huber dies aged 41"


def client(live_site, **headers: str) -> httpx.Client:
    return httpx.Client(
        base_url=live_site.url,
        timeout=30,
        follow_redirects=False,
        headers={"User-Agent": BROWSER_UA, **headers},
    )


def article_path(live_site, title: str = TITLE) -> str:
    with client(live_site) as c:
        page = lxml_html.fromstring(c.get("/search", params={"q": f'"{title}"'}).text)
    return page.xpath("//ol[contains(@class,'results')]//a/@href")[0].split("?")[0]


def slow(live_site, path: str, cookie: str | None) -> bytes:
    """The same page through FastAPI: a query string makes the fast path step aside."""
    with client(live_site) as c:
        if cookie:
            c.cookies.set("dl_reader", cookie)
        r = c.get(path, params={"via": "route"})
    assert r.status_code == 200
    return r.content


@pytest.fixture
def steady(live_site, monkeypatch):
    """The live site with long cache lifetimes (nothing expires mid-test), recording
    whether each article page was served by the fast path (``block=False``)."""
    site = live_site.app.state.site
    for cache in (site.pages, site.counts_cache):
        monkeypatch.setattr(cache, "ttl", 60.0)
        monkeypatch.setattr(cache, "refresh_after", 45.0)
    site.catalog.fresh()
    monkeypatch.setattr(site.catalog, "check_seconds", 60.0)
    served: list[bool] = []
    original = site.serve_article

    def serve(*args, block, **kwargs):
        body = original(*args, block=block, **kwargs)
        if body is not None:
            served.append(block)
        return body

    monkeypatch.setattr(site, "serve_article", serve)
    return served


def test_fast_path_serves_the_same_bytes_as_the_route(live_site, steady):
    path = article_path(live_site)
    with client(live_site) as c:
        c.get(path)  # fills the caches, issues the cookie
        cookie = c.cookies["dl_reader"]
        c.get(path)  # the reader's own state is built by the route the first time
        # that view (the reader's first under their cookie) has the state rebuilt off the
        # request path (site_core.invalidate_reader); the next request is served from it
        live_site.app.state.site.refresher.drain()
        steady.clear()
        fast = c.get(path)
        assert fast.status_code == 200 and "set-cookie" not in fast.headers
        assert steady == [False], "answered by the fast path"
    assert fast.content == slow(live_site, path, cookie)
    assert steady == [False, True]
    assert fast.headers["content-type"] == "text/html; charset=utf-8"
    assert fast.headers["cache-control"] == "private, no-cache"
    assert "script-src 'self'" in fast.headers["content-security-policy"]
    with client(live_site) as c:
        home = c.get("/")
        assert home.status_code == 200 and "dl_reader" in home.headers["set-cookie"]
        assert c.get("/").content == home.content


def test_cookie_is_issued_once_and_parts_differ_per_reader(live_site):
    path = article_path(live_site)
    tokens = []
    for n in range(2):
        # A browser of its own: a cookieless view is keyed by IP and User-Agent, and this
        # worker skips a key's second view of an hour (seen_views) even when an earlier
        # test's reader erased the first one from the database (/me/clear).
        with httpx.Client(
            base_url=live_site.url,
            timeout=30,
            follow_redirects=False,
            headers={"User-Agent": f"{BROWSER_UA} cookie-test/{n}"},
        ) as c:
            first = c.get(path)
            cookie = first.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie
            second = c.get(path)
            # Not issued again; only the first-view cookie is cleared (web/first_view.py).
            assert second.headers.get_list("set-cookie") == [
                "dl_first=; HttpOnly; Max-Age=0; Path=/; SameSite=lax"
            ]
            assert "set-cookie" not in c.get(path).headers
            page = lxml_html.fromstring(second.text)
            tokens.append(page.xpath("//form[@class='reaction']/input[@name='csrf']/@value")[0])
    assert tokens[0] != tokens[1] and all(len(t) == 32 for t in tokens)


def test_views_are_counted_through_the_fast_path(live_site):
    path = article_path(
        live_site, "Chilean authorities report first COVID-19 outbreak in Antarctica"
    )
    article_id = int(path.split("/")[2])

    def views() -> int:
        live_site.app.state.site.events.flush()
        with live_site.store.read() as s:
            stats = s.get(ArticleStats, article_id)
            return stats.views if stats else 0

    with client(live_site) as warm:
        warm.get(path)
    start = views()
    readers = [client(live_site) for _ in range(3)]
    for c in readers:
        c.get(path)  # no cookie: counted by IP + UA (the same for all three: once)
        for _ in range(3):
            assert c.get(path).status_code == 200  # with the cookie: once per reader
        c.close()
    assert views() == start + 3


def test_wrong_slug_redirects_and_query_strings_fall_through(live_site):
    path = article_path(live_site)
    article_id = path.split("/")[2]
    with client(live_site) as c:
        c.get(path)
        r = c.get(f"/a/{article_id}/wrong-slug")
        assert r.status_code == 301 and r.headers["location"] == path
        data = c.get(path, params={"format": "json"})
        assert data.headers["content-type"].startswith("application/json")
        assert data.json()["article"]["id"] == int(article_id)
        assert c.head(path).status_code in (200, 405)
        assert c.get(f"/a/{article_id}0000000/x").status_code == 404


def test_reaction_invalidates_at_once(live_site, steady):
    path = article_path(
        live_site, "Prime Minister of Slovakia Igor Matovič tests positive for COVID-19"
    )
    article_id = path.split("/")[2]
    # Its own User-Agent: its cookieless first view must not be another test's viewer.
    with client(live_site, **{"User-Agent": BROWSER_UA + " reaction-test"}) as c:
        page = lxml_html.fromstring(c.get(path).text)
        page = lxml_html.fromstring(c.get(path).text)  # served by the fast path
        token = page.xpath("//form[@class='reaction']/input[@name='csrf']/@value")[0]
        before = int(page.xpath("//span[@class='reaction-count']")[0].text)
        assert c.post(f"/a/{article_id}/react", data={"csrf": token}).status_code == 303
        after = lxml_html.fromstring(c.get(path).text)
        assert after.xpath("//button[@class='reaction-button']/@aria-pressed") == ["true"]
        assert int(after.xpath("//span[@class='reaction-count']")[0].text) == before + 1
        # With long cache lifetimes this is the invalidation at work, not expiry: the
        # dropped parts made the next request take the route, which rebuilt them.
        assert steady[-1] is True
        c.post(f"/a/{article_id}/react", data={"csrf": token})


def test_fstring_renderers_match_the_templates(live_site):
    from dateline.store.queries import ArticleSummary

    site = live_site.app.state.site
    odd = ArticleSummary(3, 'A <b> & "q" \'s', "a-b-q", None, 1, "S", "C", True)
    other = ArticleSummary(4, "Plain", "plain", None, 1, "S", "C", True)
    lists = ([], [ListEntry(odd, "why & <x>", 1), ListEntry(other, "newest", 2)])
    # with a reader's token, each item carries its "less like this" form
    for entries, csrf in [(e, c) for e in lists for c in ("", 't"<&' * 8)]:
        lst = ArticleList("recommendation", "Recommendation", entries)
        jinja = site.templates.get_template("recommendation.html").render(
            lst=lst, article_id=7, csrf=csrf
        )
        items = _items("recommendation", entries, csrf)
        assert render_items("recommendation", "Recommendation", items, 7, 8) == jinja
        assert ('action="/me/less"' in jinja) == bool(csrf and entries)
    for reacted, count in ((True, 1), (False, 0), (False, 12)):
        jinja = site.templates.get_template("reaction.html").render(
            article_id=9, csrf="t" * 32, reacted=reacted, count=count
        )
        assert render_reaction(9, "t" * 32, reacted, count) == jinja
    assert re.search(r"\d", render_reaction(1, "", False, 5))


# --- impressions ------------------------------------------------------------------------------


def _links(page) -> dict[str, list[tuple[int, int, str]]]:
    """(position, article id, href) of each list's links on an article page, by list."""
    out: dict[str, list[tuple[int, int, str]]] = {}
    for name in ("related", "ranking", "recommendation"):
        rows = []
        for href in page.xpath(f"//section[contains(@class,'list-{name}')]//li/a/@href"):
            m = re.match(r"/a/(\d+)/[^?]*\?from=(\w+)&pos=(\d+)&on=\d+$", href)
            assert m and m.group(2) == name, href
            rows.append((int(m.group(3)), int(m.group(1)), href))
        out[name] = rows
    return out


def _impressions(live_site, viewer_key: str) -> list[tuple[str, int, int, bool]]:
    from sqlalchemy import select

    from dateline.store.models import Event

    live_site.app.state.site.events.flush()
    with live_site.store.read() as s:
        rows = s.execute(
            select(Event.list_name, Event.position, Event.article_id, Event.clicked)
            .where(Event.kind == "impression", Event.viewer_key == viewer_key)
            .order_by(Event.id)
        ).all()
    return [(r[0], r[1], r[2], bool(r[3])) for r in rows]


def test_list_impressions_and_clicks_are_recorded(live_site, monkeypatch):
    site = live_site.app.state.site
    monkeypatch.setattr(site, "impression_rate", 1.0)
    path = article_path(
        live_site, "Chilean authorities report first COVID-19 outbreak in Antarctica"
    )
    with client(live_site) as c:
        c.get("/")  # a cookie first, so the article view below is the reader's own
        key = f"r:{c.cookies['dl_reader']}"
        pages = [lxml_html.fromstring(c.get(path).text) for _ in range(2)]
        first, links = _links(pages[0]), _links(pages[1])
        assert all(links.values()), "all three lists show something"
        # The shared lists are the same on a reload; the Recommendation has taken in the
        # first view by the second (site_core.invalidate_reader).
        assert first["related"] == links["related"] and first["ranking"] == links["ranking"]
        recorded = _impressions(live_site, key)
        # Once: the second view in the same hour is not counted, nor are its impressions:
        # what is recorded is what the first load showed.
        expected = sorted(
            (name, pos, aid, False) for name, rows in first.items() for pos, aid, _ in rows
        )
        assert sorted(recorded) == expected
        # A click on a Ranking link marks that impression clicked (no new row for it).
        pos, target, href = links["ranking"][1]
        assert c.get(href).status_code == 200
        after = _impressions(live_site, key)
        assert ("ranking", pos, target, True) in after
        assert ("ranking", pos, target, False) not in after
        clicked = [r for r in after if r[3]]
        assert clicked == [("ranking", pos, target, True)]


def test_impression_sampling_is_per_viewer_and_can_be_off(live_site, monkeypatch):
    site = live_site.app.state.site
    keys = [f"r:reader{n}" for n in range(4000)]
    monkeypatch.setattr(site, "impression_rate", 0.25)
    chosen = [k for k in keys if site.samples(k)]
    assert 800 < len(chosen) < 1200
    assert chosen == [k for k in keys if site.samples(k)], "a stable choice"
    monkeypatch.setattr(site, "impression_rate", 0.0)
    assert not any(site.samples(k) for k in keys)
    path = article_path(
        live_site, "Prime Minister of Slovakia Igor Matovič tests positive for COVID-19"
    )
    with client(live_site) as c:
        c.get("/")
        key = f"r:{c.cookies['dl_reader']}"
        page = lxml_html.fromstring(c.get(path).text)
        href = _links(page)["ranking"][0][2]
        c.get(href)
        assert _impressions(live_site, key) == []


def test_settings_validate_the_sample_rate():
    from dateline.settings import ConfigError, load_settings

    assert load_settings(environ={}).impression_sample_rate == 0.05
    ok = load_settings(environ={"DATELINE_IMPRESSION_SAMPLE_RATE": "1"})
    assert ok.impression_sample_rate == 1.0
    with pytest.raises(ConfigError, match="IMPRESSION_SAMPLE_RATE"):
        load_settings(environ={"DATELINE_IMPRESSION_SAMPLE_RATE": "1.5"})


# --- invalidation across workers and stampedes ---------------------------------------------------


def test_other_workers_show_a_reaction_within_page_cache_seconds(live_site):
    import time

    from dateline.web.site import Site

    site = live_site.app.state.site
    other = Site(live_site.settings, live_site.store)  # a second worker on the same database
    path = article_path(live_site, "US professional wrestler Jon Huber dies aged 41")
    article_id = int(path.split("/")[2])
    with client(live_site) as c:
        page = lxml_html.fromstring(c.get(path).text)
        cookie = c.cookies["dl_reader"]
        token = page.xpath("//form[@class='reaction']/input[@name='csrf']/@value")[0]
        cached = other.cached_article(article_id)
        assert cached is not None

        def count_in_other() -> int:
            body = other.compose_article(cached, article_id, cookie, True, block=True)
            assert body is not None
            found = re.search(rb'class="reaction-count"[^>]*>(\d+)<', body[0])
            assert found
            return int(found.group(1))

        before = count_in_other()
        assert c.post(f"/a/{article_id}/react", data={"csrf": token}).status_code == 303
        reacted = time.monotonic()
        while count_in_other() != before + 1:
            assert time.monotonic() - reacted < site.settings.page_cache_seconds + 1.0
            time.sleep(0.02)
        c.post(f"/a/{article_id}/react", data={"csrf": token})


def test_concurrent_misses_build_a_shared_page_once(live_site):
    import threading

    from dateline.web.site import Site

    other = Site(live_site.settings, live_site.store)
    other.catalog.fresh()
    article_id = int(article_path(live_site).split("/")[2])
    barrier = threading.Barrier(16)
    got = []

    def hit() -> None:
        barrier.wait()
        got.append(other.cached_article(article_id))

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 16 and all(g is got[0] for g in got) and got[0] is not None
    assert other.skeletons.builds == 1
