"""The best carrier, not the first, speaks for an article: real HTML pages through the
real pipeline, in both orders, on both engines (issue 14, item 1)."""

from __future__ import annotations

from sqlalchemy import select

from dateline.enrich import dedup
from dateline.pipeline import ingest_many
from dateline.store import lead
from dateline.store.models import Article, Page, Source
from dateline.store.queries import carriers, get_article, latest
from news_pages import write_pages

PARAGRAPHS = [
    "HARBOR CITY — The Fremont Street bridge will close for six weeks from Monday while "
    "crews replace the steel deck that engineers found badly corroded last spring.",
    "The city's transport department said the work could not wait another winter, and "
    "that buses on routes 12 and 40 would cross the river at Mill Road instead.",
    "Shop owners on the east bank said they feared losing customers during the busiest "
    "weeks of the year, and asked the council for help with parking and signs.",
    "The council approved a fund of two hundred thousand dollars on Tuesday evening to "
    "pay for free parking near the market and for extra ferry crossings at weekends.",
    "Engineers said the new deck would carry heavier lorries and last at least fifty "
    "years, and that the bridge's historic railings would be restored and put back.",
    "Residents can follow the works on the city's website, where a camera shows the "
    "site, and a public meeting will be held at the library on the first Thursday.",
]


ORIGINAL = dict(
    site="Valley Tribune",
    url="https://valleytribune.example/news/bridge-closure",
    title="Fremont Street bridge to close for six weeks of repairs",
    paragraphs=PARAGRAPHS,
    published="2026-11-26T09:15:00-05:00",
    section="Local",
    byline="Dana Whitfield",
)
COPY = dict(
    site="DailyBuzz Money",
    url="https://dailybuzz.example/markets/you-wont-believe-this-bridge",
    title="You won't BELIEVE what is happening to this bridge",
    paragraphs=PARAGRAPHS[:-1],  # a shortened copy
    published="2026-11-26T16:40:00-05:00",
    section="Markets",
    byline="DailyBuzz Staff",
)


def shown(store) -> dict:
    """What the site shows for the one article: the fields a reader sees."""
    with store.read() as session:
        (article_id,) = session.scalars(select(Article.id)).all()
        detail = get_article(session, article_id)
        (summary,), _ = latest(session, limit=5)
    assert detail is not None
    return {
        "title": detail.title,
        "body": detail.body,
        "words": detail.word_count,
        "byline": detail.byline,
        "source": detail.source_name,
        "source_url": detail.source_url,
        "category": (detail.category, detail.category_is_claim),
        "listed_as": (summary.title, summary.source_name, summary.category),
        "carriers": sorted(c.source_name for c in detail.carriers),
        "near_copies": sorted(c.source_name for c in detail.carriers if c.near_copy),
    }


def test_the_original_leads_in_either_order(store, new_store, settings, tmp_path):
    paths = write_pages(tmp_path / "pages", original=ORIGINAL, copy=COPY)
    ingest_many([str(paths["copy"]), str(paths["original"])], store, settings)
    copy_first = shown(store)

    assert copy_first["title"] == ORIGINAL["title"]
    assert copy_first["body"] == "\n\n".join(PARAGRAPHS)
    assert copy_first["words"] == len(" ".join(PARAGRAPHS).split())
    assert copy_first["byline"] == "Dana Whitfield"
    assert copy_first["source"] == "Valley Tribune"
    assert copy_first["source_url"] == ORIGINAL["url"]
    assert copy_first["category"] == ("Local", True)
    assert copy_first["listed_as"] == (ORIGINAL["title"], "Valley Tribune", "Local")
    assert copy_first["carriers"] == ["DailyBuzz Money", "Valley Tribune"]
    assert copy_first["near_copies"] == ["DailyBuzz Money"], "the copy keeps its own text"

    second = new_store()
    ingest_many([str(paths["original"]), str(paths["copy"])], second, settings)
    assert shown(second) == copy_first, "the order pages arrive in does not matter"


def test_an_earlier_day_beats_a_fuller_text(store, new_store, settings, tmp_path):
    """A fuller copy published days later is still the copy: the date comes first."""
    fuller = {**COPY, "paragraphs": [*PARAGRAPHS, "Readers can send questions by email."]}
    fuller["published"] = "2026-11-29T08:00:00-05:00"
    paths = write_pages(tmp_path / "pages", original=ORIGINAL, fuller=fuller)
    for order, target in ((("fuller", "original"), store), (("original", "fuller"), new_store())):
        ingest_many([str(paths[name]) for name in order], target, settings)
        got = shown(target)
        assert (got["title"], got["source"]) == (ORIGINAL["title"], "Valley Tribune"), order


