"""The demo's simulated readership on both engines: realistic, consistent, deterministic."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select

from dateline.demo import load_demo, simulate_demo_readers
from dateline.enrich import dedup
from dateline.extract.model import ClaimedDate, ExtractedArticle
from dateline.ingest.raw import InputKind, RawDocument
from dateline.readers import valid_reader_id
from dateline.readers.simulate import (
    GENERAL,
    WINDOW_DAYS,
    article_topics,
    simulate_readership,
    simulated_reader_id,
)
from dateline.store.db import Store
from dateline.store.models import Article, ArticleDaily, ArticleStats, Event, Reaction, Reader
from dateline.store.repository import save_article
from dateline.store.schema import upgrade

CLOCK = datetime(2024, 6, 30, 12, 0)


def test_topics_come_from_the_articles_words():
    assert article_topics("Coronavirus lockdown extended", "") == {"covid"}
    assert "us-politics" in article_topics("Trump impeachment trial opens", "")
    body = "The football season ended. Football fans cheered. A football match."
    assert article_topics("Season ends", body) == {"sport"}
    assert article_topics("Water main bursts downtown", "Crews worked overnight.") == {GENERAL}


def test_simulated_reader_ids_are_deterministic_cookie_shaped_ids():
    assert simulated_reader_id(7, 1) == simulated_reader_id(7, 1) != simulated_reader_id(8, 1)
    assert valid_reader_id(simulated_reader_id(7, 1))


def totals(store: Store) -> dict[str, object]:
    """Everything the simulation writes, in a comparable form."""
    with store.read() as session:
        return {
            "stats": session.execute(
                select(
                    ArticleStats.article_id, ArticleStats.views, ArticleStats.reactions
                ).order_by(ArticleStats.article_id)
            ).all(),
            "daily": session.execute(
                select(
                    ArticleDaily.article_id,
                    ArticleDaily.day,
                    ArticleDaily.views,
                    ArticleDaily.reactions,
                    ArticleDaily.impressions,
                    ArticleDaily.clicks,
                ).order_by(ArticleDaily.article_id, ArticleDaily.day)
            ).all(),
            "readers": session.scalars(select(Reader.id).order_by(Reader.id)).all(),
        }


def test_demo_readership_is_consistent_distinct_and_idempotent(store, settings):
    assert load_demo(store, settings).ok
    # its time is bench/demo_build.py's business (target < 20 s on 2 cores)
    clock, summary = simulate_demo_readers(store, settings)
    with store.read() as session:
        newest = session.scalar(select(func.max(Article.published_at)))
        articles = {a.id: article_topics(a.title, a.body) for a in session.scalars(select(Article))}
        views = session.execute(
            select(Event.reader_id, Event.article_id, Event.created_at).where(Event.kind == "view")
        ).all()
        reaction_rows = session.scalar(select(func.count()).select_from(Reaction))
        stats = session.execute(
            select(func.sum(ArticleStats.views), func.sum(ArticleStats.reactions))
        ).one()
        daily = session.execute(
            select(
                func.sum(ArticleDaily.views),
                func.sum(ArticleDaily.impressions),
                func.sum(ArticleDaily.clicks),
            )
        ).one()
        clicked = session.scalar(
            select(func.count()).select_from(Event).where(Event.clicked.is_(True))
        )
        flagged = session.scalar(
            select(func.count()).select_from(Reader).where(Reader.simulated.is_(True))
        )
    assert clock is not None and clock.date() == newest.date() and clock >= newest
    assert not summary.skipped
    # A few hundred readers, each reading 10–60 articles, with some reactions and clicks.
    assert summary.readers == flagged == 300
    assert 300 * 10 <= summary.views == len(views) <= 300 * 60
    assert 0.05 <= summary.reactions / summary.views <= 0.15
    assert summary.reactions == reaction_rows == stats[1]
    assert summary.views == stats[0] == daily[0]  # every read counted, once, in both aggregates
    assert summary.impressions == daily[1] and summary.clicks == daily[2] == clicked > 0
    assert all(clock - timedelta(days=WINDOW_DAYS) <= at <= clock for _r, _a, at in views)
    # Distinct interests: many different combinations, and readers read what they like.
    assert len(set(summary.interests.values())) > 100
    covid_share = sum("covid" in t for t in articles.values()) / len(articles)
    read: dict[str, list[int]] = {}
    for rid, aid, _at in views:
        read.setdefault(rid, []).append(aid)

    def covid_share_of(readers: list[str]) -> float:
        seen = [aid for rid in readers for aid in read[rid]]
        return sum("covid" in articles[aid] for aid in seen) / len(seen)

    fans = [rid for rid, topics in summary.interests.items() if "covid" in topics]
    others = [rid for rid, topics in summary.interests.items() if "covid" not in topics]
    only_covid = [rid for rid, topics in summary.interests.items() if topics == ("covid",)]
    # Readers whose only interest is COVID read mostly COVID (as much as the corpus allows:
    # they read up to 60 distinct articles of a topic that has ~25).
    assert only_covid and covid_share_of(only_covid) > 5 * covid_share
    assert covid_share_of(fans) > 3 * covid_share > covid_share_of(others)
    popular = Counter(aid for _r, aid, _at in views).most_common(5)
    assert popular[0][1] > 2 * (len(views) / len(articles))  # not uniform: some stories lead
    # Running the demo again does not simulate again (or double anything).
    before = totals(store)
    again_clock, again = simulate_demo_readers(store, settings)
    assert again_clock == clock and again.skipped
    assert (again.readers, again.views, again.reactions) == (300, summary.views, summary.reactions)
    assert totals(store) == before


def make_corpus(store: Store) -> None:
    subjects = [
        "Coronavirus pandemic update",
        "Football cup final",
        "NASA space probe launch",
        "Brexit talks stall in Britain",
        "Water main bursts",
    ]
    with store.write() as session:
        for i in range(120):
            title = f"{subjects[i % len(subjects)]} number {i}"
            article = ExtractedArticle(
                title=title,
                paragraphs=[f"Report {i} on {title.lower()}."],
                site_name="Sim Wire",
                claimed_date=ClaimedDate(CLOCK - timedelta(hours=7 * i)),
            )
            raw = RawDocument(data=f"sim {i}".encode(), origin=f"sim{i}", kind=InputKind.TEXT_DUMP)
            save_article(session, article, raw, signature_of=dedup.signature_of)


def test_same_seed_same_readership_on_every_engine(store, settings, tmp_path):
    reference = Store(f"sqlite:///{tmp_path / 'reference.db'}")
    other_seed = Store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        for s in (store, reference, other_seed):
            if s is not store:
                upgrade(s)
            make_corpus(s)
        first = simulate_readership(store, settings, CLOCK, readers=40, seed=11)
        second = simulate_readership(reference, settings, CLOCK, readers=40, seed=11)
        third = simulate_readership(other_seed, settings, CLOCK, readers=40, seed=12)
        assert first == second and first.views > 0 and first.reactions > 0
        assert totals(store) == totals(reference)
        assert totals(store) != totals(other_seed) and first.interests != third.interests
    finally:
        reference.dispose()
        other_seed.dispose()
