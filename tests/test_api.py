"""The JSON API and its docs page over real HTTP, on both engines: every route and its errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from lxml import html as lxml_html

from dateline.store.queries import Cursor
from http_util import client

SEED_000_TITLE = (
    "North Korea’s top diplomat in Moscow for talks on ties amid concerns over alleged arms deal"
)
WRESTLER = "US professional wrestler Jon Huber dies aged 41"
MISSING_ID = 2**62


def ok(response: httpx.Response):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """The one error shape, whatever went wrong."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message"}
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def article_id_for(live_site, title: str) -> int:
    with client(live_site) as c:
        items = ok(c.get("/api/v1/search", params={"q": f'"{title}"'}))["items"]
    found = [i["article"]["id"] for i in items if i["article"]["title"] == title]
    assert found, f"{title!r} not found by search"
    return found[0]


def all_pages(c: httpx.Client, limit: int, **params) -> list[dict]:
    items: list[dict] = []
    after = None
    for _ in range(10_000):
        page = ok(c.get("/api/v1/articles", params={**params, "limit": limit, "after": after}))
        assert len(page["items"]) <= limit
        items += page["items"]
        after = page["next"]
        if after is None:
            return items
        assert len(page["items"]) == limit
    raise AssertionError("pagination does not end")


def when(item: dict) -> datetime | None:
    value = item["published_at"]
    return datetime.fromisoformat(value) if value else None


# --- articles ----------------------------------------------------------------------------------


def test_pagination_visits_every_article_exactly_once(live_site):
    from dateline.store.queries import latest

    with live_site.store.read() as session:
        expected, _ = latest(session, limit=1_000_000)
    with client(live_site) as c:
        items = all_pages(c, limit=37)
        default = ok(c.get("/api/v1/articles"))
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)) == len(expected) > 100
    assert ids == [a.id for a in expected]
    assert len(default["items"]) == 25 and default["next"]
    dated = [when(i) for i in items if i["published_at"]]
    assert dated == sorted(dated, reverse=True)
    first = items[0]
    assert set(first) >= {"id", "title", "slug", "url", "published_at", "source_id"}
    assert first["url"] == f"/a/{first['id']}/{first['slug']}"
    assert dated[0].tzinfo is not None and dated[0].utcoffset() == timedelta(0)


def test_category_filter(live_site):
    with client(live_site) as c:
        cats = ok(c.get("/api/v1/categories"))
        assert cats and all(set(x) == {"name", "slug", "count", "is_claim"} for x in cats)
        # the classifier's categories by size, then Uncategorised, then sources' claims
        groups = [2 if x["is_claim"] else int(x["name"] == "Uncategorised") for x in cats]
        assert groups == sorted(groups) and groups[0] == 0
        for group in set(groups):
            counts = [x["count"] for x, g in zip(cats, groups, strict=True) if g == group]
            assert counts == sorted(counts, reverse=True)
        for cat in cats[:3]:
            items = all_pages(c, limit=100, category=cat["name"])
            assert len(items) == cat["count"]
            assert {i["category"] for i in items} == {cat["name"]}
            assert {i["category_is_claim"] for i in items} == {cat["is_claim"]}
        assert ok(c.get("/api/v1/articles", params={"category": "No such category"})) == {
            "items": [],
            "next": None,
        }


def test_source_filter_and_source_detail(live_site):
    with client(live_site) as c:
        first = ok(c.get("/api/v1/articles", params={"limit": 1}))["items"][0]
        source_id = first["source_id"]
        source = ok(c.get(f"/api/v1/sources/{source_id}"))
        assert source["id"] == source_id and source["name"] == first["source_name"]
        assert set(source) == {"id", "name", "lookalike", "home_url", "kind", "score"}
        items = all_pages(c, limit=100, source=source_id)
        assert first["id"] in {i["id"] for i in items}
        for item in items[:5]:
            detail = ok(c.get(f"/api/v1/articles/{item['id']}"))
            assert source_id in {carrier["source_id"] for carrier in detail["carriers"]}
        assert_error(c.get(f"/api/v1/sources/{MISSING_ID}"), 404, "not_found")
        assert ok(c.get("/api/v1/articles", params={"source": MISSING_ID}))["items"] == []


