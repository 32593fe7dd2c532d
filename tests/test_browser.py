"""The reader site in a real browser (Debian's Chromium through Playwright), on both engines.

One browser per session, a fresh context (own cookies, so a new reader) per test. Every
page a test opens is watched: a console error, an uncaught exception or a
Content-Security-Policy violation fails the test.
"""

from __future__ import annotations

import re
import time
from urllib.parse import quote, urlsplit

import pytest

from browser_util import PageProblems, new_context

ANTARCTICA = "Chilean authorities report first COVID-19 outbreak in Antarctica"
HUBER = "US professional wrestler Jon Huber dies aged 41"
MATOVIC = "Prime Minister of Slovakia Igor Matovič tests positive for COVID-19"
SEED_000_TITLE = (
    "North Korea’s top diplomat in Moscow for talks on ties amid concerns over alleged arms deal"
)

# Reports every CSP violation on the console too (Chromium logs most of them itself, but
# not all, e.g. those of report-only policies); Playwright injects this outside the CSP.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("Content-Security-Policy violation: " + e.violatedDirective + " blocked "
                + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""

# Basic accessibility facts of the current page, computed in the browser.
A11Y_FACTS = """
() => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const named = (el) => (el.labels && el.labels.length > 0)
    || !!el.getAttribute("aria-label") || !!el.getAttribute("aria-labelledby");
  const fields = [...document.querySelectorAll("input, select, textarea")]
    .filter((el) => !["hidden", "submit", "button", "reset"].includes(el.type));
  const ids = [...document.querySelectorAll("[id]")].map((el) => el.id);
  const labelledby = [...document.querySelectorAll("[aria-labelledby]")]
    .flatMap((el) => el.getAttribute("aria-labelledby").split(/\\s+/));
  return {
    lang: document.documentElement.lang,
    title: document.title,
    h1: document.querySelectorAll("h1").length,
    header: document.querySelectorAll("body > header").length,
    main: document.querySelectorAll("main").length,
    footer: document.querySelectorAll("body > footer").length,
    navs: document.querySelectorAll("nav").length,
    unlabelledNavs: [...document.querySelectorAll("nav")]
      .filter((el) => !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
      .map((el) => el.outerHTML.slice(0, 80)),
    unlabelledFields: fields.filter((el) => !named(el)).map((el) => el.outerHTML),
    namelessButtons: [...document.querySelectorAll("button")]
      .filter((el) => !el.textContent.trim() && !el.getAttribute("aria-label"))
      .map((el) => el.outerHTML),
    namelessLinks: [...document.querySelectorAll("a[href]")]
      .filter((el) => visible(el) && !el.textContent.trim() && !el.getAttribute("aria-label"))
      .map((el) => el.outerHTML),
    imagesWithoutAlt: [...document.querySelectorAll("img")]
      .filter((el) => !el.hasAttribute("alt")).map((el) => el.outerHTML),
    duplicateIds: ids.filter((id, i) => ids.indexOf(id) !== i),
    danglingLabelledby: labelledby.filter((id) => !document.getElementById(id)),
  };
}
"""

# Worst text contrast on the page: each visible element's own text colour against the
# first opaque background behind it (WCAG 2 relative luminance).
WORST_CONTRAST = """
() => {
  const rgba = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgba(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c;
    }
    return [255, 255, 255];
  };
  let worst = { ratio: 99, where: "" };
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !(el.offsetWidth || el.offsetHeight)) continue;
    if (el.closest(".visually-hidden, .skip-link")) continue;
    const a = lum(rgba(getComputedStyle(el).color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst.ratio) worst = { ratio, where: el.outerHTML.slice(0, 120) };
  }
  return worst;
}
"""


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def open_page(browser, live_site):
    """Make a page in a fresh context (a new reader); all pages are checked for errors."""
    problems = PageProblems()
    contexts = []

    def make(**options):
        context = new_context(browser, base_url=live_site.url, **options)
        context.set_default_timeout(10_000)
        context.add_init_script(CSP_REPORTER)
        contexts.append(context)
        return problems.watch(context.new_page())

    yield make
    for context in contexts:
        context.close()
    problems.assert_clean()


@pytest.fixture
def page(open_page):
    return open_page()


def path_of(page) -> str:
    return urlsplit(page.url).path


