"""The enrich stage on the site, over real HTTP on both engines: provenance, trustworthy
dates, corrected categories, stories, entities and source scores, on the two seed pages
(and the date line of a seed alone in a store, rendered by ``Site`` directly)."""

from __future__ import annotations

import re
from dataclasses import replace

import feedparser
import pytest

from test_web_pages import SEED_000_TITLE, client, doc, find_article

SEED_004_TITLE = (
    "Russian foreign minister dismisses US claims of North Korea supplying "
    "munitions to Moscow as rumors"
)


@pytest.fixture
def seeds(live_site):
    return find_article(live_site, SEED_000_TITLE), find_article(live_site, SEED_004_TITLE)


def test_seed_copy_attaches_to_the_wire_original_and_its_date_is_flagged(live_site, seeds):
    path, _ = seeds
    with client(live_site) as c:
        page = doc(c.get(path))
    assert page.xpath("//span[@class='source']/a")[0].text_content() == "AP News"
    carriers = page.xpath("//details[@class='carriers']")[0]
    assert "Also carried by 1 site" in carriers.xpath("./summary")[0].text_content()
    listed = carriers.text_content()
    assert "Aspire Money Growth" in listed
    assert "claims 2025-04-26" in listed and "earliest evidence 2024-01-16" in listed
    dates = page.xpath("//p[@class='dates']")[0]
    assert dates.xpath(".//time/@datetime")[0].startswith("2024-01-16")
    assert "claimed 2025-04-26" in dates.text_content()


def test_single_copy_is_unverified_with_its_reason(live_site, seeds):
    _, path = seeds
    with client(live_site) as c:
        page = doc(c.get(path))
    status = page.xpath("//span[contains(@class,'date-status')]")[0].text_content()
    assert "unverified" in status and "copied wire text, single copy" in status


def test_seed_categories_are_corrected_and_the_claim_shown(live_site, seeds):
    with client(live_site) as c:
        for path, claim in zip(seeds, ("Markets", "Contact"), strict=True):
            crumb = doc(c.get(path)).xpath("//nav[@class='breadcrumb']")[0].text_content()
            label = doc(c.get(path)).xpath("//nav[@class='breadcrumb']//li[2]/a")[0].text
            assert label in ("World", "Politics"), crumb
            assert f"filed it under “{claim}”" in crumb


def test_seeds_share_a_story_with_a_timeline_and_feeds(live_site, seeds):
    with client(live_site) as c:
        stories = [doc(c.get(p)).xpath("//p[@class='story']/a/@href")[0] for p in seeds]
        assert stories[0] == stories[1]
        story = doc(c.get(stories[0]))
        titles = [a.text_content() for a in story.xpath("//ol[contains(@class,'timeline')]//a")]
        assert SEED_000_TITLE in titles and SEED_004_TITLE in titles
        # Oldest first, by the dates shown (seed 004's own date is unverified: Dateline
        # cannot know it is October 2023, so it is not placed there).
        shown = story.xpath("//ol[contains(@class,'timeline')]//time/@datetime")
        assert shown == sorted(shown)
        for kind in ("rss", "atom"):
            feed = feedparser.parse(c.get(f"{stories[0]}/feed.{kind}").content)
            assert not feed.bozo and {e.title for e in feed.entries} >= {SEED_004_TITLE}
        assert c.get("/s/999999").status_code == 404


def test_a_merged_story_redirects_to_the_story_that_took_its_articles(live_site, seeds):
    from dateline.store.models import Story
    from dateline.store.repository import utcnow

    with client(live_site) as c:
        target = doc(c.get(seeds[0])).xpath("//p[@class='story']/a/@href")[0]
    with live_site.store.write() as session:  # the row a merge leaves (see test_stories)
        old = Story(label="An earlier fragment", size=0, merged_into=int(target[3:]))
        old.updated_at = utcnow()
        session.add(old)
        session.flush()
        old_id = old.id
    with client(live_site) as c:
        for suffix in ("", "?format=json", "/feed.rss", "/feed.atom"):
            moved = c.get(f"/s/{old_id}{suffix}")
            assert moved.status_code == 301, suffix
            assert moved.headers["location"] == f"{target}{suffix}"
            assert c.get(moved.headers["location"]).status_code == 200