def test_since_and_until_filters(live_site):
    with client(live_site) as c:
        items = all_pages(c, limit=100)
        days = sorted({when(i).date() for i in items if i["published_at"]})
        middle = days[len(days) // 2]
        since = all_pages(c, limit=100, since=middle.isoformat())
        until = all_pages(c, limit=100, until=middle.isoformat())
        one_day = all_pages(c, limit=100, since=middle.isoformat(), until=middle.isoformat())
        at = datetime.combine(middle, datetime.min.time()).replace(tzinfo=UTC)
        with_time = all_pages(c, limit=100, since=(at + timedelta(hours=12)).isoformat())
    assert since and until and one_day
    assert all(when(i).date() >= middle for i in since if i["published_at"])
    # A bare date in `until` includes that whole day.
    assert all(when(i).date() <= middle for i in until if i["published_at"])
    assert {when(i).date() for i in one_day if i["published_at"]} == {middle}
    assert {i["id"] for i in one_day} == {i["id"] for i in since} & {i["id"] for i in until}
    assert all(when(i) >= at + timedelta(hours=12) for i in with_time if i["published_at"])
    # Every article is on exactly one side of the boundary.
    before = all_pages_ids(live_site, until=(middle - timedelta(days=1)).isoformat())
    assert before.isdisjoint({i["id"] for i in since})
    assert len(before) + len(since) == len(items)


def all_pages_ids(live_site, **params) -> set[int]:
    with client(live_site) as c:
        return {i["id"] for i in all_pages(c, limit=100, **params)}


@pytest.mark.parametrize(
    "params",
    [
        {"since": "yesterday"},
        {"until": "2020-13-01"},
        {"since": "2020-12-10", "until": "2020-12-01"},
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"source": 0},
        {"source": "abc"},
        {"source": str(2**64)},
        {"category": "World\x00"},
        {"category": "x" * 201},
        {"since": "0001-01-01T00:00:00+05:00"},
        {"until": "2020-12-01T25:00:00"},
    ],
)
def test_bad_filters_are_422(live_site, params):
    with client(live_site) as c:
        assert_error(c.get("/api/v1/articles", params=params), 422, "invalid")


@pytest.mark.parametrize(
    "after",
    [
        "garbage!",
        "x" * 150,
        Cursor(datetime(2020, 1, 1), 2**70).encode(),
        Cursor(datetime(2020, 1, 1, tzinfo=UTC), 5).encode(),
    ],
)
def test_bad_cursor_is_400(live_site, after):
    with client(live_site) as c:
        assert_error(c.get("/api/v1/articles", params={"after": after}), 400, "bad_cursor")


def test_article_detail_matches_the_page_context(live_site):
    article_id = article_id_for(live_site, WRESTLER)
    with client(live_site) as c:
        detail = ok(c.get(f"/api/v1/articles/{article_id}"))
        twin = c.get(f"/a/{article_id}/{detail['slug']}", params={"format": "json"}).json()
    assert detail["title"] == WRESTLER == twin["article"]["title"]
    assert detail["body"] == twin["article"]["body"]
    assert detail["paragraphs"] == twin["article"]["paragraphs"]
    for key in ("dateline", "agency", "language", "category", "category_is_claim", "views"):
        assert detail[key] == twin["article"][key], key
    assert detail["source"] == {
        "id": twin["article"]["source_id"],
        "name": twin["article"]["source_name"],
        "url": twin["article"]["source_url"],
    }
    assert detail["carriers"] and set(detail["carriers"][0]["claims"]) == {
        "date",
        "category",
        "reactions",
        "reaction_label",
        "views",
    }
    assert detail["reacted"] is False
    assert detail["published_at"].endswith("Z")


def test_seed_claims_stay_claims(live_site):
    article_id = article_id_for(live_site, SEED_000_TITLE)
    with client(live_site) as c:
        detail = ok(c.get(f"/api/v1/articles/{article_id}"))
    assert detail["dateline"] == "MOSCOW" and detail["agency"] == "AP"
    # The classifier's category; the copying page's "Markets" stays that page's claim.
    assert detail["category"] in ("World", "Politics") and detail["category_is_claim"] is False
    assert detail["source"]["name"] == "AP News"  # the wire's own earlier page
    copy = next(c for c in detail["carriers"] if c["source_name"] == "Aspire Money Growth")
    assert copy["claims"]["category"] == "Markets" and copy["date_flag"]
    assert "veryGood" not in detail["body"]
    claimed = [carrier["claims"]["reactions"] for carrier in detail["carriers"]]
    assert 7359 in claimed  # the farm's "veryGood! (7359)": its claim, kept as one
    assert detail["reactions"] != 7359


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"/api/v1/articles/{MISSING_ID}", 404),
        ("/api/v1/articles/abc", 422),
        ("/api/v1/articles/0", 422),
        (f"/api/v1/articles/{2**64}", 422),
        (f"/api/v1/articles/{MISSING_ID}/related", 404),
        ("/api/v1/articles/-1/related", 422),
        ("/api/v1/sources/abc", 422),
        ("/api/v1/nothing-here", 404),
        ("/api/v2/articles", 404),
    ],
)
def test_missing_and_malformed_ids(live_site, path, status):
    with client(live_site) as c:
        assert_error(c.get(path), status)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/v1/articles"),
        ("POST", "/api/v1/articles"),
        ("PUT", "/api/v1/articles/1"),
        ("GET", "/api/v1/articles/1/reaction"),
        ("POST", "/api/v1/search"),
    ],
)
def test_wrong_method_is_405(live_site, method, path):
    with client(live_site) as c:
        assert_error(c.request(method, path), 405, "method_not_allowed")


