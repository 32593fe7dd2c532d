"""The fast path (web/fastpath.py) against the FastAPI routes it short-cuts, on both engines."""

from __future__ import annotations

import re

import httpx
from lxml import html as lxml_html

from dateline.store.models import ArticleStats
from dateline.web.contexts import ArticleList, ListEntry
from dateline.web.site import _items, render_items, render_reaction

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/140.0"
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
    """The same page through FastAPI: an empty query string makes the fast path step aside."""
    with client(live_site) as c:
        if cookie:
            c.cookies.set("dl_reader", cookie)
        r = c.get(path + "?")
    assert r.status_code == 200
    return r.content


def test_fast_path_serves_the_same_bytes_as_the_route(live_site):
    path = article_path(live_site)
    with client(live_site) as c:
        c.get(path)  # fills the caches, issues the cookie
        cookie = c.cookies["dl_reader"]
        fast = c.get(path)
        assert fast.status_code == 200 and "set-cookie" not in fast.headers
    assert fast.content == slow(live_site, path, cookie)
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
    for _ in range(2):
        with client(live_site) as c:
            first = c.get(path)
            cookie = first.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie
            second = c.get(path)
            assert "set-cookie" not in second.headers
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


def test_reaction_invalidates_at_once(live_site):
    path = article_path(
        live_site, "Prime Minister of Slovakia Igor Matovič tests positive for COVID-19"
    )
    article_id = path.split("/")[2]
    with client(live_site) as c:
        page = lxml_html.fromstring(c.get(path).text)
        page = lxml_html.fromstring(c.get(path).text)  # served by the fast path
        token = page.xpath("//form[@class='reaction']/input[@name='csrf']/@value")[0]
        before = int(page.xpath("//span[@class='reaction-count']")[0].text)
        assert c.post(f"/a/{article_id}/react", data={"csrf": token}).status_code == 303
        after = lxml_html.fromstring(c.get(path).text)
        assert after.xpath("//button[@class='reaction-button']/@aria-pressed") == ["true"]
        assert int(after.xpath("//span[@class='reaction-count']")[0].text) == before + 1
        c.post(f"/a/{article_id}/react", data={"csrf": token})


def test_fstring_renderers_match_the_templates(live_site):
    from dateline.store.queries import ArticleSummary

    site = live_site.app.state.site
    odd = ArticleSummary(3, 'A <b> & "q" \'s', "a-b-q", None, 1, "S", "C", True)
    other = ArticleSummary(4, "Plain", "plain", None, 1, "S", "C", True)
    for entries in ([], [ListEntry(odd, "why & <x>", 1), ListEntry(other, "newest", 2)]):
        lst = ArticleList("recommendation", "Recommendation", entries)
        jinja = site.templates.get_template("recommendation.html").render(lst=lst, article_id=7)
        assert (
            render_items(
                "recommendation", "Recommendation", _items("recommendation", entries), 7, 8
            )
            == jinja
        )
    for reacted, count in ((True, 1), (False, 0), (False, 12)):
        jinja = site.templates.get_template("reaction.html").render(
            article_id=9, csrf="t" * 32, reacted=reacted, count=count
        )
        assert render_reaction(9, "t" * 32, reacted, count) == jinja
    assert re.search(r"\d", render_reaction(1, "", False, 5))
