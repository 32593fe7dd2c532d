"""Hostile text: invisible characters out of headlines, names and labels; mixed-script
look-alikes flagged in the API; a source's own labels kept out of the site's menu.

Unit cases for :mod:`dateline.safetext`, then the same through ingest, the API, the pages
and the migration that cleans what an older release stored, on both engines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import html as lxml_html
from sqlalchemy import select

from dateline.extract.model import ExtractedArticle
from dateline.ingest.raw import InputKind, RawDocument
from dateline.pipeline import ingest_many
from dateline.safetext import clean_label, lookalikes, strip_invisible
from dateline.store.db import Store
from dateline.store.models import Article, Page, Source
from dateline.store.schema import downgrade, upgrade
from http_util import app_client

RLO, PDF, ZWSP = "\u202e", "\u202c", "\u200b"


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (f"{RLO}gnp.exe{PDF}", "gnp.exe"),  # would display as "exe.png"
        ("pay\u200bpal", "paypal"),
        ("\u2066isolated\u2069 \u200eLRM\u200f", "isolated LRM"),
        ("soft\u00adhyphen and\ufeffBOM", "softhyphen andBOM"),
        ("bell\x07 and tab\tstays", "bell and tab\tstays"),
        ("\u3164", ""),  # a Hangul filler: a "blank" name
        ("a\u200db", "ab"),  # a joiner between Latin letters joins nothing
        ("x\U000e0041y", "xy"),  # a tag character hiding text
        # what scripts need stays: Persian ZWNJ, an emoji family, a flag, Arabic number sign
        ("نمی\u200cخواهم", "نمی\u200cخواهم"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),
        ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", None),
        ("\u0600١٢", None),
        ("Prime Minister Igor Matovič", None),
    ],
)
def test_invisible_characters_are_stripped_and_needed_joiners_kept(given, shown):
    assert strip_invisible(given) == (given if shown is None else shown)


def test_clean_label_collapses_whitespace_and_keeps_none():
    assert clean_label(f"  {RLO}Breaking{PDF}\n  news ") == "Breaking news"
    assert clean_label(None) is None and clean_label("") == ""


@pytest.mark.parametrize(
    ("given", "flagged"),
    [
        ("pаypal login", ["pаypal"]),  # Cyrillic а
        ("Mοscow talks on Mοscow", ["Mοscow"]),  # Greek ο, reported once
        ("Ωmega", ["Ωmega"]),
        ("Prime Minister Igor Matovič", []),
        ("東京タワー and 서울시청", []),  # Japanese and Korean mix scripts by design
        ("Ελληνικά Κο\u0301σμε", []),  # a combining accent takes its base's script
        ("COVID-19 café", []),
        ("", []),
    ],
)
def test_mixed_script_words_are_flagged(given, flagged):
    assert lookalikes(given) == flagged


HOSTILE_ITEMS = [
    {
        "id": "h1",
        "url": "https://farm.example/a/1",
        "title": f"Invoice {RLO}gnp.exe{PDF} leaked",
        "byline": f"By Ann{ZWSP}a Lee",
        "site_name": f"Farm{ZWSP} News",
        "categories": ["<script>alert(1)</script>"],
        "published": "2026-10-01T09:00:00Z",
        "body": f"The body keeps its own {RLO}characters{PDF}, as received. " * 3,
    },
    {
        "id": "h2",
        "url": "https://farm.example/a/2",
        "title": "Log in to your pаypal account now",
        "published": "2026-10-02T09:00:00Z",
        "body": "A second article, written about something else entirely, with a look-alike. " * 3,
    },
]


@pytest.fixture
def hostile_store(store, settings, tmp_path: Path):
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in HOSTILE_ITEMS) + "\n", encoding="utf-8")
    report = ingest_many([str(path)], store, settings)
    assert not report.failures, report.failures
    return store


def test_ingest_strips_headlines_names_and_labels_not_bodies(hostile_store):
    with hostile_store.read() as session:
        article = session.scalars(select(Article).where(Article.title.like("Invoice%"))).one()
        page = session.get(Page, article.lead_page_id)
        source = session.get(Source, page.source_id)
        assert article.title == "Invoice gnp.exe leaked"
        assert page.title == article.title
        assert article.byline == page.byline == "By Anna Lee"
        assert source.name == "Farm News"
        assert page.claimed_category == "<script>alert(1)</script>"  # escaped when shown
        assert RLO in article.body  # a body is kept as received


def test_the_site_shows_only_its_taxonomy_and_flags_lookalikes(hostile_store, tmp_path):
    with app_client(hostile_store, tmp_path, "2026-11-01T00:00:00") as c:
        home = c.get("/")
        assert home.status_code == 200
        page = lxml_html.fromstring(home.text)
        menu = page.xpath("//nav[@aria-label='Sections']//a/text()")
        assert menu and all("script" not in label for label in menu)
        assert "<script>alert(1)" not in home.text
        assert RLO not in home.text and ZWSP not in home.text
        # the source's claim stays browsable, escaped
        claims = [c_["slug"] for c_ in c.get("/api/v1/categories").json() if c_["is_claim"]]
        assert claims
        claim_page = c.get(f"/c/{claims[0]}")
        assert claim_page.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in claim_page.text
        assert "<script>alert(1)" not in claim_page.text
        items = {i["title"]: i for i in c.get("/api/v1/articles").json()["items"]}
        assert items["Log in to your pаypal account now"]["lookalike"] == ["pаypal"]
        assert items["Invoice gnp.exe leaked"]["lookalike"] == []
        one = c.get(f"/api/v1/articles/{items['Log in to your pаypal account now']['id']}")
        assert one.json()["lookalike"] == ["pаypal"]


def test_migration_0018_cleans_what_an_older_release_stored(database_url, settings):
    from dateline.enrich import dedup
    from dateline.store.repository import save_article

    store = Store(database_url)
    try:
        # rows as 0017 left them: stored by the code of today, then the schema taken back
        upgrade(store)
        item = ExtractedArticle(
            title=f"Old {RLO}gnp.exe{PDF} headline",
            paragraphs=["An article stored before headlines were cleaned."],
            site_name=f"Old{ZWSP} Site",
            byline=f"By{ZWSP} Someone",
            language="en",
        )
        raw = RawDocument(data=b"x", origin="old.txt", kind=InputKind.TEXT_DUMP)
        with store.write() as session:
            saved = save_article(session, item, raw, signature_of=dedup.signature_of)
        downgrade(store, "0017")
        upgrade(store)
        with store.read() as session:
            article = session.get(Article, saved.article_id)
            page = session.get(Page, article.lead_page_id)
            assert article.title == page.title == "Old gnp.exe headline"
            assert article.byline == "By Someone"
            assert session.get(Source, page.source_id).name == "Old Site"
    finally:
        store.dispose()