# --- lists ---------------------------------------------------------------------------------------


def assert_list(body: dict, name: str, size: int) -> list[dict]:
    assert body["name"] == name and body["title"]
    items = body["items"]
    assert len(items) == size
    assert [i["position"] for i in items] == list(range(1, size + 1))
    assert all(i["reason"] and i["article"]["id"] for i in items)
    return items


def test_related_ranking_and_recommendations(live_site):
    article_id = article_id_for(live_site, WRESTLER)
    with client(live_site) as c:
        related = ok(c.get(f"/api/v1/articles/{article_id}/related"))
        twin = c.get(f"/a/{article_id}/x", params={"format": "json"}).json()
        ranking = ok(c.get("/api/v1/ranking"))
        reco = ok(c.get("/api/v1/recommendations", params={"article": article_id}))
        few = ok(c.get("/api/v1/ranking", params={"limit": 3}))
    assert [i["article"]["id"] for i in related["items"]] == [
        e["article"]["id"] for e in twin["related"]["entries"]
    ]
    assert article_id not in {i["article"]["id"] for i in related["items"]}
    assert_list(ranking, "ranking", 8)
    assert_list(few, "ranking", 3)
    assert [i["article"]["id"] for i in few["items"]] == [
        i["article"]["id"] for i in ranking["items"][:3]
    ]
    # A client without the reader cookie gets the cold-start list, never this article.
    items = assert_list(reco, "recommendation", 8)
    assert article_id not in {i["article"]["id"] for i in items}


def test_ranking_by_category(live_site):
    with client(live_site) as c:
        category = ok(c.get("/api/v1/categories"))[0]["name"]
        ranking = ok(c.get("/api/v1/ranking", params={"category": category}))
        assert_error(c.get("/api/v1/ranking", params={"limit": 0}), 422)
        assert_error(c.get("/api/v1/ranking", params={"category": "\x01"}), 422)
    assert ranking["items"]
    assert {i["article"]["category"] for i in ranking["items"]} == {category}


def ids(lst: dict) -> list[int]:
    return [i["article"]["id"] for i in lst["items"]]


COLD_REASON = re.compile(r"^(top story in|popular in|newest in) ")


def test_recommendations_follow_the_reader_cookie(live_site):
    article_id = article_id_for(live_site, WRESTLER)
    with client(live_site) as reader, client(live_site) as stranger:
        reader.get("/api/v1/reader")
        cold = ok(stranger.get("/api/v1/recommendations"))
        before = ok(reader.get("/api/v1/recommendations"))
        assert ids(before) == ids(cold)  # a new reader: the cold-start list
        seen = before["items"][0]["article"]
        assert reader.get(seen["url"]).status_code == 200  # a page view, as a reader
        live_site.app.state.site.events.flush()
        after = ok(reader.get("/api/v1/recommendations"))
        assert seen["id"] not in {i["article"]["id"] for i in after["items"]}
        # The stranger still gets the cold mix (its order may move with the new view's
        # popularity); no `reader` parameter: another reader's list cannot be asked for.
        again = ok(stranger.get("/api/v1/recommendations"))
        assert all(COLD_REASON.match(i["reason"]) for i in again["items"]), again
        assert ok(stranger.get("/api/v1/recommendations", params={"reader": "x"})) == again
        assert ids(after) != ids(cold)
        assert_error(reader.get("/api/v1/recommendations", params={"article": 0}), 422)
        assert ok(reader.get("/api/v1/recommendations", params={"article": article_id}))


# --- search ---------------------------------------------------------------------------------------


