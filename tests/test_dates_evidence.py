"""Dates you can trust (enrich/dates.py) on both engines, with corroboration built honestly.

The seeds are AP stories republished by content farms under 2025-04-26. Corroboration is
an earlier page from the wire's own site (apnews.com, Source.kind "wire") carrying the
same text, written here to a temporary JSONL file from the seed read in place.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from dateline.enrich import date_text, dates
from dateline.enrich.sources import mark_wire_sources
from dateline.extract.model import ExtractedArticle
from dateline.pipeline import ingest_many
from dateline.store.models import Article, Page, Source
from http_util import read_seed

# After every claim in these tests, so "future" only comes from the claims themselves.
NOW = datetime(2026, 6, 1)
# A closing line as wire stories carry and farm copies drop: makes the wire page a
# near-copy of the seed rather than the same text.
CONTRIBUTOR_LINE = "Associated Press writers in Seoul, South Korea, contributed to this report."


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def wire_original(seed: ExtractedArticle, published: str, *, near: bool = False) -> dict:
    """The wire's own page for a seed's text: same title and body, the wire's date."""
    body = seed.body + ("\n\n" + CONTRIBUTOR_LINE if near else "")
    slug = "-".join(seed.title.lower().split()[:6])
    return {
        "title": seed.title,
        "body": body,
        "url": f"https://apnews.com/article/{slug}",
        "site_name": "AP News",
        "published": published,
    }


def ingest(store, settings, *targets: Path) -> None:
    report = ingest_many([str(t) for t in targets], store, settings)
    assert report.ok, report.failures


def pages_by_site(session, article_id: int) -> dict[str, Page]:
    pages = session.scalars(select(Page).where(Page.article_id == article_id))
    return {p.source.name: p for p in pages}


def only_article(session) -> Article:
    articles = session.scalars(select(Article)).all()
    assert len(articles) == 1
    return articles[0]


def test_single_wire_copy_is_unverified_with_its_reason(store, settings, seed_004):
    ingest(store, settings, seed_004)
    with store.write() as s:
        article = only_article(s)
        result = dates.apply(s, article.id, NOW)
        assert result.status == "unverified"
        assert article.date_status == "unverified"
        assert article.date_reason == "copied wire text, single copy"
        # Credible but uncorroborated: kept as the best evidence, never a made-up year.
        assert article.published_at == datetime(2025, 4, 26, 16, 36, 17)
        assert pages_by_site(s, article.id)["Prime Capital Blueprint"].date_flag is None


def test_tuesday_lead_claimed_on_a_saturday_is_not_credible(store, settings, seed_000):
    assert date(2025, 4, 26).strftime("%A") == "Saturday"
    ingest(store, settings, seed_000)
    with store.write() as s:
        article = only_article(s)
        dates.apply(s, article.id, NOW)
        assert article.date_status == "unverified"
        assert article.published_at is None
        assert article.date_reason == (
            "copied wire text, single copy; says 'on Tuesday' but claims a Saturday"
        )
        page = pages_by_site(s, article.id)["Aspire Money Growth"]
        assert page.date_flag == "claimed 2025-04-26 · says 'on Tuesday' but claims a Saturday"
        # Nothing credible: lists sort it by when we first saw it.
        assert dates.sort_date(article) == article.first_seen_at


def test_wire_original_dates_the_copy_and_flags_its_claim(store, settings, seed_004, tmp_path):
    seed = read_seed(seed_004, settings)
    ap = write_jsonl(tmp_path / "ap.jsonl", [wire_original(seed, "2023-10-20")])
    ingest(store, settings, ap, seed_004)
    with store.write() as s:
        assert mark_wire_sources(s) == 1
        assert (
            s.scalars(select(Source).where(Source.key == "https://apnews.com|ap news")).one().kind
            == "wire"
        )
        article = only_article(s)  # same text: the seed page is a copy of the wire's page
        first = dates.apply(s, article.id, NOW)
        assert article.published_at == datetime(2023, 10, 20)
        assert article.date_status == "flagged"
        assert article.date_reason == (
            "earliest evidence 2023-10-20 — dated by the wire's own page (AP News); "
            "1 page claims 2025-04-26"
        )
        pages = pages_by_site(s, article.id)
        assert pages["Prime Capital Blueprint"].date_flag == (
            "claimed 2025-04-26 · earliest evidence 2023-10-20"
        )
        assert pages["AP News"].date_flag is None
        # Three dates kept apart: each page's claim, first seen, the best evidence.
        assert pages["Prime Capital Blueprint"].claimed_date == "2025-04-26T16:36:17"
        assert pages["Prime Capital Blueprint"].first_seen_at > datetime(2026, 1, 1)
        # "on Friday" resolved against the evidence: the Friday of Lavrov's comments.
        assert {"kind": "text", "phrase": "on Friday", "resolves_to": "2023-10-20"} in (
            article.date_evidence
        )
        again = dates.apply(s, article.id, NOW)
        assert again.evidence_json() == first.evidence_json() == article.date_evidence
        assert (again.status, again.reason) == (first.status, first.reason)


def test_seed_attaches_to_wire_near_copy_and_its_claim_is_flagged(
    store, settings, seed_000, tmp_path
):
    seed = read_seed(seed_000, settings)
    original = wire_original(seed, "2024-01-16T10:20:00-05:00", near=True)
    ingest(store, settings, write_jsonl(tmp_path / "ap.jsonl", [original]), seed_000)
    with store.write() as s:
        article = only_article(s)  # the near-copy attached to the wire's article
        assert article.body.endswith(CONTRIBUTOR_LINE)
        dates.apply(s, article.id, NOW)
        assert article.published_at == datetime(2024, 1, 16, 15, 20)
        assert article.date_status == "flagged"
        pages = pages_by_site(s, article.id)
        assert pages["Aspire Money Growth"].date_flag == (
            "claimed 2025-04-26 · earliest evidence 2024-01-16 · "
            "says 'on Tuesday' but claims a Saturday"
        )
        assert pages["AP News"].date_flag is None  # a Tuesday story filed on a Tuesday


