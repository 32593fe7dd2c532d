"""RSS/Atom reader: entries → articles, hostile and broken feeds → specific errors."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from dateline.errors import (
    EmptyInput,
    InputError,
    MalformedInput,
    NoArticle,
    UnsupportedInput,
)
from dateline.extract import extract_document
from dateline.extract.model import ExtractedArticle, ItemFailure
from dateline.extract.readers import feed
from dateline.extract.readers.feed import ENTITY_BOMB_MESSAGE, looks_like_feed
from dateline.ingest.raw import InputKind, RawDocument

FEEDS = Path(__file__).resolve().parent / "data" / "feeds"


def _offset(article: ExtractedArticle) -> timedelta | None:
    """The claimed date's UTC offset (None for a naive time); fails for a day-only date."""
    assert article.claimed_date is not None
    value = article.claimed_date.value
    assert isinstance(value, datetime)
    return value.utcoffset()


def _doc(name: str, **kwargs: object) -> RawDocument:
    return RawDocument(data=(FEEDS / name).read_bytes(), origin=name, kind=InputKind.FEED, **kwargs)  # type: ignore[arg-type]


def _bytes_doc(data: bytes, **kwargs: object) -> RawDocument:
    return RawDocument(data=data, origin="inline.xml", kind=InputKind.FEED, **kwargs)  # type: ignore[arg-type]


def _extract(doc: RawDocument) -> list[ExtractedArticle | ItemFailure]:
    return list(extract_document(doc))


def _articles(doc: RawDocument) -> list[ExtractedArticle]:
    items = _extract(doc)
    assert all(isinstance(i, ExtractedArticle) for i in items), items
    return items  # type: ignore[return-value]


def test_rss_content_encoded_is_the_body_and_metadata_is_mapped() -> None:
    first, second = _articles(_doc("rss_content_encoded.xml"))
    assert first.title == "Council approves new footbridge over the Mill River"
    assert first.paragraphs == [
        "The town council voted on Tuesday to build a footbridge over the Mill River, "
        "ending a debate that has run for six years.",
        "Construction is due to start in the autumn & should take eleven months.",
        "Residents may comment until June.",
        "Cost: 1.2 million",
        "Length: 48 metres",
    ]
    assert "teaser" not in first.body  # content:encoded wins over description
    assert "trackVisitor" not in first.body
    assert first.url == first.canonical_url == "https://gazette.example.org/2024/05/footbridge"
    assert first.external_id == "gazette-2024-0117"
    assert first.byline == "Jane Marsh"
    assert first.claimed_category == "Local"
    assert first.extra["categories"] == ["Local", "Transport"]
    assert first.site_name == "Riverside Gazette"
    assert first.extra["feed_language"] == "en-gb"
    assert first.language == "en"
    # The description holds escaped HTML: it is read as HTML, not shown as tags.
    assert second.paragraphs == [
        "The central library will open on Sundays from next month, the council said."
    ]


def test_dates_keep_the_time_zone_the_feed_gave() -> None:
    first, second = _articles(_doc("rss_content_encoded.xml"))
    assert first.claimed_date is not None
    assert first.claimed_date.value == datetime(
        2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=2))
    )
    assert _offset(first) == timedelta(hours=2)
    assert first.claimed_date.raw == "Wed, 01 May 2024 09:30:00 +0200"
    assert second.claimed_date is not None
    assert _offset(second) == timedelta(0)


def test_atom_xhtml_content_html_title_and_published_over_updated() -> None:
    ferry, festival = _articles(
        _doc("atom_xhtml.xml", url="https://bulletin.example.com/feed.atom")
    )
    assert ferry.title == "Ferry service resumes after storm"
    assert ferry.paragraphs == [
        "Ferries between the harbour and the islands resumed on Sunday morning after a "
        "two-day suspension caused by high winds.",
        "The operator said timetables would return to normal by Monday.",
    ]
    assert ferry.claimed_date is not None
    assert ferry.claimed_date.raw == "2024-03-10T07:45:00-05:00"
    assert _offset(ferry) == timedelta(hours=-5)
    assert ferry.byline == "Omar Lindqvist"
    assert ferry.claimed_category == "Transport"
    assert ferry.external_id == "tag:bulletin.example.com,2024:ferry-resumes"
    assert ferry.site_name == "Harbour Bulletin"
    # text/plain content keeps its paragraphs; the relative link resolves against doc.url
    assert festival.paragraphs == [
        "The harbour festival will run from 14 to 16 June.",
        "Tickets go on sale in April.",
    ]
    assert festival.url == "https://bulletin.example.com/news/festival"
    assert festival.claimed_date is not None
    assert _offset(festival) == timedelta(0)