def test_search_hits_snippets_and_pages(live_site):
    with client(live_site) as c:
        first = ok(c.get("/api/v1/search", params={"q": "covid", "limit": 5}))
        assert first["query"] == "covid" and len(first["items"]) == 5 and first["next"]
        hit = first["items"][0]
        assert set(hit) == {"article", "title_parts", "snippet", "snippet_parts", "score"}
        assert "".join(p["text"] for p in hit["snippet_parts"]) == hit["snippet"]
        assert "\ue000" not in hit["snippet"] and "\ue001" not in hit["snippet"]
        assert any(p["match"] for p in hit["snippet_parts"] + hit["title_parts"])
        assert "".join(p["text"] for p in hit["title_parts"]) == hit["article"]["title"]
        seen = [i["article"]["id"] for i in first["items"]]
        after = first["next"]
        for _ in range(3):
            page = ok(c.get("/api/v1/search", params={"q": "covid", "limit": 5, "after": after}))
            seen += [i["article"]["id"] for i in page["items"]]
            after = page["next"]
            if after is None:
                break
        assert len(seen) == len(set(seen))
        # A cursor is bound to its query, and must be ours.
        assert_error(
            c.get("/api/v1/search", params={"q": "police", "after": first["next"]}),
            400,
            "bad_cursor",
        )
        assert_error(c.get("/api/v1/search", params={"q": "covid", "after": "nope"}), 400)
        assert_error(c.get("/api/v1/search"), 422, "invalid")
        assert_error(c.get("/api/v1/search", params={"q": "covid", "limit": 500}), 422)
        nothing = ok(c.get("/api/v1/search", params={"q": "zzqxjvw"}))
        assert nothing == {"query": "zzqxjvw", "items": [], "next": None}
        hostile = ok(c.get("/api/v1/search", params={"q": 'NEAR( "\x00 OR -x col:y *'}))
        assert hostile["next"] is None


# --- reactions ------------------------------------------------------------------------------------


def test_reaction_needs_csrf_and_toggles(live_site):
    article_id = article_id_for(live_site, WRESTLER)
    url = f"/api/v1/articles/{article_id}/reaction"
    with client(live_site) as c:
        assert_error(c.post(url), 403, "forbidden")  # no cookie, no token
        reader = ok(c.get("/api/v1/reader"))
        assert reader["known"] is False and reader["csrf_token"]
        assert "dl_reader" in c.cookies
        assert ok(c.get("/api/v1/reader")) == {"known": True, "csrf_token": reader["csrf_token"]}
        token = reader["csrf_token"]
        assert_error(c.post(url), 403, "forbidden")  # cookie, no token
        assert_error(c.post(url, headers={"X-CSRF-Token": "forged"}), 403, "forbidden")
        before = ok(c.get(f"/api/v1/articles/{article_id}"))["reactions"]
        on = ok(c.post(url, headers={"X-CSRF-Token": token}))
        assert on == {"article_id": article_id, "reacted": True, "count": before + 1}
        detail = ok(c.get(f"/api/v1/articles/{article_id}"))
        assert detail["reacted"] is True and detail["reactions"] == before + 1
        off = ok(c.post(url, headers={"X-CSRF-Token": token}))
        assert off == {"article_id": article_id, "reacted": False, "count": before}
        assert_error(
            c.post(f"/api/v1/articles/{MISSING_ID}/reaction", headers={"X-CSRF-Token": token}),
            404,
            "not_found",
        )
        assert_error(c.post("/api/v1/articles/abc/reaction", headers={"X-CSRF-Token": token}), 422)
    # Another reader's token does not work with this reader's cookie.
    with client(live_site) as other:
        other.get("/api/v1/reader")
        assert_error(other.post(url, headers={"X-CSRF-Token": token}), 403)


def test_bots_get_no_reader(live_site):
    with httpx.Client(base_url=live_site.url, timeout=30) as bot:  # httpx's own User-Agent
        assert ok(bot.get("/api/v1/reader")) == {"known": False, "csrf_token": None}
        assert "dl_reader" not in bot.cookies


# --- errors, OpenAPI, docs ------------------------------------------------------------------------


def test_server_errors_are_json_too(live_site):
    site = live_site.app.state.site
    real = site.rankers

    class Broken:
        name = "broken"

        def ranking(self, *args, **kwargs):
            raise RuntimeError("boom")

    site.rankers = Broken()
    try:
        with client(live_site) as c:
            error = assert_error(c.get("/api/v1/ranking"), 500, "server_error")
    finally:
        site.rankers = real
    assert "boom" not in error["message"]