def test_future_claim_is_not_credible(store, settings, tmp_path):
    body = "A constructed story for the date tests.\n\nIt has two paragraphs of text."
    records = [
        {"title": "T", "body": body, "url": "https://a.example/1", "published": "2099-01-01"},
        {"title": "T", "body": body, "url": "https://b.example/2", "published": "2020-01-02"},
    ]
    ingest(store, settings, write_jsonl(tmp_path / "two.jsonl", records[:1]))
    with store.write() as s:
        article = only_article(s)
        assert article.published_at == datetime(2099, 1, 1)  # the raw claim, not assessed
        assert dates.sort_date(article) == article.first_seen_at
        dates.apply(s, article.id, datetime(2100, 1, 1))
        assert article.published_at is None
        assert article.date_reason == "claims a date in the future (after first seen)"
    ingest(store, settings, write_jsonl(tmp_path / "other.jsonl", records[1:]))
    with store.write() as s:
        article = only_article(s)
        dates.apply(s, article.id, NOW)
        assert article.published_at == datetime(2020, 1, 2)
        assert article.date_status == "flagged"
        flags = {p.source.name: p.date_flag for p in article.pages}
        assert flags == {
            "a.example": "claimed 2099-01-01 · earliest evidence 2020-01-02 · "
            "claims a date in the future (after the site's clock)",
            "b.example": None,
        }


def test_source_with_mostly_fake_dates_is_not_believed(store, settings, seed_004):
    ingest(store, settings, seed_004)
    with store.write() as s:
        source = s.scalars(select(Source).where(Source.name == "Prime Capital Blueprint")).one()
        source.score_details = {"signals": {"fake_dates": {"count": 3, "of": 4}}}
        article = only_article(s)
        dates.apply(s, article.id, NOW)
        assert article.published_at is None
        assert article.date_reason == (
            "copied wire text, single copy; "
            "Prime Capital Blueprint's dates are mostly fake (3 of 4 flagged)"
        )
        # Reputation alone never flags a page (the fake-date rate is made of flags).
        assert pages_by_site(s, article.id)["Prime Capital Blueprint"].date_flag is None


def test_publisher_date_of_original_text_is_corroborated(store, settings, tmp_path):
    body = "Officials said on Monday the bridge would reopen.\n\nWork took two years."
    record = {"title": "Bridge", "body": body, "url": "https://news.example/b", "published":
              "2020-03-04"}  # fmt: skip
    ingest(store, settings, write_jsonl(tmp_path / "one.jsonl", [record]))
    with store.write() as s:
        article = only_article(s)
        dates.apply(s, article.id, NOW)
        assert article.date_status == "corroborated"
        assert article.date_reason == (
            "dated by its publisher (news.example); nothing contradicts it"
        )
        # Not wire copy: a weekday two days back is normal for a non-wire lead.
        assert article.published_at == datetime(2020, 3, 4)


def test_sort_date_sql_matches_python(store, settings, tmp_path):
    body = "Sorting test body.\n\nSecond paragraph."
    records = [
        {"title": f"S{i}", "body": f"{body} {i}", "url": f"https://s.example/{i}",
         "published": day}
        for i, day in enumerate(["2020-01-01", "2099-01-01", None])
    ]  # fmt: skip
    ingest(store, settings, write_jsonl(tmp_path / "s.jsonl", records))
    with store.read() as s:
        rows = s.execute(select(Article, dates.sort_date_expression())).all()
        assert len(rows) == 3
        for article, sql_value in rows:
            assert sql_value == dates.sort_date(article)
        by_title = {a.title: v for a, v in rows}
        assert by_title["S0"] == datetime(2020, 1, 1)
        assert by_title["S1"] > datetime(2026, 1, 1)  # first seen, not 2099


# --- the text rules, without a store ------------------------------------------------------


def test_text_mentions_and_resolution():
    body = (
        "SEOUL (AP) — Officials said on Tuesday that Black Friday sales fell.\n\n"
        "Markets open every Monday. Talks were held last week and earlier this month.\n\n"
        "On Thursday, ministers met."
    )
    mentions = date_text.find_mentions(body)
    phrases = [m.phrase for m in mentions]
    assert phrases == ["on Tuesday", "last week", "earlier this month", "on Thursday"]
    lead = date_text.lead_weekday(mentions)
    assert lead is not None and lead.phrase == "on Tuesday"
    day = date(2024, 1, 18)  # a Thursday
    resolved = {r["phrase"]: r["resolves_to"] for r in date_text.resolve_all(mentions, day)}
    assert resolved == {
        "on Tuesday": "2024-01-16",
        "last week": "week of 2024-01-08",
        "earlier this month": "2024-01",
        "on Thursday": "2024-01-18",
    }
    saturday = date(2024, 1, 20)
    assert date_text.contradiction(mentions, saturday, wire=True) == (
        "says 'on Tuesday' but claims a Saturday"
    )
    assert date_text.contradiction(mentions, saturday, wire=False) is None
    assert date_text.contradiction(mentions, day, wire=True) is None
    assert date_text.contradiction(mentions, date(2024, 2, 1), wire=False) == (
        "says 'earlier this month' but claims the 1st of a month"
    )
