""" "Top stories" means read or widely covered: on a new instance with one source and no
reader, the home page does not fill it with the newest.

The Ranking list may still fill up with the newest articles (it says so in each item's
reason, "newest"); the home page's "Top stories" section promises engagement or coverage
by several independent sources, so it shows only those.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from lxml import html

from dateline.enrich import dedup
from dateline.extract.model import ClaimedDate, ExtractedArticle
from dateline.ingest.raw import InputKind, RawDocument
from dateline.rank.rankers import DatelineRankers
from dateline.store.repository import save_article
from http_util import app_client

TITLES = [
    "Harbour bridge reopens after repairs",
    "City council approves new library",
    "Local team wins regional final",
]


@pytest.fixture
def unread_site(store, tmp_path):
    """Three articles, no reader, no view: a brand-new instance."""
    for day, title in enumerate(TITLES, start=1):
        item = ExtractedArticle(
            title=title,
            paragraphs=[f"{title}. The report was published on day {day}.", "More follows."],
            claimed_date=ClaimedDate(datetime(2026, 3, day, 9, 0)),
            language="en",
        )
        raw = RawDocument(data=title.encode(), origin=title, kind=InputKind.TEXT_DUMP)
        with store.write() as session:
            save_article(session, item, raw, signature_of=dedup.signature_of)
    with app_client(store, tmp_path, "2026-03-05T00:00:00") as client:
        yield client


def test_top_stories_is_empty_until_something_is_read(unread_site):
    page = html.fromstring(unread_site.get("/").text)
    section = page.xpath("//section[@class='top-stories']")[0]
    assert section.xpath(".//li") == []
    assert "Nothing has been read or widely covered" in section.text_content()
    latest = page.xpath("//section[@class='latest']//li")
    assert len(latest) == len(TITLES)


def test_the_ranking_list_marks_its_newest_fill_as_filler(store, unread_site):
    with store.read() as session:
        ranked = DatelineRankers(store).ranking(session, datetime(2026, 3, 5), 8)
    assert len(ranked) == len(TITLES)
    assert all(r.filler and r.reason == "newest" for r in ranked)