def test_lavrov_is_one_entity_across_spellings(live_site, seeds):
    with client(live_site) as c:
        links = [
            doc(c.get(p)).xpath("//p[@class='entities']/a[contains(., 'Lavrov')]/@href")
            for p in seeds
        ]
        assert links[0] and links[0] == links[1]
        entity = doc(c.get(links[0][0]))
        text = entity.text_content()
        assert "Sergei Lavrov" in text or "Sergey Lavrov" in text
        assert SEED_000_TITLE in text and SEED_004_TITLE in text
        assert c.get("/e/999999").status_code == 404


def test_farm_source_page_shows_its_score_and_reasons(live_site, seeds):
    path, _ = seeds
    with client(live_site) as c:
        page = doc(c.get(path))
        href = next(
            a.get("href")
            for a in page.xpath("//details[@class='carriers']//a")
            if a.text_content() == "Aspire Money Growth"
        )
        source = doc(c.get(href))
    heading = source.xpath("//section[@class='source-score']/h2")[0].text_content()
    score = float(re.search(r"([01]\.\d+)", heading).group(1))
    assert score < 0.5
    reasons = source.xpath("//section[@class='source-score']//li")
    assert any("far from the evidence" in r.text_content() for r in reasons)


def test_api_detail_carries_the_enrichment(live_site, seeds):
    path, _ = seeds
    article_id = path.split("/")[2]
    with client(live_site) as c:
        data = c.get(f"/api/v1/articles/{article_id}").json()
    assert data["category"] in ("World", "Politics") and not data["category_is_claim"]
    assert "Markets" in [c["claims"]["category"] for c in data["carriers"]]
    assert data["date_status"] in ("flagged", "corroborated") and data["story_id"]
    assert any(e["name"].endswith("Lavrov") for e in data["entities"])
    flagged = [c for c in data["carriers"] if c["date_flag"]]
    assert flagged and flagged[0]["claims"]["date"].startswith("2025-04-26")


# --- the date line and the story line -------------------------------------------------------


def test_the_date_line_says_each_thing_once_with_spaced_separators(live_site, seeds):
    copy, single = seeds
    with client(live_site) as c:
        page = doc(c.get(copy))
        twin = c.get(copy, params={"format": "json"}).json()
        api = c.get(f"/api/v1/articles/{copy.split('/')[2]}").json()
        lone = doc(c.get(single)).xpath("//p[@class='dates']")[0]
    dates = page.xpath("//p[@class='dates']")[0]
    text = " ".join(dates.text_content().split())
    # Before: "Published 16 January 2024· earliest evidence 2024-01-16 — dated by the wire's
    # own page (AP News); 1 page claims 2025-04-26· Aspire Money Growth: claimed 2025-04-26
    # · earliest evidence 2024-01-16 · says 'on Tuesday' but claims a Saturday".
    for once in (
        "2025-04-26",
        "earliest evidence 2024-01-16",
        "says 'on Tuesday' but claims a Saturday",
    ):
        assert text.count(once) == 1, (once, text)
    for line in (text, " ".join(lone.text_content().split())):
        assert "·" in line and not re.search(r"\S·|·\S", line), line
    # The evidence is the verdict's; the copy's claim and its problem are the copy's.
    verdict = dates.xpath("./span[contains(@class,'date-status')]")[0].text_content()
    assert "dated by the wire's own page (AP News)" in verdict and "2025-04-26" not in verdict
    flags = [s.text_content() for s in dates.xpath("./span[contains(@class,'date-flag')]")]
    assert len(flags) == 1 and flags[0].startswith("Aspire Money Growth: claimed 2025-04-26")
    assert "says 'on Tuesday' but claims a Saturday" in flags[0]
    # The JSON twin says the same things; the API's reason is the verdict's, the claim
    # stays in the carrier's date_flag.
    notes = [n["text"] for n in twin["date_line"]["notes"]]
    assert notes == [s.text_content() for s in dates.xpath("./span")]
    assert api["date_reason"] == verdict
    assert next(c["date_flag"] for c in api["carriers"] if c["date_flag"]).startswith(
        "claimed 2025-04-26"
    )