def test_relative_link_without_a_base_is_not_a_url() -> None:
    _, festival = _articles(_doc("atom_xhtml.xml"))
    assert festival.url is None
    assert festival.canonical_url is None


def test_summary_only_feed_and_an_empty_entry_is_an_item_failure() -> None:
    frost, empty, rain = _extract(_doc("rss_summary_only.xml"))
    assert isinstance(frost, ExtractedArticle)
    assert frost.paragraphs[0].startswith("Temperatures are expected to fall below freezing")
    assert frost.claimed_date is not None
    assert _offset(frost) == timedelta(hours=-8)
    assert isinstance(empty, ItemFailure)
    assert isinstance(empty.error, NoArticle)
    assert empty.where == "rss_summary_only.xml entry 2"
    assert "An entry with nothing to read" in str(empty.error)
    # The next entry is still read; a javascript: link and a junk date are dropped.
    assert isinstance(rain, ExtractedArticle)
    assert rain.title == "Rain returns on Thursday"
    assert rain.url is None
    assert rain.claimed_date is None
    assert rain.extra["unparsed_date"] == "not a date at all"


@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe.xml", "bomb_hidden_in_broken_xml.xml"])
def test_entity_declarations_are_refused_before_any_parser_expands_them(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("feedparser must never see a feed that declares entities")

    monkeypatch.setattr(feed.feedparser, "parse", must_not_run)
    started = time.monotonic()
    with pytest.raises(MalformedInput) as caught:
        _extract(_doc(name))
    assert time.monotonic() - started < 1
    assert str(caught.value) == ENTITY_BOMB_MESSAGE


@pytest.mark.parametrize(
    "data",
    [
        # a "<" inside a comment must not end the scan before the declaration
        b'<!-- <rss> --><!DOCTYPE r [<!ENTITY a "aaaa">]><rss version="2.0"/>',
        b'<?xml version="1.0"?>\n<!DOCTYPE r [<!-- ]> --><!ENTITY % p SYSTEM "http://x.example/p">%p;]>'
        b"<rss/>",
        b'<!doctype rss [<!entity lol "lol">]><rss><channel><item>',  # lower case, truncated
        b'<!DOCTYPE rss [ <!ENTITY a "aaa"> ',  # never closed
        b'junk before <!DOCTYPE rss [<!ENTITY a "a">]><rss/>',
    ],
)
def test_entity_scan_resists_tricks(data: bytes) -> None:
    with pytest.raises(MalformedInput, match="entity-expansion bomb"):
        _extract(_bytes_doc(data))


def test_external_dtd_without_entities_is_read_and_never_fetched() -> None:
    # RSS 0.91 feeds carry the Netscape DOCTYPE; nothing may be downloaded (no network here).
    (article,) = _articles(_doc("netscape_rss091.xml"))
    assert article.title == "Museum reopens its west wing"
    assert article.site_name == "Old School Wire"


def test_entity_text_inside_an_article_is_not_mistaken_for_a_declaration() -> None:
    data = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Sec</title><item>'
        b"<title>How XXE works</title><description><![CDATA[<p>An attacker writes "
        b'&lt;!ENTITY x SYSTEM "file:///etc/passwd"&gt; in a DOCTYPE.</p>]]></description>'
        b"</item></channel></rss>"
    )
    (article,) = _articles(_bytes_doc(data))
    assert "<!ENTITY x" in article.body


def test_truncated_feed_keeps_the_complete_entries() -> None:
    first, second = _extract(_doc("truncated.xml"))
    assert isinstance(first, ExtractedArticle)
    assert first.title == "A complete first story"
    assert "no element found" in first.extra["feed_warning"]
    assert isinstance(second, ItemFailure)
    assert isinstance(second.error, NoArticle)


