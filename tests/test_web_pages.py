"""The reader site over real HTTP, on both engines: every page route and its errors."""

from __future__ import annotations

import re

import httpx
import pytest
from lxml import html as lxml_html

from http_util import app_client, client

SEED_000_TITLE = (
    "North Korea’s top diplomat in Moscow for talks on ties amid concerns over alleged arms deal"
)


def doc(response: httpx.Response):
    assert response.headers["content-type"].startswith("text/html")
    return lxml_html.fromstring(response.text)


def find_article(live_site, title: str) -> str:
    with client(live_site) as c:
        r = c.get("/search", params={"q": f'"{title}"'})
    hrefs = doc(r).xpath("//ol[contains(@class,'results')]//a/@href")
    assert hrefs, f"{title!r} not found by search"
    return hrefs[0].split("?")[0]


def test_home_lists_latest_and_sections(live_site):
    with client(live_site) as c:
        r = c.get("/")
    assert r.status_code == 200
    page = doc(r)
    assert page.xpath("//main//h2[normalize-space()='Latest']")
    assert len(page.xpath("//section[@class='latest']//li")) == 20
    assert page.xpath("//nav[@aria-label='Sections']//a")
    assert "dl_reader" in r.headers.get("set-cookie", "")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_security_headers_on_every_page(live_site):
    with client(live_site) as c:
        for path in ("/", "/about", "/nope", "/static/site.css"):
            r = c.get(path)
            csp = r.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["x-frame-options"] == "DENY"


def test_no_inline_scripts_or_handlers(live_site):
    with client(live_site) as c:
        path = find_article(live_site, "US professional wrestler Jon Huber dies aged 41")
        for url in ("/", path, "/about", "/privacy", "/me", "/search?q=covid"):
            page = doc(c.get(url, follow_redirects=True))
            for script in page.xpath("//script"):
                assert script.get("src") or script.get("type") == "application/ld+json", url
            handlers = [
                a
                for el in page.iter()
                if isinstance(el.tag, str)
                for a in el.attrib
                if a.lower().startswith("on")
            ]
            assert not handlers, (url, handlers)


def test_static_assets_are_cached(live_site):
    with client(live_site) as c:
        r = c.get("/static/site.css")
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]


def test_article_page_anatomy_in_order(live_site):
    path = find_article(live_site, "US professional wrestler Jon Huber dies aged 41")
    with client(live_site) as c:
        r = c.get(path)
    assert r.status_code == 200
    page = doc(r)
    article = page.xpath("//article")[0]
    order = [el.get("class") or el.tag for el in article.iterchildren() if isinstance(el.tag, str)]
    wanted = ["breadcrumb", "headline", "byline", "stats", "dates", "body", "reaction"]
    positions = [next(i for i, c in enumerate(order) if w in c) for w in wanted]
    assert positions == sorted(positions), order
    lists = [s.get("class") for s in page.xpath("//div[@class='lists']/section")]
    assert lists == ["list list-related", "list list-ranking", "list list-recommendation"]
    assert len(page.xpath("//section[contains(@class,'list-ranking')]//li")) == 8
    assert len(page.xpath("//section[contains(@class,'list-recommendation')]//li")) == 8
    # Wikinews credit with the original URL and the licence.
    credit = page.xpath("//p[@class='credit']")[0]
    assert "Wikinews" in credit.text_content()
    assert credit.xpath(".//a[@rel='license nofollow noopener']/@href") == [
        "https://creativecommons.org/licenses/by/2.5/"
    ]
    assert page.xpath("//link[@rel='canonical']/@href")[0].endswith(path)
    assert page.xpath("//script[@type='application/ld+json']")


def test_wrong_slug_redirects_to_the_canonical_one(live_site):
    path = find_article(live_site, "US professional wrestler Jon Huber dies aged 41")
    article_id = path.split("/")[2]
    with client(live_site) as c:
        r = c.get(f"/a/{article_id}/wrong-slug")
        assert r.status_code == 301 and r.headers["location"] == path
        assert c.get(f"/a/{article_id}").headers["location"] == path