API_ROUTES = {
    ("get", "/api/v1/articles"),
    ("get", "/api/v1/articles/{article_id}"),
    ("get", "/api/v1/articles/{article_id}/related"),
    ("post", "/api/v1/articles/{article_id}/reaction"),
    ("get", "/api/v1/ranking"),
    ("get", "/api/v1/recommendations"),
    ("get", "/api/v1/search"),
    ("get", "/api/v1/categories"),
    ("get", "/api/v1/sources"),
    ("get", "/api/v1/sources/{source_id}"),
    ("get", "/api/v1/reader"),
    ("get", "/api/v1/reader/controls"),
    ("post", "/api/v1/reader/controls"),
    ("post", "/api/v1/reader/pause"),
    ("post", "/api/v1/reader/reset"),
    ("post", "/api/v1/admin/articles/{article_id}/hide"),
    ("post", "/api/v1/admin/articles/{article_id}/unhide"),
    ("post", "/api/v1/admin/stories/{story_id}/merge"),
    ("post", "/api/v1/admin/stories/{story_id}/split"),
    ("post", "/api/v1/admin/sources/{source_id}/kind"),
    ("post", "/api/v1/admin/subscriptions/{subscription_id}/pause"),
    ("delete", "/api/v1/admin/subscriptions/{subscription_id}"),
}


def test_openapi_document_lists_every_route_with_schemas(live_site):
    with client(live_site) as c:
        doc = ok(c.get("/api/openapi.json"))
    assert doc["openapi"].startswith("3.")
    routes = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert routes == API_ROUTES
    schemas = doc["components"]["schemas"]
    assert {"ArticleOut", "ArticleListOut", "ListOut", "SearchOut", "ErrorOut"} <= set(schemas)
    assert "HTTPValidationError" not in schemas  # our shape, not FastAPI's, documents 422
    for method, path in routes:
        op = doc["paths"][path][method]
        assert op.get("summary") and op.get("description"), (method, path)
        ok_schema = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok_schema, (method, path)
        for status, response in op["responses"].items():
            if status.startswith("4"):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (method, path, status)
    # Validates as OpenAPI (schemathesis refuses invalid documents).
    import schemathesis

    loaded = schemathesis.openapi.from_dict(doc)
    assert len([r.ok() for r in loaded.get_all_operations()]) == len(API_ROUTES)


def test_docs_page_is_self_hosted_and_csp_clean(live_site):
    with client(live_site) as c:
        r = c.get("/api/docs")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        page = lxml_html.fromstring(r.text)
        scripts = page.xpath("//script")
        assert scripts and all(s.get("src") and not (s.text or "").strip() for s in scripts)
        assert not page.xpath("//style") and not page.xpath("//*[@style]")
        assert not [
            a
            for el in page.iter()
            if isinstance(el.tag, str)
            for a in el.attrib
            if a.startswith("on")
        ]
        assert page.xpath("//*[@id='swagger-ui']/@data-openapi-url") == ["/api/openapi.json"]
        urls = [s.get("src") for s in scripts] + page.xpath("//link[@rel='stylesheet']/@href")
        assert all(u.startswith("/") and not u.startswith("//") for u in urls)  # no CDN
        for url in urls:
            asset = c.get(url)
            assert asset.status_code == 200, url
            kind = asset.headers["content-type"]
            assert ("javascript" in kind) if url.split("?")[0].endswith(".js") else ("css" in kind)
            assert "immutable" in asset.headers["cache-control"], url
        bundle = next(u for u in urls if "swagger-ui-bundle.js" in u)
        assert "SwaggerUIBundle" in c.get(bundle).text
        base = bundle.rsplit("/", 2)[0]
        assert_error(c.get(f"{base}/0.0.0/swagger-ui-bundle.js"), 404)
        assert_error(c.get(bundle.rsplit("/", 1)[0] + "/index.html"), 404)
        assert c.get(bundle.rsplit("/", 1)[0] + "/..%2F..%2Fapi.py").status_code == 404


def test_docs_page_renders_in_a_browser_without_csp_violations(live_site, browser):
    """Swagger UI under our CSP, in Chromium: the operations render and nothing is blocked."""
    messages: list[str] = []
    page = browser.new_page()
    try:
        page.on("console", lambda m: messages.append(m.text))
        page.on("pageerror", lambda e: messages.append(str(e)))
        page.goto(f"{live_site.url}/api/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
    finally:
        page.close()
    assert any("/api/v1/articles" in path for path in paths)
    blocked = [m for m in messages if "Content Security Policy" in m or "Refused" in m]
    assert not blocked, blocked