def test_broken_feed_with_no_entries_is_malformed_with_feedparsers_reason() -> None:
    with pytest.raises(
        MalformedInput,
        match=r"not well-formed XML at line 4 \(not well-formed \(invalid token\)\); "
        r"0 entries recovered",
    ):
        _extract(_doc("broken_no_entries.xml"))


def test_feed_without_entries_is_no_article() -> None:
    with pytest.raises(NoArticle, match="no entries"):
        _extract(_doc("empty_channel.xml"))


def test_web_page_is_not_a_feed() -> None:
    with pytest.raises(UnsupportedInput, match="not an RSS or Atom feed"):
        _extract(_doc("not_a_feed.html"))


def test_other_xml_names_its_root_element() -> None:
    data = b'<svg xmlns="http://www.w3.org/2000/svg"><text>hello</text></svg>'
    with pytest.raises(
        UnsupportedInput, match=r"not an RSS or Atom feed \(its root element is <svg>\)"
    ):
        _extract(_bytes_doc(data))


def test_empty_file_is_empty_input() -> None:
    with pytest.raises(EmptyInput):
        _extract(_doc("empty.xml"))


def test_binary_junk_is_unsupported() -> None:
    with pytest.raises(UnsupportedInput, match="binary"):
        _extract(_doc("binary_junk.xml"))


def test_windows_1252_declared_in_the_prolog() -> None:
    (article,) = _articles(_doc("windows1252_declared.xml"))
    assert article.site_name == "Le Café du Coin"
    assert article.title == "Fête de la musique: le programme dévoilé"
    assert article.paragraphs == [
        "Les concerts commenceront à 18 heures — place de l’Église, dit le maire."
    ]
    assert article.claimed_date is not None
    assert article.claimed_date.raw == "Fri, 14 Jun 2024 10:00:00 +0200"
    assert _offset(article) == timedelta(hours=2)


def test_charset_from_http_header_when_the_prolog_has_none() -> None:
    data = (
        '<rss version="2.0"><channel><title>Zürich Zeitung</title><item><title>Öffnungszeiten</title>'
        "<description>Die Bäder öffnen am Montag.</description></item></channel></rss>"
    ).encode("cp1252")
    doc = _bytes_doc(data, headers={"content-type": "application/rss+xml; charset=windows-1252"})
    (article,) = _articles(doc)
    assert article.site_name == "Zürich Zeitung"
    assert article.body == "Die Bäder öffnen am Montag."


def test_utf8_feed_with_stray_latin1_bytes_is_repaired_not_mangled() -> None:
    # Lenient on purpose: the stray byte is read as windows-1252, the rest stays UTF-8.
    raw = (FEEDS / "utf8_with_latin1_bytes.xml").read_bytes()
    assert b"Caf\xe9 " in raw
    (article,) = _articles(_doc("utf8_with_latin1_bytes.xml"))
    assert article.site_name == "Münster Notes"
    assert article.title == "Straßenfest am Samstag"
    assert "auch im Café am Markt" in article.body
    assert "\ufffd" not in article.body


def test_every_error_is_an_input_error() -> None:
    for name in ("billion_laughs.xml", "broken_no_entries.xml", "empty.xml", "not_a_feed.html"):
        with pytest.raises(InputError):
            _extract(_doc(name))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rss_content_encoded.xml", True),
        ("atom_xhtml.xml", True),
        ("netscape_rss091.xml", True),
        ("windows1252_declared.xml", True),
        ("not_a_feed.html", False),
        ("binary_junk.xml", False),
        ("empty.xml", False),
    ],
)
def test_looks_like_feed_on_files(name: str, expected: bool) -> None:
    assert looks_like_feed((FEEDS / name).read_bytes()[:2048]) is expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">', True),
        (
            b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- <html> -->\n<?xml-stylesheet href="s.xsl"?>'
            b'<feed xmlns="http://www.w3.org/2005/Atom">',
            True,
        ),
        ('<rss version="2.0">'.encode("utf-16"), True),
        (b"<feed><entry/></feed>", False),  # no Atom namespace
        (b"<html><body><pre>&lt;rss version='2.0'&gt;</pre>", False),
        (b"<!-- <rss> --><html>", False),
        (b"rss feed", False),
    ],
)
def test_looks_like_feed_sniffs_the_root_element(head: bytes, expected: bool) -> None:
    assert looks_like_feed(head) is expected
