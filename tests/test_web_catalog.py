"""The in-memory catalog (web/catalog.py) and the rankers over it, on both engines."""

from __future__ import annotations

from datetime import timedelta

from dateline.rank.rankers import DatelineRankers
from dateline.readers import EventBuffer, reader_key
from dateline.web.catalog import Catalog
from test_reader_events import T0, make_articles, new_reader


def test_batched_recommendations_equal_one_reader_at_a_time(store):
    articles = make_articles(store, 6)  # newest first: T0, T0 - 1 day, …
    fresh, one, most = (new_reader(store) for _ in range(3))
    buf = EventBuffer(store, flush_seconds=60)
    buf.record_view(articles[0], reader_key(one), one, T0)
    for aid in articles[:5]:
        buf.record_view(aid, reader_key(most), most, T0)
    buf.flush()
    rankers = DatelineRankers(store)
    readers = [fresh, one, most, "unknown-reader", ""]
    now = T0 + timedelta(days=1)
    with store.read() as session:
        for exclude in (frozenset(), frozenset({articles[1]})):
            for limit in (1, 2, 8):
                batch = rankers.recommendations(session, readers, now, limit, exclude)
                single = {
                    rid: rankers.recommendation(session, rid, now, limit, exclude)
                    for rid in readers
                }
                assert batch == single
        # never what the reader read: the one article "most" has not read is all it gets
        assert [r.article_id for r in batch[most]] == [articles[5]]
        assert articles[0] not in [r.article_id for r in batch[one]]
        assert rankers.recommendations(session, [], now, 2) == {}


def test_ranking_matches_a_category_in_any_case(store):
    """``/api/v1/ranking?category=business`` lists what ``?category=Business`` does."""
    from sqlalchemy import update

    from dateline.store.models import Article

    articles = make_articles(store, 4)
    with store.write() as session:
        session.execute(
            update(Article).where(Article.id.in_(articles[:2])).values(category="business")
        )
    rankers = DatelineRankers(store)
    now = T0 + timedelta(hours=1)
    with store.read() as session:
        for spelling in ("Business", "business", " BUSINESS"):
            got = rankers.ranking(session, now, 4, category=spelling)
            assert {r.article_id for r in got} == set(articles[:2]), spelling


def test_the_catalog_reloads_when_enrich_changes_what_no_page_shows(store):
    """A category (or date, or lead) decided by ``enrich`` adds no page: the corpus
    revision the enrich stage bumps is what makes every worker's lists reload."""
    from sqlalchemy import update

    from dateline.store.models import Article
    from dateline.store.revision import bump_corpus_revision

    articles = make_articles(store, 2)
    catalog = Catalog(store, 0.0)  # checks on every read
    assert catalog.fresh().by_id[articles[0]].category == "Uncategorised"
    with store.write() as session:
        session.execute(update(Article).where(Article.id == articles[0]).values(category="science"))
        bump_corpus_revision(session)
    assert catalog.fresh().by_id[articles[0]].category == "Science"


def test_an_enrich_run_bumps_the_corpus_revision(live_site):
    from dateline.store.revision import corpus_revision

    with live_site.store.read() as session:
        assert corpus_revision(session) >= 1, "the demo was enriched"
