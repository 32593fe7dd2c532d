"""Near-copies and provenance on both engines: shingles, the persisted LSH, save_article."""

from __future__ import annotations

import gzip
import json
import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from dateline.demo import demo_corpus_path
from dateline.enrich import dedup
from dateline.enrich.shingles import shingles
from dateline.extract.model import ClaimedDate, ExtractedArticle
from dateline.ingest.raw import InputKind, RawDocument
from dateline.pipeline import ingest_many
from dateline.store.db import Store
from dateline.store.models import Article, ArticleSignature, MinHashBand, Page
from dateline.store.queries import carriers
from dateline.store.repository import NEAR_COPY_KEY, SaveStatus, save_article
from dateline.store.schema import upgrade


def corpus() -> list[dict]:
    with gzip.open(demo_corpus_path(), "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return corpus()


def paragraphs(row: dict) -> list[str]:
    return [p for p in row["body"].split("\n\n") if p.strip()]


def long_row(rows: list[dict], *, index: int = 0, min_paragraphs: int = 5) -> dict:
    return [r for r in rows if len(paragraphs(r)) >= min_paragraphs][index]


def page(row: dict, body: list[str], *, site: str, day: int = 26) -> ExtractedArticle:
    slug = row["id"]
    return ExtractedArticle(
        title=row["title"],
        paragraphs=body,
        url=f"https://{site.lower().replace(' ', '')}.example/{slug}",
        site_name=site,
        claimed_date=ClaimedDate(datetime(2025, 4, day, 4, 0, 14)),
    )


def farm_copy(row: dict) -> list[str]:
    """The seeds' treatment: chrome around the text, a paragraph dropped, one sentence
    edited, the weekday changed."""
    body = paragraphs(row)
    del body[2]
    body[1] = body[1].replace(" the ", " the reportedly ", 1) + " Officials declined to comment."
    body = [p.replace("Monday", "Saturday").replace("Tuesday", "Friday") for p in body]
    header = [f"Current:Home > Markets{row['title']} -Aspire Money Growth", "View"]
    footer = ["veryGood! (7359)", "Related", *(f"- Headline number {i}" for i in range(8))]
    return header + body + footer


def raw(origin: str) -> RawDocument:
    return RawDocument(data=origin.encode(), origin=origin, kind=InputKind.JSONL)


def save(store: Store, article: ExtractedArticle, **kw):
    with store.write() as session:
        return save_article(
            session, article, raw(article.url or "x"), signature_of=dedup.signature_of, **kw
        )


def count(store: Store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


# --- shingles and signatures (no database) ------------------------------------------------------


def test_shingles_ignore_order_dates_and_chrome(rows):
    body = paragraphs(long_row(rows))
    reordered = [body[-1], *body[:-1]]
    assert shingles(reordered) == shingles(body)
    dated = [p + " It happened on Tuesday, 29 December 2020." for p in body]
    redated = [p + " It happened on Saturday, 26 April 2025." for p in body]
    assert shingles(dated) == shingles(redated)
    chrome = ["Home > Markets", "View", "veryGood! (7359)", "Related", "- Some other headline"]
    assert shingles(chrome + body + chrome) == shingles(body)


def test_lsh_parameters_are_datasketchs():
    from datasketch.lsh import _optimal_param

    assert _optimal_param(dedup.LSH_THRESHOLD, dedup.NUM_PERM, 0.5, 0.5) == (
        dedup.BANDS,
        dedup.ROWS,
    )


def test_signature_round_trips_and_verifies(rows):
    row = long_row(rows)
    original = dedup.signature_of(paragraphs(row))
    copy = dedup.signature_of(farm_copy(row))
    assert original is not None and copy is not None
    again = dedup.Signature.from_bytes(original.to_bytes())
    assert again.size == original.size and again.jaccard(original) == 1.0
    assert len(original.buckets) == dedup.BANDS
    assert dedup.is_copy(original, copy) is not None
    other = dedup.signature_of(paragraphs(long_row(rows, index=1)))
    assert other is not None and dedup.is_copy(original, other) is None
    assert dedup.signature_of(["Too short to compare: a brief."]) is None


# --- the store, both engines -------------------------------------------------------------------


def test_a_farm_copy_attaches_to_the_original(store, rows):
    row = long_row(rows)
    first = save(store, page(row, paragraphs(row), site="Wikinews", day=1))
    copy = save(store, page(row, farm_copy(row), site="Aspire Money Growth"))
    assert copy.status is SaveStatus.NEW and copy.article_id == first.article_id
    assert (count(store, Article), count(store, Page)) == (1, 2)
    with store.read() as session:
        article = session.get(Article, first.article_id)
        assert article.body == "\n\n".join(paragraphs(row)), "the canonical text is kept"
        assert article.published_at == datetime(2025, 4, 1, 4, 0, 14), "earliest claim"
        copied = session.get(Page, copy.page_id)
        assert copied.claimed_date == "2025-04-26T04:00:14", "the page keeps its own claim"
        assert copied.extra[NEAR_COPY_KEY]["containment"] >= dedup.CONTAINMENT_MIN
        listed = carriers(session, first.article_id)
    assert [c.source_name for c in listed] == ["Wikinews", "Aspire Money Growth"]
    assert [c.near_copy for c in listed] == [False, True]
    assert listed[1].claimed_date == "2025-04-26T04:00:14" and listed[1].first_seen_at


def test_articles_of_one_story_stay_apart(store, rows):
    covid = [r for r in rows if "COVID-19" in r["title"] and len(paragraphs(r)) >= 3][:6]
    assert len(covid) == 6
    ids = {save(store, page(r, paragraphs(r), site="Wikinews")).article_id for r in covid}
    assert len(ids) == 6 and count(store, Article) == 6


def test_a_shared_long_quote_is_not_a_copy(store, rows):
    a, b = long_row(rows, index=2), long_row(rows, index=3)
    quote = (
        "The minister said: “We have worked for many months with our partners across the "
        "region, and we will not stop until every family that lost a home this winter has "
        "somewhere warm and safe to live, whatever the cost and however long it takes us "
        "to get there together.”"
    )
    first = save(store, page(a, [*paragraphs(a), quote], site="One"))
    second = save(store, page(b, [quote, *paragraphs(b)], site="Two"))
    assert first.article_id != second.article_id


def test_the_index_survives_a_restart(database_url, rows):
    row = long_row(rows)
    store = Store(database_url)
    upgrade(store)
    first = save(store, page(row, paragraphs(row), site="Wikinews"))
    store.dispose()
    reopened = Store(database_url)
    try:
        copy = save(reopened, page(row, farm_copy(row), site="Aspire Money Growth"))
        assert copy.article_id == first.article_id
        assert count(reopened, Article) == 1
    finally:
        reopened.dispose()


def test_the_index_grows_incrementally_and_reingest_is_a_no_op(store, rows):
    originals = [long_row(rows, index=i) for i in range(4)]
    ids = [save(store, page(r, paragraphs(r), site="Wikinews")).article_id for r in originals]
    assert count(store, ArticleSignature) == 4
    assert count(store, MinHashBand) == 4 * dedup.BANDS
    for row, article_id in zip(originals, ids, strict=True):
        assert save(store, page(row, farm_copy(row), site="Farm")).article_id == article_id
    before = (count(store, Article), count(store, Page), count(store, MinHashBand))
    again = save(store, page(originals[0], farm_copy(originals[0]), site="Farm"))
    assert again.status is SaveStatus.KNOWN
    assert (count(store, Article), count(store, Page), count(store, MinHashBand)) == before
    with store.write() as session:
        assert dedup.index_missing(session) == 0


def test_a_new_version_keeps_the_edit_and_copies_follow_it(store, rows):
    row = long_row(rows)
    body = paragraphs(row)
    first = save(store, page(row, body, site="Wikinews"))
    corrected = [*body[:-1], body[-1] + " (This article was corrected.)"]
    second = save(store, page(row, corrected, site="Wikinews"))
    assert second.status is SaveStatus.UPDATED and second.article_id != first.article_id
    with store.read() as session:
        assert session.get(Article, first.article_id).superseded_by_id == second.article_id
    copy = save(store, page(row, farm_copy(row), site="Farm"))
    assert copy.article_id == second.article_id, "superseded text is no candidate"


def test_short_bodies_match_only_exactly(store):
    brief = ["Storm closes the harbour bridge.", "It reopens on Monday."]
    first = save(store, ExtractedArticle(title="Bridge", paragraphs=brief, site_name="A"))
    edited = ExtractedArticle(title="Bridge", paragraphs=[*brief, "More soon."], site_name="B")
    assert save(store, edited).article_id != first.article_id
    assert count(store, ArticleSignature) == 0


def test_concurrent_ingesters_create_one_canonical_article(store, rows):
    """Six writers save six different copies of one text at once: one article.

    Each writer holds its transaction open for a moment after choosing its article, so
    without the bucket locks (PostgreSQL) the others would look up before it commits and
    each create their own.
    """
    row = long_row(rows)
    copies = [page(row, farm_copy(row), site=f"Farm {i}") for i in range(5)]
    copies.append(page(row, paragraphs(row), site="Wikinews"))
    for i, copy in enumerate(copies[:5]):
        copy.paragraphs[0] = f"{copy.paragraphs[0]} Site {i}."
    barrier = threading.Barrier(len(copies))
    errors: list[BaseException] = []
    results = []

    def linger(stage: str) -> None:
        if stage == "article":
            time.sleep(0.3)

    def run(article: ExtractedArticle) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                try:
                    results.append(save(store, article, on_stage=linger))
                    return
                except IntegrityError:
                    continue
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in copies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == len(copies)
    assert len({r.article_id for r in results}) == 1
    assert (count(store, Article), count(store, Page)) == (1, len(copies))


def test_the_seed_pages_are_not_copies_of_each_other(store, settings, seed_000, seed_004):
    report = ingest_many([str(seed_000), str(seed_004)], store, settings)
    assert report.ok and report.counts["new"] == 2
    assert count(store, Article) == 2 and count(store, ArticleSignature) == 2
    with store.read() as session:
        for article_id in session.scalars(select(Article.id)):
            assert len(carriers(session, article_id)) == 1
