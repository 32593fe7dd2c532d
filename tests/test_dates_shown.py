"""Dates on pages, in the API and in feeds, on both engines.

A newsroom's own pages, dated in its zone ("Thu, 26 Nov 2026 22:05 -0500" is 27 November
03:05 in UTC), and two pages with no date at all, ingested a week later: pages show the
publisher's day and time, the API keeps the offset the page stated beside UTC, an undated
item gets no publication date in feeds or in its story, and it does not jump to the top of
Latest or Ranking: it comes after the dated ones (``queries.sort_undated``).
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from lxml import etree, html
from sqlalchemy import update

from dateline.enrich import dedup
from dateline.extract.dates import parse_claimed_date
from dateline.extract.model import ExtractedArticle
from dateline.ingest.raw import InputKind, RawDocument
from dateline.rank.rankers import DatelineRankers
from dateline.store.models import Article, Story
from dateline.store.queries import ListFilter, latest
from dateline.store.repository import save_article
from http_util import app_client

COUNCIL = "Council passes the harbour budget after a late session"
DREDGING = "Dredging of the old harbour begins on Wednesday"
NOTICE = "Ferry timetable changes for the winter months"
LIBRARY = "Library opening hours extended on weekends"
PAGES = [  # title, the date the page states, when we first saw it
    (COUNCIL, "Thu, 26 Nov 2026 22:05 -0500", datetime(2026, 11, 27, 12, 0)),
    (DREDGING, "Wed, 25 Nov 2026 09:00 -0500", datetime(2026, 11, 27, 12, 1)),
    (LIBRARY, None, datetime(2026, 12, 4, 9, 0)),  # undated, and first seen last
    (NOTICE, None, datetime(2026, 12, 5, 9, 0)),
]
# Dated newest first, then the undated, last seen first (before: NOTICE, LIBRARY, ...).
ORDER = [COUNCIL, DREDGING, NOTICE, LIBRARY]
CLOCK = datetime(2026, 12, 6)
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def newsroom(store, tmp_path):
    """The four pages of one site, in one story, served by the real app."""
    ids = {}
    for n, (title, stated, seen) in enumerate(PAGES):
        item = ExtractedArticle(
            title=title,
            paragraphs=[f"{title}. Reported by the Harbor City Gazette, item {n}.", f"Detail {n}."],
            url=f"https://gazette.example/news/{n}",
            site_name="Harbor City Gazette",
            claimed_date=parse_claimed_date(stated),
            language="en",
        )
        raw = RawDocument(data=title.encode(), origin=item.url or "", kind=InputKind.HTML)
        with store.write() as session:
            saved = save_article(session, item, raw, signature_of=dedup.signature_of, now=seen)
            ids[title] = saved.article_id
    with store.write() as session:
        # its span as the clusterer stores it: publication dates, else first seen
        span = {"first_seen_at": datetime(2026, 11, 25, 14, 0), "last_seen_at": PAGES[3][2]}
        story = Story(label=COUNCIL, size=len(PAGES), updated_at=CLOCK, **span)
        session.add(story)
        session.flush()
        session.execute(update(Article).values(story_id=story.id))
        ids["story"] = story.id
    with app_client(store, tmp_path, CLOCK.isoformat()) as client:
        yield client, ids


def words(element) -> str:
    return " ".join(element.text_content().split())


def test_pages_show_the_publishers_day_and_time(newsroom):
    client, ids = newsroom
    served = client.get(f"/a/{ids[COUNCIL]}", follow_redirects=True)
    page = html.fromstring(served.text)
    dates = page.xpath("//p[@class='dates']")[0]
    # Before: "Published 27 November 2026" (the UTC day) and, as if another page said so,
    # "Harbor City Gazette claims 2026-11-26T22:05:00-05:00" (its own claim, another day).
    assert words(dates) == "Published 26 November 2026, 22:05 (UTC-05:00)"
    assert dates.xpath(".//time/@datetime") == ["2026-11-26T22:05:00-05:00"]
    ld = json.loads(page.xpath("//script[@type='application/ld+json']")[0].text)
    assert ld["datePublished"] == "2026-11-26T22:05:00-05:00"
    listed = html.fromstring(client.get("/latest").text)
    shown = {
        words(li.xpath("a")[0]): words(li.xpath("span")[0])
        for li in listed.xpath("//li[@class='summary']")
    }
    assert shown[COUNCIL] == "Harbor City Gazette · 26 November 2026"
    assert shown[DREDGING] == "Harbor City Gazette · 25 November 2026"
    assert shown[NOTICE] == "Harbor City Gazette · date unknown, first seen 5 December 2026"


def test_the_api_keeps_the_offset_the_page_stated(newsroom):
    client, ids = newsroom
    article = client.get(f"/api/v1/articles/{ids[COUNCIL]}").json()
    assert article["published_at"] == "2026-11-27T03:05:00Z"
    assert article["published_local"] == "2026-11-26T22:05:00-05:00"
    assert article["carriers"][0]["claims"]["date"] == "2026-11-26T22:05:00-05:00"
    assert article["date_claims"] == []  # the same instant is not another date
    listed = {a["title"]: a for a in client.get("/api/v1/articles").json()["items"]}
    assert listed[COUNCIL]["published_local"] == "2026-11-26T22:05:00-05:00"
    assert listed[NOTICE]["published_at"] is None
    assert listed[NOTICE]["published_local"] is None
    assert listed[NOTICE]["first_seen_at"] == "2026-12-05T09:00:00Z"
    path = client.get(f"/a/{ids[COUNCIL]}", follow_redirects=True).url.path
    twin = client.get(path, params={"format": "json"})
    assert twin.json()["article"]["published_local"] == "2026-11-26T22:05:00-05:00"


def feed_dates(client, path: str) -> dict[str, dict[str, str | None]]:
    rss = etree.fromstring(client.get(f"{path}.rss").content)
    atom = etree.fromstring(client.get(f"{path}.atom").content)
    dates: dict[str, dict[str, str | None]] = {}
    for item in rss.iter("item"):
        dates[item.findtext("title")] = {"pubDate": item.findtext("pubDate")}
    for entry in atom.iter(f"{ATOM}entry"):
        dates[entry.findtext(f"{ATOM}title")].update(
            published=entry.findtext(f"{ATOM}published"),
            updated=entry.findtext(f"{ATOM}updated"),
        )
    return dates


@pytest.mark.parametrize("path", ["/feed", "/s/{story}/feed"])
def test_feeds_give_an_undated_item_no_publication_date(newsroom, path):
    client, ids = newsroom
    dates = feed_dates(client, path.format(story=ids["story"]))
    # Before: pubDate "Sat, 05 Dec 2026 09:00:00 GMT", when we first saw it, as if published.
    assert dates[NOTICE] == {"pubDate": None, "published": None, "updated": "2026-12-05T09:00:00Z"}
    assert dates[COUNCIL] == {
        "pubDate": "Fri, 27 Nov 2026 03:05:00 GMT",
        "published": "2026-11-27T03:05:00Z",
        "updated": "2026-11-27T03:05:00Z",
    }


def test_a_story_says_first_seen_of_an_undated_article(newsroom):
    client, ids = newsroom
    page = html.fromstring(client.get(f"/s/{ids['story']}").text)
    # Before: "4 articles, from 25 November 2026 to 5 December 2026" (a first-seen day).
    lede = words(page.xpath("//p[@class='lede']")[0])
    assert lede.startswith(
        "4 articles, published from 25 November 2026 to 26 November 2026;"
        " 2 of unknown date (first seen from 4 December 2026)."
    )
    # Oldest first, then those of unknown date, in the order we first saw them.
    timeline = page.xpath("//ol[contains(@class, 'timeline')]/li")
    shown = [(words(li.xpath("a")[0]), words(li.xpath("span")[0])) for li in timeline]
    assert shown == [
        (DREDGING, "25 November 2026"),
        (COUNCIL, "26 November 2026"),
        (LIBRARY, "date unknown, first seen 4 December 2026"),
        (NOTICE, "date unknown, first seen 5 December 2026"),
    ]


def test_an_undated_item_does_not_jump_to_the_top(store, newsroom):
    """First seen a week after the others, the undated pages come after every dated one,
    in every list, and paging (the keyset carries "undated") walks the same order."""
    client, ids = newsroom
    order = ORDER
    with store.read() as session:
        assert [a.title for a in latest(session, limit=10)[0]] == order
        paged, after = [], None
        for _ in range(len(PAGES) + 1):
            items, after = latest(session, limit=1, after=after)
            paged += [a.title for a in items]
            if after is None:
                break
        assert paged == order
        ranked = DatelineRankers(store).ranking(session, CLOCK, 8)
        story = latest(session, limit=10, filters=ListFilter(story_id=ids["story"]))[0]
        assert [a.title for a in story] == order
    # nothing read: the newest, dated first (one article per story: these are one story)
    assert [r.article_id for r in ranked] == [ids[COUNCIL]]
    served = client.get("/api/v1/ranking").json()["items"]
    assert [e["article"]["title"] for e in served] == order[:1]
    home = html.fromstring(client.get("/").text)
    assert [words(a) for a in home.xpath("//section[@class='latest']//li/a")] == order
