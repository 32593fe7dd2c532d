"""Kind detection: name first, then media type, then sniffing; binary junk refused first."""

from __future__ import annotations

import codecs

import pytest

from dateline.errors import EmptyInput, UnsupportedInput
from dateline.ingest.detect import SNIFF_BYTES, detect_kind, kind_for_name
from dateline.ingest.raw import InputKind

TEXT, HTML, FEED, JSONL, MIND = (
    InputKind.TEXT_DUMP,
    InputKind.HTML,
    InputKind.FEED,
    InputKind.JSONL,
    InputKind.MIND,
)
RSS = b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel></channel></rss>'
ATOM = b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>'
RDF = b'<?xml version="1.0"?>\n<!-- comment -->\n<rdf:RDF xmlns:rdf="x"></rdf:RDF>'
PAGE = b"<!DOCTYPE html>\n<html lang=en><head><title>t</title></head><body></body></html>"
XHTML = b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x">\n<html>'
MIND_LINE = (
    b"N55528\tlifestyle\tlifestyleroyals\tThe Brands Queen Elizabeth Uses\tabstract\t"
    b"https://assets.msn.com/labs/mind/AAGH0ET.html\t[]\t[]\n"
)
BEHAVIORS_LINE = b"1\tU13740\t11/11/2019 9:05:58 AM\tN55189 N42782\tN55689-1 N35729-0\n"
DUMP = "Current:Home > Markets\nNorth Korea’s top diplomat\nMOSCOW (AP) — Russia’s".encode()


@pytest.mark.parametrize(
    ("name", "head", "media_type", "expected"),
    [
        # by extension (after stripping .gz), whatever the content says
        ("story.txt", DUMP, None, TEXT),
        ("story.TEXT", b"<html>", None, TEXT),
        ("page.html", b"plain words", None, HTML),
        ("page.htm", PAGE, None, HTML),
        ("page.xhtml", XHTML, None, HTML),
        ("feed.rss", RSS, None, FEED),
        ("feed.atom", ATOM, None, FEED),
        ("feed.xml", RDF, None, FEED),
        ("sitemap.xml", b"<?xml version='1.0'?><urlset></urlset>", None, FEED),
        ("page.xml", XHTML, None, HTML),  # .xml that is really a page
        ("a.jsonl", b'{"title": "x"}\n', None, JSONL),
        ("a.ndjson", b'{"title": "x"}\n', None, JSONL),
        ("a.json", b'{"title": "x"}\n', None, JSONL),
        ("news.tsv", MIND_LINE, None, MIND),
        ("dev/news.tsv.gz", MIND_LINE, None, MIND),
        ("feed.xml.gz", RSS, None, FEED),
        ("https://example.org/news/feed.rss?x=1", RSS, "text/html", FEED),
        # by media type when the name says nothing
        ("https://example.org/story", b"<div>x</div>", "text/html; charset=utf-8", HTML),
        ("https://example.org/feed", RSS, "application/rss+xml", FEED),
        ("https://example.org/feed", ATOM, "application/atom+xml", FEED),
        ("https://example.org/feed", RSS, "application/xml", FEED),
        ("https://example.org/feed", RSS, "text/xml; charset=iso-8859-1", FEED),
        ("https://example.org/page", XHTML, "application/xml", HTML),
        ("https://example.org/dump", b'{"a": 1}\n', "application/x-ndjson", JSONL),
        ("https://example.org/dump", b'{"a": 1}\n', "application/jsonl", JSONL),
        ("https://example.org/page.php", PAGE, "text/plain", HTML),  # sniffed
        ("https://example.org", PAGE, None, HTML),
        # by content
        ("upload", RSS, None, FEED),
        ("upload", b"\n  <rss version='2.0'>", None, FEED),
        ("upload", ATOM, None, FEED),
        ("upload", RDF, None, FEED),
        ("upload", PAGE, None, HTML),
        ("upload", b"<!-- saved -->\n<!doctype HTML><html>", None, HTML),
        ("upload", b"<html><body>", None, HTML),
        ("upload", b"<section><p>fragment</p></section>", None, HTML),
        ("upload", b'{"title": "a"}\n{"title": "b"}\n', None, JSONL),
        ("upload", MIND_LINE * 3, None, MIND),
        ("upload", DUMP, None, TEXT),
        ("upload", b"<<< BREAKING >>> markets fall", None, TEXT),
        ("upload", codecs.BOM_UTF8 + RSS, None, FEED),
        ("upload", codecs.BOM_UTF16_LE + "<rss>".encode("utf-16-le"), None, FEED),
        ("upload", codecs.BOM_UTF16_BE + "plain news".encode("utf-16-be"), None, TEXT),
        ("upload", "Zürich: Nachrichten".encode("latin-1"), None, TEXT),
    ],
)
def test_detect_kind(name: str, head: bytes, media_type: str | None, expected: InputKind) -> None:
    assert detect_kind(name, head, media_type) is expected


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "PDF document"),
        (b"PK\x03\x04\x14\0\0\0", "ZIP archive"),
        (b"\xff\xd8\xff\xe0\0\x10JFIF", "JPEG image"),
        (b"GIF89a\x01\0", "GIF image"),
        (b"\x1f\x8b\x08\0\0\0\0\0", "gzip-compressed data; name it .gz"),
        (b"SQLite format 3\0", "SQLite database"),
        (b"\x7fELF\x02\x01", "ELF executable"),
        (b"text\0with a NUL", "contains NUL bytes"),
        (bytes(range(1, 32)) * 4, "87% control bytes"),
    ],
)
def test_binary_data_is_refused_whatever_the_name(head: bytes, what: str) -> None:
    for name in ("story.txt", "upload", "feed.xml.gz"):
        with pytest.raises(UnsupportedInput) as info:
            detect_kind(name, head, "text/html")
        assert str(info.value).startswith(f"{name}: looks like binary data ({what}")
        assert str(info.value).endswith("not a news document")


def test_png_message_is_exact() -> None:
    with pytest.raises(UnsupportedInput) as info:
        detect_kind("photo.html", b"\x89PNG\r\n\x1a\n....")
    assert str(info.value) == (
        "photo.html: looks like binary data (PNG image), not a news document"
    )


def test_unknown_markup_lists_supported_kinds() -> None:
    with pytest.raises(UnsupportedInput) as info:
        detect_kind("upload", b"<?xml version='1.0'?><urlset></urlset>")
    message = str(info.value)
    assert "root is <urlset>" in message
    assert "supported:" in message
    assert ".jsonl" in message
    assert "news.tsv" in message


def test_tsv_that_is_not_mind_news_is_refused() -> None:
    with pytest.raises(UnsupportedInput, match=r"behaviors\.tsv: a \.tsv file that is not a MIND"):
        detect_kind("behaviors.tsv", BEHAVIORS_LINE)


def test_empty_input() -> None:
    with pytest.raises(EmptyInput, match="empty input"):
        detect_kind("story.txt", b"")
    with pytest.raises(EmptyInput, match="only whitespace"):
        detect_kind("upload", b" \n\t\n")


def test_sniffing_a_long_prolog_within_the_sniff_window() -> None:
    head = (b"<!-- " + b"x" * 3000 + b" -->\n") + RSS
    assert len(head) < SNIFF_BYTES
    assert detect_kind("upload", head) is FEED


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a/b/news.tsv.gz", MIND),
        ("README.md", None),
        ("x.gz", None),
        ("https://example.org/rss.xml?format=full", FEED),
        ("https://example.com", None),
    ],
)
def test_kind_for_name(name: str, expected: InputKind | None) -> None:
    assert kind_for_name(name) is expected