def article_path(page, title: str) -> str:
    """The article's path, from the search page fetched with the context's own cookies.

    (A plain HTTP request: rendering a page in Chromium costs ~0.2 s on a small machine.)
    """
    from lxml import html as lxml_html

    response = page.request.get("/search?q=" + quote(f'"{title}"'))
    assert response.ok, response.status
    hrefs = lxml_html.fromstring(response.text()).xpath("//ol[contains(@class,'results')]//a/@href")
    assert hrefs and hrefs[0].startswith("/a/"), f"{title!r} not found by search"
    return hrefs[0]


def reaction_state(page) -> tuple[int, str]:
    button = page.locator("form.reaction button.reaction-button")
    return int(button.locator("span.reaction-count").inner_text()), button.get_attribute(
        "aria-pressed"
    )


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy (or the timeout passes)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def test_the_watch_catches_csp_violations_and_errors(browser, live_site):
    """The safety net itself: an injected inline script is refused and reported."""
    problems = PageProblems()
    context = new_context(browser, base_url=live_site.url)
    context.add_init_script(CSP_REPORTER)
    page = problems.watch(context.new_page())
    try:
        page.goto("/about")
        page.evaluate(
            """() => { const s = document.createElement("script");
                       s.textContent = "window.injected = 1"; document.body.append(s); }"""
        )
        assert page.evaluate("window.injected") is None  # refused by the CSP
        page.evaluate("() => setTimeout(() => { throw new Error('boom'); })")
        wait_for(lambda: any("boom" in e for e in problems.errors), timeout=10.0, interval=0.05)
    finally:
        context.close()
    assert any("Content-Security-Policy" in e for e in problems.errors), problems.errors
    assert any("boom" in e for e in problems.errors), problems.errors


# --- navigation ---------------------------------------------------------------------------


def test_home_to_category_to_article(page):
    from playwright.sync_api import expect

    page.goto("/")
    sections = page.locator("nav[aria-label=Sections] a")
    assert sections.count() >= 3
    category_link = sections.first
    category = category_link.inner_text().strip()
    category_link.click()
    page.wait_for_url(re.compile(r"/c/[^/?]+$"))
    expect(page.locator("h1")).to_contain_text(category)
    expect(page.locator("nav[aria-label=Sections] a[aria-current=page]")).to_have_text(category)

    first = page.locator("main ol.summaries li a").first
    title = first.inner_text().strip()
    first.click()
    page.wait_for_url(re.compile(r"/a/\d+/"))
    expect(page.locator("h1.headline")).to_have_text(title)
    crumbs = page.locator("nav.breadcrumb[aria-label=Breadcrumb] li")
    expect(crumbs).to_have_count(2)
    expect(crumbs.nth(0)).to_contain_text("Home")
    expect(crumbs.nth(1).locator("a")).to_have_text(category)
    # The breadcrumb leads back to the category page.
    crumbs.nth(1).locator("a").click()
    page.wait_for_url(re.compile(r"/c/[^/?]+$"))
    expect(page.locator("h1")).to_contain_text(category)


def test_reaction_with_javascript(page):
    from playwright.sync_api import expect

    path = article_path(page, ANTARCTICA)
    page.goto(path)
    before, pressed = reaction_state(page)
    assert pressed == "false"
    button = page.locator("form.reaction button.reaction-button")
    button.click()
    # fetch() updates the button in place: no navigation.
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator("span.reaction-count")).to_have_text(str(before + 1))
    expect(button.locator("span.reaction-label")).to_have_text("Liked")
    assert path_of(page) == path

    page.reload()
    assert reaction_state(page) == (before + 1, "true")

    # Toggle it back: one reaction per reader.
    page.locator("form.reaction button.reaction-button").click()
    expect(button).to_have_attribute("aria-pressed", "false")
    expect(button.locator("span.reaction-count")).to_have_text(str(before))
    page.reload()
    assert reaction_state(page) == (before, "false")


def test_reaction_without_javascript(open_page):
    page = open_page(java_script_enabled=False)
    path = article_path(page, HUBER)
    page.goto(path)
    before, pressed = reaction_state(page)
    assert pressed == "false"
    # The plain form POST, answered with a redirect back to the article page.
    with page.expect_navigation():
        page.locator("form.reaction button.reaction-button").click()
    assert path_of(page) == path
    assert reaction_state(page) == (before + 1, "true")
    page.reload()
    assert reaction_state(page) == (before + 1, "true")
    with page.expect_navigation():
        page.locator("form.reaction button.reaction-button").click()
    assert reaction_state(page) == (before, "false")


