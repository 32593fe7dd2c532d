"""The in-memory catalog's rankers (web/catalog.py), on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dateline.readers import EventBuffer, reader_key
from dateline.web import catalog as catalog_module
from dateline.web.catalog import Catalog, IndexedRankers
from test_reader_events import T0, make_articles, new_reader


@pytest.mark.parametrize("slack", [40, 1])
def test_batched_recommendations_equal_one_reader_at_a_time(store, monkeypatch, slack):
    # With a slack of 1 the window holds 3 articles, and a reader who read more than one
    # of them takes the fallback (their whole history).
    monkeypatch.setattr(catalog_module, "RECOMMENDATION_WINDOW_SLACK", slack)
    articles = make_articles(store, 6)  # newest first: T0, T0 - 1 day, …
    fresh, one, most = (new_reader(store) for _ in range(3))
    buf = EventBuffer(store, flush_seconds=60)
    buf.record_view(articles[0], reader_key(one), one, T0)
    for aid in articles[:5]:
        buf.record_view(aid, reader_key(most), most, T0)
    buf.flush()
    rankers = IndexedRankers(Catalog(store, 60.0))
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
        assert [r.article_id for r in batch[most]] == [articles[5]]
        assert [r.article_id for r in batch[fresh]][:2] == [articles[0], articles[2]]
        assert rankers.recommendations(session, [], now, 2) == {}


def test_indexed_rankers_give_the_database_rankers_lists(store):
    """The catalog's claim: the same rules, the same lists, without ``latest()``."""
    from dateline.rank.simple import SimpleRankers
    from dateline.store.queries import get_article

    articles = make_articles(store, 6)
    reader = new_reader(store)
    buf = EventBuffer(store, flush_seconds=60)
    for aid in articles[1:3]:
        buf.record_view(aid, reader_key(reader), reader, T0)
    buf.flush()
    indexed, simple = IndexedRankers(Catalog(store, 60.0)), SimpleRankers()
    now = T0 + timedelta(hours=1)
    with store.read() as session:
        for aid in articles:
            article = get_article(session, aid)
            assert indexed.related(session, article, 4) == simple.related(session, article, 4)
        assert indexed.ranking(session, now, 4) == simple.ranking(session, now, 4)
        for rid in (reader, None):
            got = indexed.recommendation(session, rid, now, 4, frozenset({articles[0]}))
            assert got == simple.recommendation(session, rid, now, 4, frozenset({articles[0]}))
        assert [r.article_id for r in simple.recommendation(session, reader, now, 4)] == [
            articles[0],
            articles[3],
            articles[4],
            articles[5],
        ]


def test_indexed_rankers_match_a_category_in_any_case(store):
    """``/api/v1/ranking?category=business`` lists what ``?category=Business`` does, from
    the catalog as from the database."""
    from sqlalchemy import update

    from dateline.rank.simple import SimpleRankers
    from dateline.store.models import Article

    articles = make_articles(store, 4)
    with store.write() as session:
        session.execute(
            update(Article).where(Article.id.in_(articles[:2])).values(category="business")
        )
    indexed, simple = IndexedRankers(Catalog(store, 60.0)), SimpleRankers()
    now = T0 + timedelta(hours=1)
    with store.read() as session:
        for spelling in ("Business", "business", " BUSINESS"):
            got = indexed.ranking(session, now, 4, category=spelling)
            assert got == simple.ranking(session, now, 4, category=spelling), spelling
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