def test_seed_page_shows_claims_not_chrome(live_site):
    path = find_article(live_site, SEED_000_TITLE)
    with client(live_site) as c:
        page = doc(c.get(path))
    assert page.xpath("//h1[@class='headline']")[0].text_content() == SEED_000_TITLE
    crumb = page.xpath("//nav[@class='breadcrumb']")[0].text_content()
    # The classifier's category, with the copying page's claim shown as its claim.
    assert "filed it under “Markets”" in crumb and "Markets" not in crumb.split("(")[0]
    assert page.xpath("//span[@class='source']/a")[0].text_content() == "AP News"
    assert "Aspire Money Growth" in page.xpath("//details[@class='carriers']")[0].text_content()
    assert page.xpath("//span[@class='agency']")[0].text_content() == "wire: AP"
    body = page.xpath("//div[@class='body']")[0]
    assert body.xpath("./p[1]/span[@class='dateline']")[0].text == "MOSCOW"
    text = body.text_content()
    for chrome in (
        "veryGood",
        "IRS recovers $4.7 billion",
        "Meta donates $1 million",
        "Related",
        "Ranking",
        "Recommendation",
    ):
        assert chrome not in text
    # The copying page's reaction count is its claim, never shown as ours.
    count = page.xpath("//span[@class='reaction-count']")[0].text_content().strip()
    assert count != "7359" and "7359" not in page.xpath("//article")[0].text_content()


def test_reaction_toggle_with_csrf(live_site):
    path = find_article(
        live_site, "Chilean authorities report first COVID-19 outbreak in Antarctica"
    )
    article_id = path.split("/")[2]
    with client(live_site) as c:
        first = c.get(path)
        token = doc(first).xpath("//form[@class='reaction']/input[@name='csrf']/@value")[0]
        before = int(doc(first).xpath("//span[@class='reaction-count']")[0].text)
        # Without the token: refused.
        assert c.post(f"/a/{article_id}/react").status_code == 403
        assert c.post(f"/a/{article_id}/react", data={"csrf": "forged"}).status_code == 403
        # The plain form post (no JavaScript): 303 back to the article.
        r = c.post(f"/a/{article_id}/react", data={"csrf": token})
        assert r.status_code == 303 and r.headers["location"].startswith(path)
        page = doc(c.get(path))
        button = page.xpath("//button[@class='reaction-button']")[0]
        assert button.get("aria-pressed") == "true"
        assert int(page.xpath("//span[@class='reaction-count']")[0].text) == before + 1
        # The JSON flavour (fetch from site.js) toggles it back.
        r = c.post(
            f"/a/{article_id}/react", headers={"X-CSRF-Token": token, "Accept": "application/json"}
        )
        assert r.json() == {"article_id": int(article_id), "reacted": False, "count": before}
    # Another reader's token does not work with this reader's cookie.
    with client(live_site) as other:
        other.get(path)
        assert other.post(f"/a/{article_id}/react", data={"csrf": token}).status_code == 403


def test_views_count_once_per_reader_per_hour(live_site):
    import time

    path = find_article(
        live_site, "Prime Minister of Slovakia Igor Matovič tests positive for COVID-19"
    )
    article_id = int(path.split("/")[2])

    def views() -> int:
        from dateline.store.models import ArticleStats

        live_site.app.state.site.events.flush()
        with live_site.store.read() as s:
            stats = s.get(ArticleStats, article_id)
            return stats.views if stats else 0

    start = views()
    with client(live_site) as reader:
        reader.get(path)  # no cookie yet: counted by IP + User-Agent
        reader.get(path)
        reader.get(path)
    time.sleep(0.2)
    assert views() == start + 2, "once without the cookie, once with it"
    with client(live_site, headers={"User-Agent": "Googlebot/2.1"}) as bot:
        bot.get(path)
    assert views() == start + 2


def test_category_source_latest_and_pagination(live_site):
    with client(live_site) as c:
        home = doc(c.get("/"))
        category = home.xpath("//nav[@aria-label='Sections']//a/@href")[0]
        r = c.get(category)
        assert r.status_code == 200
        seen = []
        url = "/latest"
        for _ in range(30):
            page = doc(c.get(url))
            seen += page.xpath("//ol[@class='summaries']//a/@href")
            nxt = page.xpath("//a[@rel='next']/@href")
            if not nxt:
                break
            url = "/latest" + nxt[0]
        assert len(seen) == len(set(seen)) >= 320
        source = doc(c.get(seen[0], follow_redirects=True)).xpath(
            "//span[@class='source']/a/@href"
        )[0]
        assert c.get(source).status_code == 200


