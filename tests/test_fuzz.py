"""Property-based fuzzing of every parser we own (hypothesis), bounded and derandomised.

Each parser gets arbitrary bytes or text, and text shaped like its format with hostile
pieces mixed in. The property is the project's rule for bad input: a parser returns, or
raises one of our own specific errors (:class:`~dateline.errors.DatelineError`), never
anything else. Examples are a fixed number per test, drawn from a fixed seed
(``derandomize``), so a run is repeatable and bounded; ``fuzz/`` runs the same targets
under atheris for as long as asked.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dateline.errors import DatelineError
from dateline.extract import extract_document
from dateline.extract.dates import parse_claimed_date
from dateline.extract.decode import decode_bytes
from dateline.extract.html_clean import clean_body
from dateline.extract.html_fragment import html_to_paragraphs, text_to_paragraphs
from dateline.extract.model import ExtractedArticle, ItemFailure
from dateline.extract.stated_dates import states_day
from dateline.ingest.detect import detect_kind
from dateline.ingest.raw import InputKind, RawDocument
from dateline.safetext import clean_label, lookalikes, strip_invisible
from dateline.store.queries import Cursor, slugify
from dateline.store.search import SearchCursor, parse_query
from dateline.web.api_params import article_cursor, parse_when

BOUNDED = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SLOW = settings(BOUNDED, max_examples=40)  # trafilatura parses each HTML example

# Pieces of the formats and of attacks, mixed into generated text.
HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "\u202egnp.exe\u202c",
    "\x00",
    "\ud800",
    "\ufeff",
    "&#0;&#x110000;&#xD800;",
    "]]>",
    "<![CDATA[",
    "<!DOCTYPE x [<!ENTITY a '&a;&a;'>]>",
    "9" * 40,
    "-" * 30,
    "\r\n\r\n",
]
SEED_LINES = [
    "Home > World > Asia",
    "veryGood! (7359)",
    "Related",
    "Ranking",
    "Recommendation",
    "2023-09-12 10:21",
    "Views 1,234",
    "SEOUL, South Korea (AP) — ",
    "By AP",
    "© 2023 All rights reserved",
    "1. A headline in a list",
]
texts = st.text(max_size=300)
pieces = st.one_of(texts, st.sampled_from(HOSTILE), st.sampled_from(SEED_LINES))
lines = st.lists(pieces, max_size=25).map("\n".join)


def allowed(call, *args, **kwargs):
    """Run ``call``; our own errors are answers, anything else fails the test."""
    try:
        return call(*args, **kwargs)
    except DatelineError:
        return None


def extracted(data: bytes, kind: InputKind) -> list[ExtractedArticle | ItemFailure]:
    doc = RawDocument(data=data, origin="fuzz", kind=kind)
    items = allowed(lambda: list(extract_document(doc))) or []
    for item in items:
        assert isinstance(item, ExtractedArticle | ItemFailure)
        if isinstance(item, ExtractedArticle):
            assert item.paragraphs and all(p.strip() for p in item.paragraphs)
            assert "\u202e" not in item.title  # headlines are cleaned (safetext)
        else:
            assert isinstance(item.error, DatelineError)
    return items


def encoded(text_strategy):
    return st.tuples(text_strategy, st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252"])).map(
        lambda pair: pair[0].encode(pair[1], errors="replace")
    )


# --- the input readers ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(InputKind))
@SLOW
@given(data=st.binary(max_size=2000))
def test_any_bytes_as_any_kind(kind, data):
    extracted(data, kind)


@BOUNDED
@given(data=encoded(lines))
def test_text_page_dumps(data):
    extracted(data, InputKind.TEXT_DUMP)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), pieces),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=12,
)
json_items = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(
        (
            "id",
            "url",
            "title",
            "body",
            "text",
            "published",
            "categories",
            "byline",
            "site_name",
            "language",
            "links",
            "views",
            "reactions",
        ),
        json_values,
    ),
)


@BOUNDED
@given(rows=st.lists(st.one_of(json_items.map(json.dumps), pieces), max_size=12))
def test_json_lines(rows):
    extracted("\n".join(rows).encode("utf-8", errors="surrogatepass"), InputKind.JSONL)


@BOUNDED
@given(
    rows=st.lists(
        st.lists(st.one_of(st.from_regex(r"N\d{1,6}", fullmatch=True), pieces), max_size=9).map(
            "\t".join
        ),
        max_size=12,
    )
)
def test_mind_rows(rows):
    extracted("\n".join(rows).encode("utf-8", errors="surrogatepass"), InputKind.MIND)


def _xml(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;")


feeds = st.builds(
    lambda title, items, raw: (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>'
        + _xml(title)
        + "</title>"
        + "".join(
            f"<item><title>{_xml(t)}</title><link>{_xml(link)}</link>"
            f"<description>{_xml(d) if escape else d}</description>"
            f"<pubDate>{_xml(when)}</pubDate><category>{_xml(c)}</category></item>"
            for t, link, d, when, c, escape in items
        )
        + raw
        + "</channel></rss>"
    ),
    pieces,
    st.lists(st.tuples(pieces, pieces, lines, pieces, pieces, st.booleans()), max_size=5),
    st.one_of(st.just(""), pieces),
)


@BOUNDED
@given(feed=feeds)
def test_feeds(feed):
    extracted(feed.encode("utf-8", errors="surrogatepass"), InputKind.FEED)


pages = st.builds(
    lambda title, meta, paragraphs, tail: (
        f"<html><head><title>{title}</title>"
        f'<meta property="og:site_name" content="{meta}">'
        f'<meta property="article:published_time" content="{meta}">'
        f"</head><body><article><h1>{title}</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + f"</article>{tail}</body></html>"
    ),
    pieces,
    pieces,
    st.lists(lines, min_size=1, max_size=6),
    pieces,
)


@SLOW
@given(page=pages)
def test_html_pages(page):
    extracted(page.encode("utf-8", errors="surrogatepass"), InputKind.HTML)


@BOUNDED
@given(fragment=lines, headlines=st.lists(pieces, max_size=3))
def test_html_fragments_and_body_cleaning(fragment, headlines):
    paragraphs = html_to_paragraphs(fragment)
    assert all(isinstance(p, str) and p.strip() for p in paragraphs)
    text_to_paragraphs(fragment)
    clean_body(paragraphs, headlines)


@BOUNDED
@given(data=st.binary(max_size=500), declared=st.one_of(st.none(), texts))
def test_decoding_and_detection(data, declared):
    text = allowed(decode_bytes, data, declared)
    assert text is None or isinstance(text, str)
    allowed(detect_kind, "fuzz.bin", data, declared)


def test_found_by_fuzzing():
    """Inputs the fuzzers found that crashed a parser, kept as regressions."""
    # a declared encoding with a NUL: the codec registry raised ValueError
    assert decode_bytes(b"caf\xe9 cr\xe8me", "latin\x001") == "café crème"
    # a character reference beyond U+10FFFF: feedparser's loose parser raised ValueError
    feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>&#x110000;</title>'
    feed += b"<item><title>A &#x110000; title</title><description>Some text.</description>"
    feed += b"</item></channel></rss>"
    (item,) = extracted(feed, InputKind.FEED)
    assert isinstance(item, ExtractedArticle) and item.title == "A \ufffd title"
    # a feed entry whose only text is a bidi control gets no headline made of it
    feed = b'<rss version="2.0"><channel><item><description>\xe2\x80\xae</description>'
    feed += b"</item><item><description>Real text.</description></item></channel></rss>"
    titles = [i.title for i in extracted(feed, InputKind.FEED) if isinstance(i, ExtractedArticle)]
    assert titles == ["Real text."]


def test_the_atheris_harness_runs_and_finds_nothing_quickly():
    """``fuzz/fuzz_parsers.py`` works: every target for a few thousand inputs, no crash."""
    import subprocess
    import sys

    from conftest import REPO

    done = subprocess.run(
        [sys.executable, str(REPO / "fuzz" / "fuzz_parsers.py"), "all", "-runs=3000", "-seed=1"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done 3000 runs" in done.stderr


# --- dates -------------------------------------------------------------------------------------


@BOUNDED
@given(raw=st.one_of(texts, lines, st.from_regex(r"\d{1,5}[-/. ]\d{1,3}[-/. ]\d{1,5}.{0,12}")))
def test_claimed_dates(raw):
    claimed = allowed(parse_claimed_date, raw)
    if claimed is not None:
        assert 1 <= claimed.value.year <= 9999


@BOUNDED
@given(text=lines, day=st.dates(min_value=date(1, 1, 1)))
def test_stated_days(text, day):
    assert isinstance(states_day(text, day), bool)


# --- the API's query parameters and cursors ----------------------------------------------------


@BOUNDED
@given(value=st.one_of(texts, st.from_regex(r"[0-9T:+\-Z. ]{0,30}", fullmatch=True)))
def test_query_dates(value):
    allowed(parse_when, value, "since")
    allowed(parse_when, value, "until", end_of_day=True)


@BOUNDED
@given(token=st.one_of(texts, st.binary(max_size=60).map(lambda b: b.hex()), pieces))
def test_cursors(token):
    allowed(article_cursor, token)
    Cursor.decode(token)  # None for anything we did not issue
    query = parse_query("harbour")
    allowed(SearchCursor.decode, token, query)


@BOUNDED
@given(raw=st.one_of(lines, st.text(alphabet='"- *abc', max_size=80)))
def test_search_queries(raw):
    allowed(parse_query, raw)
    assert isinstance(slugify(raw), str)


# --- hostile text ------------------------------------------------------------------------------


@BOUNDED
@given(text=st.one_of(texts, lines))
def test_strip_invisible_is_idempotent_and_leaves_no_bidi_control(text):
    once = strip_invisible(text)
    assert strip_invisible(once) == once
    assert not set(once) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b")
    label = clean_label(text)
    assert label == clean_label(label)
    assert all(word in once for word in lookalikes(text))