def test_a_lone_farm_copy_says_its_date_problem_once(store, settings, seed_000):
    """Seed 000 without the wire's own page: nothing credible dates it, and the copy's
    claim is contradicted by its own text (the page, its JSON twin and the API)."""
    from datetime import datetime

    from lxml import html as lxml_html
    from sqlalchemy import select

    from dateline.enrich import dates
    from dateline.pipeline import ingest_many
    from dateline.store.models import Article
    from dateline.store.queries import get_article
    from dateline.web.api_models import article_out
    from dateline.web.site import Site

    assert ingest_many([str(seed_000)], store, settings).ok
    with store.write() as s:
        article_id = s.scalars(select(Article.id)).one()
        dates.apply(s, article_id, datetime(2026, 6, 1))
    site = Site(settings, store)
    cached = site.cached_article(article_id)
    assert cached is not None
    line = lxml_html.fromstring(cached.html).xpath("//p[@class='dates']")[0]
    # Before: "Publication date unknown· unverified: copied wire text, single copy; says 'on
    # Tuesday' but claims a Saturday· Aspire Money Growth: claimed 2025-04-26 · says 'on
    # Tuesday' but claims a Saturday".
    assert " ".join(line.text_content().split()) == (
        "Publication date unknown · unverified: copied wire text, single copy"
        " · Aspire Money Growth: claimed 2025-04-26; says 'on Tuesday' but claims a Saturday"
    )
    status = line.xpath("./span[@class='date-status unverified']")[0].text_content()
    assert status == "unverified: copied wire text, single copy"
    with store.read() as s:
        detail = get_article(s, article_id)
        twin = site.article_page(s, article_id, None)
    assert detail is not None and twin is not None
    assert [n.text for n in twin.date_line.notes] == [
        span.text_content() for span in line.xpath("./span")
    ]
    api = article_out(detail, reacted=False)
    assert api.date_reason == "copied wire text, single copy"
    assert api.carriers[0].date_flag == (
        "claimed 2025-04-26 · says 'on Tuesday' but claims a Saturday"
    )


def test_date_line_puts_a_page_problem_with_that_page_only():
    """Without the seeds: a page's own problem moves from the verdict to its flag, and the
    verdict still says its status when nothing general is left."""
    from datetime import datetime

    from dateline.store.queries import ArticleDetail, Carrier
    from dateline.web.contexts import date_line

    seen = datetime(2026, 1, 1)
    problem = "claims a date in the future (after first seen)"
    page = Carrier(
        page_id=1,
        source_id=1,
        source_name="Farm",
        url=None,
        claimed_date="2027-01-01",
        claimed_category=None,
        claimed_reactions=None,
        claimed_reaction_label=None,
        claimed_views=None,
        first_seen_at=seen,
    )
    article = ArticleDetail(
        id=1,
        title="T",
        slug="t",
        body="b",
        language=None,
        dateline=None,
        agency=None,
        byline=None,
        published_at=None,
        first_seen_at=seen,
        word_count=1,
        category="World",
        category_is_claim=False,
        claimed_category=None,
        source_id=1,
        source_name="Farm",
        source_url=None,
        carriers=[page],
        date_status="unverified",
        date_reason=problem,
    )
    assert [n.text for n in date_line(article).notes] == [f"unverified: {problem}"]
    flagged = replace(page, date_flag=f"claimed 2027-01-01 · {problem}")
    line = date_line(replace(article, carriers=[flagged]))
    assert line.reason is None
    assert [(n.kind, n.text) for n in line.notes] == [
        ("unverified", "unverified"),
        ("flag", f"Farm: claimed 2027-01-01; {problem}"),
    ]
    unassessed = date_line(replace(article, date_status=None, date_reason=None))
    assert [(n.kind, n.text) for n in unassessed.notes] == [("claim", "Farm claims 2027-01-01")]


def test_an_article_alone_in_its_story_is_not_announced_as_part_of_it(live_site):
    from sqlalchemy import func, select

    from dateline.store.models import Article

    def stories(size_test) -> tuple[int, int]:
        with live_site.store.read() as s:
            row = s.execute(
                select(func.min(Article.id), Article.story_id)
                .where(Article.story_id.is_not(None))
                .group_by(Article.story_id)
                .having(size_test(func.count()))
                .order_by(Article.story_id)
                .limit(1)
            ).first()
        assert row is not None
        return int(row[0]), int(row[1])

    alone, alone_story = stories(lambda n: n == 1)
    shared, shared_story = stories(lambda n: n > 1)
    with client(live_site) as c:
        r = c.get(f"/a/{alone}", follow_redirects=True)
        page = doc(r)
        # Before: <p class="story">Part of the story <a href="/s/N">its own headline</a></p>
        assert page.xpath("//p[@class='story']") == []
        assert "Part of the story" not in page.xpath("//article")[0].text_content()
        assert c.get(r.url.path, params={"format": "json"}).json()["story"] is None
        assert c.get(f"/s/{alone_story}").status_code == 200, "its story page still exists"
        other = doc(c.get(f"/a/{shared}", follow_redirects=True))
        assert other.xpath("//p[@class='story']/a/@href") == [f"/s/{shared_story}"]