def test_sections_are_the_classifiers_categories_and_say_so(live_site):
    with client(live_site) as c:
        cats = c.get("/api/v1/categories").json()
        nav = doc(c.get("/")).xpath("//nav[@aria-label='Sections']//a/text()")
        # the menu: the site's own categories, then Uncategorised; no source's claim
        assert nav == [x["name"] for x in cats if not x["is_claim"]]
        assert nav.index("Uncategorised") > nav.index("World")
        claims = [x for x in cats if x["is_claim"]]
        assert claims, "the demo corpus has a source's own category the classifier was unsure of"
        assert [x["name"] for x in cats].index(claims[0]["name"]) > len(nav) - 1
        for cat in cats:
            text = " ".join(doc(c.get(f"/c/{cat['slug']}")).xpath("//p[@class='lede']//text()"))
            assert "classifier" in text and "lands" not in text
            if cat["is_claim"]:
                assert f"their source files under “{cat['name']}”" in text
            elif cat["name"] != "Uncategorised":
                assert f"classifier files under {cat['name']}." in text


def test_search_finds_words_and_marks_them(live_site):
    with client(live_site) as c:
        r = c.get("/search", params={"q": "Antarctica"})
        page = doc(r)
        titles = [a.text_content() for a in page.xpath("//ol[contains(@class,'results')]/li/a")]
        assert "Chilean authorities report first COVID-19 outbreak in Antarctica" in titles
        assert page.xpath("//mark")
        assert "No articles match" in doc(c.get("/search", params={"q": "zzqqxx"})).text_content()
        hostile = c.get("/search", params={"q": '"<script>alert(1)</script> NEAR( OR *'})
        assert hostile.status_code == 200 and "<script>alert" not in hostile.text


@pytest.mark.parametrize(
    "path", ["/nope", "/a/999999/x", "/a/999999", "/c/no-such-category", "/source/999999"]
)
def test_missing_pages_are_404_html_with_json_twin(live_site, path):
    with client(live_site) as c:
        r = c.get(path)
        assert r.status_code == 404 and "<h1>" in r.text
        j = c.get(path, params={"format": "json"})
        assert j.status_code == 404
        assert j.json()["error"]["status"] == 404 and j.json()["error"]["code"] == "not_found"


def test_invalid_ids_are_422_not_500(live_site):
    with client(live_site) as c:
        assert c.get("/a/notanumber/slug").status_code == 422
        assert c.get("/source/xyz").status_code == 422


def test_json_twins_share_the_context(live_site):
    path = find_article(live_site, "US professional wrestler Jon Huber dies aged 41")
    with client(live_site) as c:
        data = c.get(path, params={"format": "json"}).json()
        html_page = doc(c.get(path))
    assert data["article"]["title"] == html_page.xpath("//h1")[0].text_content()
    assert [e["article"]["id"] for e in data["related"]["entries"]] == [
        int(re.search(r"/a/(\d+)/", h).group(1))
        for h in html_page.xpath("//section[contains(@class,'list-related')]//a/@href")
    ]
    assert len(data["ranking"]["entries"]) == 8


def test_about_privacy_me(live_site):
    with client(live_site) as c:
        about_page = doc(c.get("/about"))
        about = about_page.text_content()
        assert "CC BY 2.5" in about and "Wikinews" in about
        # the shipped offline figures of the Recommendation rankers (bench/recommend.py)
        figures = about_page.xpath("//h3[@id='figures']/following-sibling::table[1]")[0]
        rankers = [th.text_content() for th in figures.xpath(".//tbody/tr/th")]
        assert {"blend", "popularity", "random"} <= set(rankers)
        blend = figures.xpath(".//tbody/tr[th='blend']/td/text()")
        assert blend and all(cell == "—" or 0 <= float(cell) <= 1 for cell in blend)
        privacy = doc(c.get("/privacy")).text_content()
        assert "90 days" in privacy and "keyed hash" in privacy
        path = find_article(live_site, "US professional wrestler Jon Huber dies aged 41")
        c.get(path)
        c.get(path)
        live_site.app.state.site.events.flush()
        me = doc(c.get("/me"))
        assert "US professional wrestler Jon Huber dies aged 41" in me.text_content()
        token = me.xpath("//form[@action='/me/clear']/input[@name='csrf']/@value")[0]
        assert c.post("/me/clear", data={"csrf": "bad"}).status_code == 403
        r = c.post("/me/clear", data={"csrf": token})
        assert r.status_code == 303
        assert "Nothing recorded" in doc(c.get("/me")).text_content()