def test_a_source_scored_as_a_farm_stops_leading(store, settings, tmp_path):
    """Same day, the farm's copy holding the whole text and more leads at first; once the
    enrich stage scores its site as a farm, the publisher's page takes over."""
    more = (
        "Traffic officials expect queues on Mill Road during the morning rush, and advise "
        "drivers heading to the industrial estate to leave earlier or use the ring road."
    )
    padded = {**COPY, "paragraphs": [*PARAGRAPHS, more]}
    padded["published"] = ORIGINAL["published"]
    paths = write_pages(tmp_path / "pages", original=ORIGINAL, padded=padded)
    ingest_many([str(paths["original"]), str(paths["padded"])], store, settings)
    assert shown(store)["source"] == "DailyBuzz Money", "holds the original's text, and more"
    with store.write() as session:
        farm = session.scalars(select(Source).where(Source.name == "DailyBuzz Money")).one()
        farm.score = 0.3
        changed = lead.redecide_carried(session, signature_of=dedup.signature_of)
        assert len(changed) == 1
        assert session.get(Article, changed[0]).enrich_version is None, "to be redone"
    got = shown(store)
    assert (got["title"], got["source"], got["body"]) == (
        ORIGINAL["title"],
        "Valley Tribune",
        "\n\n".join(PARAGRAPHS),
    )
    with store.write() as session:
        assert lead.redecide_carried(session, signature_of=dedup.signature_of) == []


def test_a_new_version_of_the_lead_updates_the_headline(store, settings, tmp_path):
    paths = write_pages(tmp_path / "v1", original=ORIGINAL, copy=COPY)
    ingest_many([str(paths["original"]), str(paths["copy"])], store, settings)
    retitled = {**ORIGINAL, "title": "Fremont Street bridge closes Monday for six weeks"}
    (v2,) = write_pages(tmp_path / "v2", original=retitled).values()
    (item,) = ingest_many([str(v2)], store, settings).items
    assert item.status == "updated"
    got = shown(store)
    assert (got["title"], got["source"]) == (retitled["title"], "Valley Tribune")
    with store.read() as session:
        listed = carriers(session, session.scalars(select(Article.id)).one())
    assert len(listed) == 3, "every version stays in the provenance"


def test_only_pages_whose_text_we_hold_compete():
    """A near-copy stored before pages kept their text cannot lead: its text is unknown."""
    legacy = Page(body=None, extra={"near_copy": {"containment": 0.9}})
    assert not lead.text_known(legacy)
    assert lead.text_known(Page(body="Own text.", extra={"near_copy": {}}))
    assert lead.text_known(Page(body=None, extra={}))


def test_the_rules_in_order():
    from datetime import datetime

    def candidate(page_id, **kw):
        fields = dict(
            page_id=page_id,
            first_seen_at=datetime(2026, 11, 27),
            claimed_date="2026-11-26T09:00:00-05:00",
            claimed_utc=datetime(2026, 11, 26, 14),
            date_flag=None,
            source_score=None,
            source_kind="unknown",
            contains=0,
        )
        return lead.Candidate(**{**fields, **kw})

    plain = candidate(9)
    assert lead.choose([plain, candidate(1, source_score=0.2)]) is plain, "farm loses"
    clean = candidate(8, source_score=0.95)
    assert lead.choose([plain, clean]) is clean, "a scored clean source is no worse (id order)"
    wire = candidate(7, source_kind="wire", claimed_date=None, claimed_utc=None)
    assert lead.choose([plain, wire]) is wire, "the wire's own page"
    undated = candidate(2, claimed_date=None, claimed_utc=None, contains=3)
    assert lead.choose([plain, undated]) is plain, "a stated date beats none"
    later = candidate(3, claimed_date="2026-11-27T01:00:00", contains=1)
    assert lead.choose([plain, later]) is plain, "an earlier day beats a fuller text"
    fuller = candidate(4, claimed_date="2026-11-26T20:00:00-05:00", contains=1)
    assert lead.choose([plain, fuller]) is fuller, "same day: the fuller text"
    future = candidate(5, claimed_date="2026-12-24", claimed_utc=datetime(2026, 12, 24))
    assert future.credible_day is None, "ahead of first seen: not credible"
    flagged = candidate(6, date_flag="claimed 2026-11-26 · earliest evidence 2025-01-01")
    assert flagged.credible_day is None