def test_the_story_line_names_the_story_only_when_it_is_not_this_article(live_site):
    """The article a story is named after says "one of N articles", not its own headline."""
    from sqlalchemy import func, select

    from dateline.store.models import Article, Story

    with live_site.store.read() as s:
        size = func.count(Article.id)
        story_id, label, n = s.execute(
            select(Story.id, Story.label, size)
            .join(Article, Article.story_id == Story.id)
            .group_by(Story.id, Story.label)
            .having(size > 1)
            .order_by(Story.id)
            .limit(1)
        ).one()
        members = s.execute(select(Article.id, Article.title).where(Article.story_id == story_id))
        named = [i for i, title in members if title.strip() == label.strip()]
        others = s.scalars(
            select(Article.id).where(Article.story_id == story_id, Article.title != label)
        ).all()
    assert named and others, "the demo story is named after one of its articles"
    with client(live_site) as c:
        line = doc(c.get(f"/a/{named[0]}", follow_redirects=True)).xpath("//p[@class='story']")[0]
        assert " ".join(line.text_content().split()) == f"One of {n} articles in this story"
        assert label not in line.text_content()
        line = doc(c.get(f"/a/{others[0]}", follow_redirects=True)).xpath("//p[@class='story']")[0]
        assert " ".join(line.text_content().split()) == f"Part of the story {label} ({n} articles)"
        assert line.xpath("a/@href") == [f"/s/{story_id}"]


def test_a_carrier_shows_its_claimed_date_once(live_site, seeds):
    """The carriers list gives each claim once: "claims DATE (earliest evidence …)"."""
    with client(live_site) as c:
        page = doc(c.get(seeds[0], follow_redirects=True))
    flagged = [
        " ".join(li.text_content().split())
        for li in page.xpath("//details[@class='carriers']//li")
        if li.xpath(".//span[contains(@class,'date-flag')]")
    ]
    assert flagged, "the seed's farm copy carries a date flag"
    for text in flagged:
        claimed = re.search(r"claims (\d{4}-\d{2}-\d{2})", text)
        assert claimed and text.count(claimed.group(1)) == 1, text
        assert "earliest evidence" in text


def test_story_addresses_survive_a_rebuild(store, settings):
    """Two old stories rebuilt as one: the one that gave most articles keeps its address,
    the other answers 301 to it (page, JSON twin, feeds); no address shows another story."""
    from datetime import timedelta

    import httpx

    from conftest import _serve_in_thread
    from dateline.web.app import create_app
    from test_stories import DAY0, _clusterer, cut_thread

    with store.write() as session:
        # an earlier clustering cut the strike in two; ids: match < small < large
        _thread, _match, ids = cut_thread(
            session,
            ("Zqport{}x", "Port strike, day {}."),
            ("Zqmarinersx", "The Mariners won."),
            ("match", "small", "large"),
        )
        _clusterer().rebuild(session, DAY0 - timedelta(days=1))
    server, thread_, base = _serve_in_thread(create_app(settings, store))
    try:
        with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as c:
            large = c.get(f"/s/{ids['large']}", params={"format": "json"})
            assert large.status_code == 200
            assert large.json()["size"] == 5 and large.json()["label"].startswith("Zqport")
            kept = c.get(f"/s/{ids['match']}", params={"format": "json"}).json()
            assert (kept["size"], kept["label"]) == (1, "Zqmarinersx")
            for suffix in ("", "?format=json", "/feed.rss", "/feed.atom"):
                moved = c.get(f"/s/{ids['small']}{suffix}")
                assert moved.status_code == 301, suffix
                assert moved.headers["location"] == f"/s/{ids['large']}{suffix}"
                assert c.get(moved.headers["location"]).status_code == 200, suffix
    finally:
        server.should_exit = True
        thread_.join(timeout=10)