def test_healthz(live_site):
    with client(live_site) as c:
        assert c.get("/healthz").json()["status"] == "ok"


# --- categories are case-insensitive, and the page and the API agree ---------------------------

# (claimed category, title, body); None: no claim, the classifier's "business" is set instead.
CATEGORY_CORPUS = [
    ("Markets", "Shares rise in early trading", "Traders bought bank stocks at the open."),
    ("markets", "Bond yields fall after the jobs report", "Investors moved into bonds."),
    (" MARKETS ", "Oil prices steady ahead of talks", "Brent crude held near last week's level."),
    ("Business", "Retailer opens forty new stores", "The chain plans more openings next year."),
    ("business", "Factory hires two hundred workers", "The plant makes parts for buses."),
    (None, "Bank reports record quarterly profit", "Lending grew in every region."),
]


@pytest.fixture
def category_site(store, tmp_path):
    """A small site whose sources spell their categories differently, on each engine."""
    from datetime import datetime

    from sqlalchemy import update

    from dateline.enrich import dedup
    from dateline.extract.model import ClaimedDate, ExtractedArticle
    from dateline.ingest.raw import InputKind, RawDocument
    from dateline.store.models import Article
    from dateline.store.repository import save_article

    for day, (claim, title, body) in enumerate(CATEGORY_CORPUS, start=1):
        item = ExtractedArticle(
            title=title,
            paragraphs=[body],
            site_name=f"Source {day}",
            claimed_date=ClaimedDate(datetime(2026, 3, day, 9, 0)),
            claimed_category=claim,
            language="en",
        )
        raw = RawDocument(data=body.encode(), origin=title, kind=InputKind.TEXT_DUMP)
        with store.write() as session:
            saved = save_article(session, item, raw, signature_of=dedup.signature_of)
            if claim is None:
                session.execute(
                    update(Article)
                    .where(Article.id == saved.article_id)
                    .values(category="business", category_confidence=0.9)
                )
    with app_client(store, tmp_path, "2026-11-01T00:00:00") as c:
        yield c


def page_ids(c, path: str) -> list[int]:
    """Article ids listed on a page, following its "Older articles" links."""
    found: list[int] = []
    url = path
    for _ in range(100):
        page = doc(c.get(url))
        found += [
            int(href.split("/")[2]) for href in page.xpath("//ol[@class='summaries']/li/a[1]/@href")
        ]
        nxt = page.xpath("//a[@rel='next']/@href")
        if not nxt:
            return found
        url = path + nxt[0]
    raise AssertionError("pagination does not end")


def api_ids(c, category: str) -> list[int]:
    items, after = [], None
    for _ in range(100):
        params = {"category": category, "limit": 2} | ({"after": after} if after else {})
        r = c.get("/api/v1/articles", params=params)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        after = r.json()["next"]
        if after is None:
            return [i["id"] for i in items]
    raise AssertionError("pagination does not end")


def test_categories_are_case_insensitive_everywhere(category_site):
    c = category_site
    cats = c.get("/api/v1/categories").json()
    assert cats == [
        {"name": "Business", "slug": "business", "count": 3, "is_claim": False},
        {"name": "Markets", "slug": "markets", "count": 3, "is_claim": True},
    ]
    home = doc(c.get("/"))
    # the menu is the site's own taxonomy: a source's label is browsable, not site chrome
    assert home.xpath("//nav[@aria-label='Sections']//a/text()") == ["Business"]
    assert home.xpath("//nav[@aria-label='Sections']//a/@href") == ["/c/business"]
    assert c.get("/c/markets").status_code == 200
    items = c.get("/api/v1/articles", params={"limit": 100}).json()["items"]
    labels = {(i["category"], i["category_is_claim"]) for i in items}
    assert labels == {("Business", False), ("Business", True), ("Markets", True)}
    lede = " ".join(doc(c.get("/c/markets")).xpath("//p[@class='lede']//text()"))
    assert "their source files under “Markets”" in lede


def test_category_page_and_api_list_the_same_articles(category_site):
    c = category_site
    titles = {i["id"]: i["title"] for i in c.get("/api/v1/articles").json()["items"]}
    for slug, name, size in [("business", "Business", 3), ("markets", "Markets", 3)]:
        listed = page_ids(c, f"/c/{slug}")
        assert len(listed) == size, [titles[i] for i in listed]
        assert api_ids(c, name) == listed  # same set, same order
        assert api_ids(c, name.lower()) == listed == api_ids(c, name.upper())
