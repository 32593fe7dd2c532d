"""The demo's synthetic content-farm copies: deterministic, labelled, ingestible, enriched."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select

from dateline.demo import farm as demo_farm
from dateline.demo import load_demo
from dateline.enrich import dates, sources
from dateline.extract import extract_document
from dateline.extract.model import ExtractedArticle
from dateline.ingest.sources import load
from dateline.store.models import Article, Page, Source

# The demo's site clock: the end of the newest Wikinews article's day.
DEMO_CLOCK = datetime(2020, 12, 28, 23, 59, 59)


def test_generator_is_deterministic_and_labelled(tmp_path, settings):
    first = demo_farm.generate_farm_pages(tmp_path / "a")
    second = demo_farm.generate_farm_pages(tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, second, strict=True))
    assert 30 <= len(first) <= 60
    other = demo_farm.generate_farm_pages(tmp_path / "c", seed=7)
    assert [p.read_bytes() for p in other] != [p.read_bytes() for p in first]

    items = [next(iter(extract_document(load(str(p), settings)))) for p in first]
    assert all(isinstance(i, ExtractedArticle) for i in items)
    copies_per_article = Counter(p.name.split("-")[1] for p in first)
    assert len(copies_per_article) == demo_farm.ARTICLES
    assert max(copies_per_article.values()) >= 3  # some stories are carried by several farms
    for item in items:
        assert isinstance(item, ExtractedArticle)
        assert item.site_name in demo_farm.SYNTHETIC_FARMS
        assert item.site_name.endswith("(synthetic)")
        assert demo_farm.is_synthetic_source(item.site_name)
        assert item.claimed_category in demo_farm.FAKE_CATEGORIES
        assert item.claimed_date is not None and item.claimed_date.value.year >= 2007
        assert set(item.claimed_links) == {"Related", "Ranking", "Recommendation"}
        assert "veryGood" not in item.body and "Related" not in item.body.split("\n\n")
    assert not demo_farm.is_synthetic_source("Wikinews")
    assert demo_farm.is_synthetic_source("Anything", kind=demo_farm.SYNTHETIC_KIND)


def test_demo_with_farm_copies_shows_provenance_flags_and_scores(store, settings):
    assert load_demo(store, settings).ok
    with store.read() as s:
        articles_before = s.scalar(select(func.count()).select_from(Article))
    report = demo_farm.load_farm_copies(store, settings)
    assert report.ok and set(report.counts) == {"new"}
    assert 30 <= report.counts["new"] <= 60
    again = demo_farm.load_farm_copies(store, settings)
    assert set(again.counts) == {"known"}  # idempotent

    with store.write() as s:
        # Every copy, verbatim or near, attaches to its Wikinews article.
        assert s.scalar(select(func.count()).select_from(Article)) == articles_before
        dates.apply_all(s, DEMO_CLOCK)
        sources.score_sources(s, DEMO_CLOCK)
        dates.apply_all(s, DEMO_CLOCK)

    with store.read() as s:
        farms = s.scalars(select(Source).where(Source.kind == demo_farm.SYNTHETIC_KIND)).all()
        assert sorted(f.name for f in farms) == sorted(demo_farm.SYNTHETIC_FARMS)
        wikinews = s.scalars(select(Source).where(Source.name == "Wikinews")).one()
        assert wikinews.score == 1.0
        for farm in farms:
            assert farm.score is not None and farm.score < 0.5
            assert farm.score_details is not None
            assert farm.score_details["signals"]["fake_dates"]["rate"] == 1.0
        farm_pages = s.scalars(
            select(Page).join(Source).where(Source.kind == demo_farm.SYNTHETIC_KIND)
        ).all()
        for page in farm_pages:
            article = s.get(Article, page.article_id)
            assert article is not None and article.published_at is not None
            assert page.date_flag is not None
            assert page.date_flag.startswith(
                f"claimed {page.claimed_date[:10]} · "
                f"earliest evidence {article.published_at:%Y-%m-%d}"
            )
            assert article.date_status == "flagged"
        # No fake date leaks into the dates lists sort by.
        newest = s.scalar(select(func.max(Article.published_at)))
        assert newest is not None and newest <= DEMO_CLOCK
        statuses = Counter(s.scalars(select(Article.date_status)))
        assert statuses["flagged"] == demo_farm.ARTICLES
