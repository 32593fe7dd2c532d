"""ingest_one / ingest_many end to end on both engines: real files in, rows out."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from dateline.pipeline import ingest_many, ingest_one
from dateline.store.models import Article, Page, Source

RELATED_000 = (
    "IRS recovers $4.7 billion in back taxes and braces for cuts with Trump and GOP in power"
)
RANKING_004 = "US appeals court rejects Nasdaq’s diversity rules for company boards"


def counts(store) -> tuple[int, int, int]:
    with store.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Source, Article, Page))


def test_seed_pages_are_stored_with_claims_kept_apart(store, settings, seed_000, seed_004):
    report = ingest_many([str(seed_000), str(seed_004)], store, settings)
    assert report.ok and report.counts["new"] == 2
    with store.read() as s:
        pages = {p.site_name: p for p in s.scalars(select(Page))}
        first, second = pages["Aspire Money Growth"], pages["Prime Capital Blueprint"]
        assert first.title == (
            "North Korea’s top diplomat in Moscow for talks on ties amid "
            "concerns over alleged arms deal"
        )
        assert first.claimed_category == "Markets" and second.claimed_category == "Contact"
        assert first.claimed_date == "2025-04-26T04:00:14" and first.claimed_date_has_tz is False
        assert second.claimed_date == "2025-04-26T16:36:17"
        assert (first.claimed_reactions, second.claimed_reactions) == (7359, 52816)
        assert first.claimed_links["Related"][0] == RELATED_000
        assert RANKING_004 in second.claimed_links["Ranking"]
        for page in (first, second):
            article = s.get(Article, page.article_id)
            assert (article.dateline, article.agency, article.language) == ("MOSCOW", "AP", "en")
            assert article.body.startswith("MOSCOW (AP) —")
            for chrome in (
                "veryGood",
                "\nView\n",
                "Related",
                "Ranking",
                "Recommendation",
                RELATED_000,
                RANKING_004,
            ):
                assert chrome not in article.body
        assert s.get(Source, first.source_id).name == "Aspire Money Growth"
        # Not copies of each other: two articles, two sources.
        assert first.article_id != second.article_id


def test_reingest_is_a_no_op(store, settings, seed_000, seed_004):
    ingest_many([str(seed_000), str(seed_004)], store, settings)
    before = counts(store)
    again = ingest_many([str(seed_000.parent)], store, settings)
    assert again.ok and again.counts["known"] == 2 and again.counts["new"] == 0
    assert counts(store) == before


def test_bad_inputs_are_reported_and_the_batch_goes_on(store, settings, seed_000, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.html"
    junk.write_bytes(bytes(range(256)) * 40)
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(settings.max_input_bytes + 1)
    lines = tmp_path / "mixed.jsonl"
    lines.write_text(
        json.dumps({"title": "Good one", "body": "A fine article body about the harbour."})
        + "\n"
        + '{"title": "broken", "body": \n'
        + json.dumps({"title": "Good two", "body": "Another fine body about the bridge."})
        + "\n",
        encoding="utf-8",
    )
    report = ingest_many(
        [str(empty), str(seed_000), str(junk), str(big), str(lines), str(tmp_path / "missing.txt")],
        store,
        settings,
    )
    by_status = report.counts
    assert by_status["new"] == 3, report.items
    failures = {f.where.split("/")[-1]: f for f in report.failures}
    assert "empty" in failures["empty.txt"].error
    assert "too large" in failures["big.txt"].error
    assert failures["junk.html"].error_code in ("unsupported", "encoding")
    assert any(w.startswith("mixed.jsonl:2") for w in failures), failures.keys()
    assert "missing.txt" in failures
    assert counts(store)[1] == 3


def test_failure_mid_item_rolls_back_only_that_item(store, settings, seed_000, seed_004):
    assert ingest_one(str(seed_000), store, settings)[0].status == "new"
    before = counts(store)

    def crash(stage: str) -> None:
        if stage == "page":
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        ingest_one(str(seed_004), store, settings, on_stage=crash)
    assert counts(store) == before
    assert ingest_one(str(seed_004), store, settings)[0].status == "new"


def test_gzip_input_is_read_transparently(store, settings, seed_000, tmp_path):
    packed = tmp_path / "seed.txt.gz"
    packed.write_bytes(gzip.compress(seed_000.read_bytes()))
    [item] = ingest_one(str(packed), store, settings)
    assert item.status == "new" and item.title.startswith("North Korea’s top diplomat")


def test_concurrent_ingesters_do_not_duplicate(store, settings, seed_000, seed_004, tmp_path):
    """Four ingesters racing over the same inputs: one article per text, no errors."""
    docs = tmp_path / "docs.jsonl"
    docs.write_text(
        "".join(
            json.dumps(
                {
                    "url": f"https://news.example/{i}",
                    "title": f"Story {i}",
                    "body": f"Body of story number {i}. " * 5,
                    "published": f"2024-01-0{1 + i % 9}",
                }
            )
            + "\n"
            for i in range(30)
        ),
        encoding="utf-8",
    )
    targets = [str(seed_000), str(seed_004), str(docs)]
    errors: list[BaseException] = []

    def run() -> None:
        try:
            report = ingest_many(targets, store, settings)
            assert not report.failures, report.failures
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert counts(store) == (3, 32, 32)
    with store.read() as s:
        assert s.scalar(select(func.min(Article.published_at))) == datetime(2024, 1, 1)
    again = ingest_many(targets, store, settings).items
    assert len(again) == 32 and {item.status for item in again} == {"known"}


@pytest.fixture
def file_server(seeds_dir):
    """A real HTTP server on 127.0.0.1 serving the seeds (in place) and test pages."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from conftest import DATA

    class Handler(SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            name = path.split("?")[0].lstrip("/")
            if name.startswith("seeds/"):
                return str(seeds_dir / name.removeprefix("seeds/"))
            return str(DATA / name)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_urls_are_fetched_detected_and_stored(store, loopback_settings, file_server):
    settings = loopback_settings  # the file server is on loopback: allow-listed
    urls = [
        f"{file_server}/seeds/000_6590402504eff1c4.txt",
        f"{file_server}/html/news_page.html",
        f"{file_server}/feeds/rss_content_encoded.xml",
        f"{file_server}/html/missing.html",
    ]
    report = ingest_many(urls, store, settings)
    assert [f.where for f in report.failures] == [urls[3]]
    assert "404" in report.failures[0].error
    with store.read() as s:
        kinds = {p.input_kind for p in s.scalars(select(Page))}
        assert kinds == {"text", "html", "feed"}
        seed = s.scalars(select(Page).where(Page.input_kind == "text")).one()
        assert seed.origin == urls[0] and seed.site_name == "Aspire Money Growth"
        assert seed.fetched_at is not None
    again = ingest_many(urls[:3], store, settings)
    assert again.ok and set(again.counts) == {"known"}


ROTATING_BODY = (
    "The river authority opened the new flood gates on Tuesday after three years of work, "
    "and said the barrier would protect about four thousand homes in the lower town. "
    "Engineers tested each gate twice during the spring tides before the opening."
)


def _feed(items: list[tuple[str, str]]) -> str:
    """An RSS feed whose items (guid, link) all carry the same story."""
    entries = "".join(
        f"<item><title>Flood gates open on the river</title><link>{link}</link>"
        f'<guid isPermaLink="false">{guid}</guid><description>{ROTATING_BODY}</description>'
        "<pubDate>Tue, 02 Jun 2026 09:00:00 GMT</pubDate></item>"
        for guid, link in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Lower Town Post</title>'
        f"<link>https://lowertown.example/</link><description>News</description>{entries}"
        "</channel></rss>"
    )


def test_entries_that_rotate_their_guid_stay_one_article(store, settings, tmp_path):
    """A feed that hands out a new GUID for the same entry at every poll (a complaint of
    feed readers' users: duplicate entries) is one article: the entry's address is its
    identity (tracking parameters dropped), and a copy under a new address is a carrier
    of the same text, never a second article."""
    first, second, third = (tmp_path / f"poll{n}.xml" for n in (1, 2, 3))
    first.write_text(_feed([("tag:lt,1", "https://lowertown.example/flood-gates")]))
    # the next poll: a new GUID, and tracking parameters on the same address
    second.write_text(
        _feed([("tag:lt,2", "https://lowertown.example/flood-gates?utm_source=rss&utm_medium=x")])
    )
    # a later poll: another GUID and another address for the same text
    third.write_text(_feed([("tag:lt,3", "https://lowertown.example/2026/06/02/flood-gates")]))
    assert ingest_many([str(first)], store, settings).counts == {"new": 1}
    assert ingest_many([str(second)], store, settings).counts == {"known": 1}
    report = ingest_many([str(third)], store, settings)
    assert report.ok
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Article)) == 1
        pages = s.scalars(select(Page).order_by(Page.id)).all()
        assert len({p.article_id for p in pages}) == 1
        assert [p.url for p in pages] == [
            "https://lowertown.example/flood-gates",
            "https://lowertown.example/2026/06/02/flood-gates",
        ]