def test_search_from_the_header(page):
    from playwright.sync_api import expect

    page.goto("/")
    box = page.locator("header form[role=search] input[name=q]")
    box.fill("Antarctica")
    with page.expect_navigation():
        box.press("Enter")
    assert path_of(page) == "/search"
    expect(page.locator("h1")).to_contain_text("Antarctica")
    expect(page.locator("header form[role=search] input[name=q]")).to_have_value("Antarctica")
    result = page.locator("ol.results li.result a", has_text=ANTARCTICA)
    expect(result).to_have_count(1)
    expect(result.locator("mark").first).to_have_text(re.compile("Antarctica", re.I))
    result.click()
    page.wait_for_url(re.compile(r"/a/\d+/"))
    expect(page.locator("h1.headline")).to_have_text(ANTARCTICA)


def test_related_link_opens_that_article(page):
    from playwright.sync_api import expect

    page.goto(article_path(page, ANTARCTICA))
    related = page.locator("section.list-related a")
    assert related.count() >= 3
    link = related.first
    title = link.inner_text().strip()
    target = urlsplit(link.get_attribute("href")).path
    link.click()
    page.wait_for_url(re.compile(r"/a/\d+/"))
    assert path_of(page) == target
    expect(page.locator("h1.headline")).to_have_text(title)


def test_me_lists_viewed_articles(page):
    from playwright.sync_api import expect

    page.goto("/me")
    expect(page.locator("h1")).to_have_text("Your history")
    for title in (ANTARCTICA, MATOVIC):
        page.goto(article_path(page, title))
        expect(page.locator("h1.headline")).to_have_text(title)

    def history() -> str | None:
        page.goto("/me")
        table = page.locator("main table")
        text = table.inner_text() if table.count() else ""
        return text if ANTARCTICA in text and MATOVIC in text else None

    # Views are buffered and flushed every 0.1 s: poll for a few seconds.
    text = wait_for(history, timeout=5.0, interval=0.2)
    assert text, "/me did not list the two viewed articles"
    assert text.count("viewed") >= 2
    # Newest first.
    assert text.index(MATOVIC) < text.index(ANTARCTICA)
    link = page.locator("main table a", has_text=MATOVIC).first
    link.click()
    expect(page.locator("h1.headline")).to_have_text(MATOVIC)


# --- keyboard, accessibility ----------------------------------------------------------------


FOCUSED = """() => {
  const el = document.activeElement, s = getComputedStyle(el), r = el.getBoundingClientRect();
  return {tag: el.tagName, id: el.id, cls: el.className, href: el.getAttribute("href"),
          text: el.textContent.trim(), outline: s.outlineStyle, width: s.outlineWidth,
          left: r.left, top: r.top};
}"""


def has_focus_ring(focused: dict) -> bool:
    return focused["outline"] != "none" and focused["width"] not in ("0px", "")


