"""The store on both engines: schema, identity, idempotence, versions, transactions."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text

from dateline.enrich import dedup
from dateline.errors import SchemaOutOfDate
from dateline.extract.model import ClaimedDate, ExtractedArticle
from dateline.ingest.raw import InputKind, RawDocument
from dateline.store.db import Store
from dateline.store.models import Article, Page, Source
from dateline.store.repository import (
    SaveStatus,
    fingerprint,
    identity_key,
    normalise_url,
    save_article,
)
from dateline.store.schema import ensure_schema, head_revision, schema_status, upgrade


def make_article(**overrides) -> ExtractedArticle:
    fields = dict(
        title="Harbour bridge reopens after repairs",
        paragraphs=[
            "PORTVILLE (AP) — The harbour bridge reopened on Monday.",
            "Engineers finished the work two weeks early.",
        ],
        site_name="Portville Daily",
        claimed_date=ClaimedDate(datetime(2024, 3, 4, 9, 30, tzinfo=timezone(timedelta(hours=2)))),
        claimed_category="Local",
        claimed_reactions=12,
        dateline="PORTVILLE",
        agency="AP",
        language="en",
    )
    fields.update(overrides)
    return ExtractedArticle(**fields)


def raw_for(origin: str = "test.txt") -> RawDocument:
    return RawDocument(data=b"bytes of " + origin.encode(), origin=origin, kind=InputKind.TEXT_DUMP)


def count(store: Store, model) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def save(store: Store, article: ExtractedArticle, raw: RawDocument | None = None, **kw):
    with store.write() as session:
        return save_article(
            session, article, raw or raw_for(), signature_of=dedup.signature_of, **kw
        )


# --- schema -------------------------------------------------------------------------------


def test_empty_database_is_created_at_head(database_url):
    store = Store(database_url)
    try:
        status = ensure_schema(store, auto_migrate=False)
        assert status.up_to_date and status.current == head_revision(store)
        assert count(store, Page) == 0
    finally:
        store.dispose()


def test_stale_schema_is_refused_unless_auto_migrate(database_url):
    store = Store(database_url)
    try:
        upgrade(store)
        with store.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0000_old'"))
        with pytest.raises(SchemaOutOfDate, match="dateline db upgrade"):
            ensure_schema(store, auto_migrate=False)
        assert schema_status(store).current == "0000_old"
    finally:
        store.dispose()


def insert_legacy(conn, article: ExtractedArticle, *, keys: list[str], byline=None) -> list[int]:
    """Rows as an older release wrote them (plain SQL: today's ORM maps newer columns):
    one source, one article and a page per identity key; the page ids."""
    now = datetime(2024, 3, 5)
    source_id = conn.execute(
        text(
            "INSERT INTO sources (key, name, kind, created_at) "
            "VALUES ('name:portville daily', 'Portville Daily', 'unknown', :now) RETURNING id"
        ),
        {"now": now},
    ).scalar_one()
    article_id = conn.execute(
        text(
            "INSERT INTO articles (title, body, body_hash, byline, word_count, first_seen_at) "
            "VALUES (:title, :body, :hash, :byline, 12, :now) RETURNING id"
        ),
        {
            "title": article.title,
            "body": article.body,
            "hash": article.body_hash,
            "byline": byline,
            "now": now,
        },
    ).scalar_one()
    page_ids = []
    for key in keys:
        page_ids.append(
            conn.execute(
                text(
                    "INSERT INTO pages (identity_key, identity_hash, version, fingerprint, "
                    "source_id, article_id, input_kind, origin, raw_sha256, title, "
                    "claimed_links, extra, first_seen_at) VALUES (:key, :hash, 1, :print, "
                    ":source, :article, 'text', 'test.txt', 'x', :title, '{}', '{}', :now) "
                    "RETURNING id"
                ),
                {
                    "key": key,
                    "hash": hashlib.sha256(key.encode()).hexdigest(),
                    "print": fingerprint(article),
                    "source": source_id,
                    "article": article_id,
                    "title": article.title,
                    "now": now,
                },
            ).scalar_one()
        )
    return page_ids


def test_migration_0005_qualifies_stored_urlless_keys_by_their_source(database_url):
    """A URL-less page stored by the previous release is still recognised after upgrade."""
    store = Store(database_url)
    try:
        upgrade(store, "0004")
        article = make_article()
        legacy = f"sha256:{article.content_hash}"  # the key the previous release wrote
        with store.engine.begin() as conn:
            (page_id,) = insert_legacy(conn, article, keys=[legacy])
        upgrade(store)
        with store.read() as session:
            assert session.get(Page, page_id).identity_key == identity_key(article)
        assert save(store, make_article()).status is SaveStatus.KNOWN
        assert count(store, Page) == 1
    finally:
        store.dispose()


def test_migration_0009_makes_the_first_page_the_lead_and_keeps_bylines(database_url):
    """Stored articles keep what they showed: their first page leads, pages get its byline."""
    store = Store(database_url)
    try:
        upgrade(store, "0008")
        with store.engine.begin() as conn:
            ids = insert_legacy(conn, make_article(), keys=["url:a", "url:b"], byline="By Kim")
        upgrade(store)
        with store.read() as session:
            (article,) = session.scalars(select(Article)).all()
            assert article.lead_page_id == min(ids)
            assert [session.get(Page, i).byline for i in ids] == ["By Kim", "By Kim"]
            assert [session.get(Page, i).body for i in ids] == [None, None]
    finally:
        store.dispose()


def test_sqlite_uses_wal(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x' / 'dateline.db'}")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.dispose()


# --- identity and idempotence ---------------------------------------------------------------


def test_first_save_creates_source_article_and_page(store):
    result = save(store, make_article())
    assert result.status is SaveStatus.NEW
    with store.read() as session:
        page = session.get(Page, result.page_id)
        assert page.version == 1
        assert page.identity_key.startswith("sha256:")
        assert page.claimed_date == "2024-03-04T09:30:00+02:00"
        assert page.claimed_date_has_tz is True
        assert page.claimed_date_utc == datetime(2024, 3, 4, 7, 30)
        assert page.claimed_category == "Local" and page.claimed_reactions == 12
        article = session.get(Article, result.article_id)
        assert article.dateline == "PORTVILLE" and article.agency == "AP"
        assert article.published_at == datetime(2024, 3, 4, 7, 30)
        assert session.get(Source, page.source_id).name == "Portville Daily"


def test_reingesting_the_same_item_is_a_no_op(store):
    first = save(store, make_article())
    again = save(store, make_article(claimed_reactions=9999), raw_for("elsewhere.txt"))
    assert again.status is SaveStatus.KNOWN
    assert (again.page_id, again.article_id) == (first.page_id, first.article_id)
    assert (count(store, Page), count(store, Article), count(store, Source)) == (1, 1, 1)


def test_the_same_urlless_text_from_two_sites_is_two_pages_of_one_article(store):
    """Two farms carrying one wire text as URL-less dumps are two carriers, not versions."""
    first = save(store, make_article(site_name="Farm One"))
    second = save(store, make_article(site_name="Farm Two"))
    assert first.status is SaveStatus.NEW and second.status is SaveStatus.NEW
    assert second.article_id == first.article_id and second.page_id != first.page_id
    with store.read() as session:
        pages = session.scalars(select(Page).order_by(Page.id)).all()
        assert [p.version for p in pages] == [1, 1]
        assert [session.get(Source, p.source_id).name for p in pages] == ["Farm One", "Farm Two"]
    # and each is still recognised on its own
    assert save(store, make_article(site_name="Farm Two")).status is SaveStatus.KNOWN
    assert (count(store, Page), count(store, Article), count(store, Source)) == (2, 1, 2)


def test_changed_page_is_a_new_version_and_nothing_is_overwritten(store):
    url = "https://portville.example/news/bridge?utm_source=x"
    first = save(store, make_article(url=url))
    changed = make_article(
        url="https://PORTVILLE.example/news/bridge#top",
        paragraphs=[
            "PORTVILLE (AP) — The harbour bridge reopened on Monday.",
            "Engineers finished the work three weeks early.",
        ],
    )
    second = save(store, changed)
    assert second.status is SaveStatus.UPDATED
    with store.read() as session:
        pages = session.scalars(select(Page).order_by(Page.version)).all()
        assert [p.version for p in pages] == [1, 2]
        assert (
            pages[0].identity_key
            == pages[1].identity_key
            == ("url:https://portville.example/news/bridge")
        )
        old = session.get(Article, first.article_id)
        assert "two weeks" in old.body, "the first version's text is kept"
        assert old.superseded_by_id == second.article_id


def test_a_date_only_claim_stays_a_day(store):
    result = save(store, make_article(claimed_date=ClaimedDate(date(2020, 12, 28))))
    with store.read() as session:
        page = session.get(Page, result.page_id)
        assert page.claimed_date == "2020-12-28" and page.claimed_date_has_tz is False


def test_naive_claim_is_kept_without_a_zone(store):
    result = save(store, make_article(claimed_date=ClaimedDate(datetime(2025, 4, 26, 4, 0, 14))))
    with store.read() as session:
        page = session.get(Page, result.page_id)
        assert page.claimed_date == "2025-04-26T04:00:14"
        assert page.claimed_date_has_tz is False


def test_two_sites_carrying_one_text_share_one_article(store):
    a = save(store, make_article(site_name="Portville Daily"))
    b = save(
        store,
        make_article(
            site_name="Aspire Money Growth",
            title="Bridge reopens",
            claimed_date=ClaimedDate(datetime(2025, 4, 26, 4, 0, 14)),
        ),
    )
    assert b.status is SaveStatus.NEW and a.article_id == b.article_id
    assert (count(store, Page), count(store, Article), count(store, Source)) == (2, 1, 2)
    with store.read() as session:
        # Best evidence so far is the earliest claim, not the copying site's later one.
        assert session.get(Article, a.article_id).published_at == datetime(2024, 3, 4, 7, 30)


# --- transactions -----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["source", "article", "page"])
def test_failure_mid_item_leaves_no_partial_rows(store, stage):
    save(store, make_article(title="Unrelated earlier item", paragraphs=["Something else."]))
    before = (count(store, Source), count(store, Article), count(store, Page))

    def explode(name: str) -> None:
        if name == stage:
            raise RuntimeError(f"crash after {name}")

    with pytest.raises(RuntimeError, match="crash after"):
        save(store, make_article(site_name="Brand New Site"), on_stage=explode)
    assert (count(store, Source), count(store, Article), count(store, Page)) == before
    # And the same item goes in cleanly afterwards.
    assert save(store, make_article(site_name="Brand New Site")).status is SaveStatus.NEW


# --- helpers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://Example.COM/a?utm_medium=x&id=3#frag", "https://example.com/a?id=3"),
        ("http://example.com", "http://example.com/"),
        ("ftp://example.com/file", None),
        ("not a url", None),
        ("", None),
    ],
)
def test_normalise_url(url, expected):
    assert normalise_url(url) == expected


def test_identity_prefers_canonical_url():
    article = make_article(url="https://a.example/x?fbclid=1", canonical_url="https://a.example/y")
    assert identity_key(article) == "url:https://a.example/y"
    urlless = make_article()
    assert identity_key(urlless) == f"sha256:{urlless.content_hash}@name:portville daily"
    nameless = make_article(site_name=None)
    assert identity_key(nameless) == f"sha256:{nameless.content_hash}"


def test_categories_list_the_classifiers_own_before_claims() -> None:
    from dateline.store.queries import UNCATEGORISED, is_claim_label, ordered_categories

    totals = {"Markets": 50, "World": 3, UNCATEGORISED: 10, "Politics": 7, "Contact": 2}
    assert ordered_categories(totals) == [
        ("Politics", 7),
        ("World", 3),
        (UNCATEGORISED, 10),
        ("Markets", 50),
        ("Contact", 2),
    ]
    assert is_claim_label("Markets") and not is_claim_label("World")
    assert not is_claim_label(UNCATEGORISED)