def test_keyboard_skip_link_and_focus_styles(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    assert focused["cls"] == "skip-link" and focused["href"] == "#main", focused
    assert focused["text"] == "Skip to content"
    # Shown on screen when focused, with a visible focus ring.
    assert focused["left"] >= 0 and focused["top"] >= 0, focused
    assert has_focus_ring(focused), focused
    # Following it moves focus to the main content; the next Tab lands inside it.
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    assert focused["tag"] == "A", focused
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert has_focus_ring(focused), focused
    # Links in the header, the search field and its button show the ring too.
    for selector in (
        "header a.brand",
        "header form[role=search] input[name=q]",
        "header form[role=search] button",
        "nav[aria-label=Sections] a",
        "footer a",
    ):
        page.locator(selector).first.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert has_focus_ring(focused), (selector, focused)


def test_accessibility_basics(open_page):
    page = open_page()
    paths = {
        "home": "/",
        "article": article_path(page, ANTARCTICA),
        "search": "/search?q=covid",
        "about": "/about",
    }
    for name, path in paths.items():
        page.goto(path)
        facts = page.evaluate(A11Y_FACTS)
        where = f"{name} ({path}): {facts}"
        assert facts["lang"] and facts["title"], where
        assert facts["h1"] == 1, where
        assert facts["header"] == 1 and facts["main"] == 1 and facts["footer"] == 1, where
        assert facts["navs"] >= 2 and not facts["unlabelledNavs"], where
        assert not facts["unlabelledFields"], where
        assert not facts["namelessButtons"] and not facts["namelessLinks"], where
        assert not facts["imagesWithoutAlt"], where
        assert not facts["duplicateIds"] and not facts["danglingLabelledby"], where
        # Text contrast (WCAG AA, 4.5:1) in light and in dark mode.
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            worst = page.evaluate(WORST_CONTRAST)
            assert worst["ratio"] >= 4.5, f"{name} in {scheme} mode: {worst}"
        page.emulate_media(color_scheme="light")


# --- the seed page ------------------------------------------------------------------------


def test_seed_article_shows_claims_not_copied_counts(page, live_site):
    from playwright.sync_api import expect

    page.goto("/")
    page.locator("header form[role=search] input[name=q]").fill("North Korea’s top diplomat")
    with page.expect_navigation():
        page.locator("header form[role=search] button[type=submit]").click()
    result = page.locator("ol.results li.result a", has_text=SEED_000_TITLE)
    expect(result).to_have_count(1)
    result.click()
    page.wait_for_url(re.compile(r"/a/\d+/"))

    expect(page.locator("h1.headline")).to_have_text(SEED_000_TITLE)
    # The corrected category, with the copying page's own shown as its claim.
    crumb = page.locator("nav.breadcrumb li").nth(1)
    expect(crumb.locator("a")).to_have_text(re.compile(r"^(World|Politics)$"))
    expect(crumb.locator(".category-claim")).to_have_text(
        "(Aspire Money Growth filed it under “Markets”)"
    )
    # Provenance: the wire's own page first, the copy listed (expands without script).
    expect(page.locator("span.source a").first).to_have_text("AP News")
    carriers = page.locator("details.carriers")
    expect(carriers.locator("summary")).to_have_text("Also carried by 1 site")
    carriers.locator("summary").click()
    expect(carriers.locator("li")).to_contain_text("Aspire Money Growth")
    # The date flag: the copy's claim against the earliest evidence.
    expect(page.locator("p.dates")).to_contain_text("claimed 2025-04-26")
    expect(page.locator("p.dates time").first).to_have_attribute(
        "datetime", re.compile(r"^2024-01-16")
    )
    # Its story, one click away.
    story = page.locator("p.story a")
    expect(story).to_have_count(1)
    story.click()
    page.wait_for_url(re.compile(r"/s/\d+$"))
    expect(page.locator("ol.timeline")).to_contain_text(SEED_000_TITLE)
    page.go_back()
    article = page.locator("article").inner_text()
    assert "veryGood" not in article and "7359" not in article
    count, pressed = reaction_state(page)
    assert count != 7359 and pressed == "false"
    assert "7359" not in page.locator("body").inner_text()


# --- Recommendation -----------------------------------------------------------------------------


def _reco_ids(page) -> list[int]:
    hrefs = page.locator("section.list-recommendation li > a").evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))"
    )
    return [int(urlsplit(h).path.split("/")[2]) for h in hrefs]


def test_recommendation_turns_to_what_a_new_reader_reads(page, live_site):
    """Four articles of one category, then the list is mostly that category; "less like
    this" (a plain form) removes the item from the next page's list."""
    from playwright.sync_api import expect

    categories = page.request.get("/api/v1/categories").json()
    topic = max(
        (c for c in categories if c["name"] != "Uncategorised" and not c["is_claim"]),
        key=lambda c: c["count"],
    )["name"]
    listed = page.request.get("/api/v1/articles", params={"category": topic, "limit": "12"}).json()[
        "items"
    ]
    category_of = {}

    def in_topic(ids: list[int]) -> float:
        for aid in ids:
            if aid not in category_of:
                got = page.request.get(f"/api/v1/articles/{aid}").json()
                category_of[aid] = got["category"]
        return sum(category_of[a] == topic for a in ids) / max(len(ids), 1)

    read = [item["id"] for item in listed[:4]]
    # before any read: the cold mix (an article page already shows the list around it)
    mix = page.request.get("/api/v1/recommendations").json()["items"]
    cold = sum(i["article"]["category"] == topic for i in mix) / max(len(mix), 1)
    for aid in read:
        page.goto(f"/a/{aid}")
        expect(page.locator("h1.headline")).to_be_visible()
    page.goto(f"/a/{listed[4]['id']}")
    shown = _reco_ids(page)
    assert len(shown) == 8 and not set(shown) & set(read)
    share = in_topic(shown)
    assert share >= 0.6 and share > cold, (topic, cold, share)

    first = page.locator("section.list-recommendation li").first
    target = _reco_ids(page)[0]
    first.locator("button.less-button").click()
    page.wait_for_load_state()
    page.goto(f"/a/{listed[5]['id']}")
    assert target not in _reco_ids(page)
