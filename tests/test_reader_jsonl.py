"""JSONL reader: the documented schema, per-line failures with specific messages."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from conftest import shared_path
from dateline.errors import EmptyInput, MalformedInput, NoArticle, UnsupportedInput
from dateline.extract import extract_document
from dateline.extract.model import ExtractedArticle, ItemFailure
from dateline.extract.readers import jsonl
from dateline.ingest.raw import InputKind, RawDocument

DATA = Path(__file__).resolve().parent / "data" / "jsonl"


def _offset(article: ExtractedArticle) -> timedelta | None:
    """The claimed date's UTC offset (None for a naive time); fails for a day-only date."""
    assert article.claimed_date is not None
    value = article.claimed_date.value
    assert isinstance(value, datetime)
    return value.utcoffset()


def _extract(data: bytes, origin: str = "input.jsonl") -> list[ExtractedArticle | ItemFailure]:
    return list(extract_document(RawDocument(data=data, origin=origin, kind=InputKind.JSONL)))


def _file(name: str) -> list[ExtractedArticle | ItemFailure]:
    return _extract((DATA / name).read_bytes(), origin=name)


def _line(**fields: object) -> bytes:
    return json.dumps(fields).encode("utf-8") + b"\n"


def test_good_file_maps_every_schema_field() -> None:
    crane, orchestra, bakery = _file("good.jsonl")
    assert isinstance(crane, ExtractedArticle)
    assert crane.title == "New crane arrives at the harbour"
    assert crane.paragraphs == [
        "A new container crane arrived at the harbour on Tuesday, carried on a barge from "
        "the shipyard.",
        "The port authority said it would double the number of containers handled each hour.",
    ]
    assert crane.external_id == "demo-001"
    assert crane.url == crane.canonical_url == "https://news.example.org/2024/harbour-crane"
    assert crane.claimed_date is not None
    assert crane.claimed_date.value == date(2024, 4, 2)
    assert crane.claimed_category == "Economy and business"
    assert crane.extra["categories"] == ["Economy and business", "Transport"]
    assert crane.extra["sources"] == ["https://source.example.com/crane-report"]

    assert isinstance(orchestra, ExtractedArticle)
    assert orchestra.external_id == "42"  # integer ids are accepted
    assert orchestra.paragraphs == [
        "The city orchestra will play twelve open-air concerts this summer.",
        "Tickets are free for under-18s.",
    ]
    assert orchestra.claimed_date is not None
    assert _offset(orchestra) == timedelta(hours=2)
    assert orchestra.byline == "Ana Ruiz"
    assert orchestra.language == "en"  # "en-GB" read as ISO 639-1
    assert orchestra.site_name == "Example Evening Post"
    assert orchestra.claimed_category == "Culture"
    assert orchestra.dateline == "VALENCIA, Spain"
    assert orchestra.agency == "EXA"
    assert orchestra.extra == {"reading_time": 2}  # unknown fields are kept

    assert isinstance(bakery, ExtractedArticle)
    assert bakery.byline == "Tom Weller"  # from "author"
    assert bakery.url is None  # null means not given
    assert bakery.claimed_date is not None
    assert bakery.claimed_date.value == datetime(2024, 6, 1, 7, 0)  # naive: no zone invented
    # single line breaks are wrapping, blank lines separate paragraphs
    assert bakery.paragraphs[0] == (
        "A family bakery in the old town won the regional bread prize for its rye loaf."
    )


def test_one_bad_line_among_good_ones() -> None:
    crane, failure, bakery = _file("one_bad_line.jsonl")
    assert isinstance(crane, ExtractedArticle)
    assert isinstance(bakery, ExtractedArticle)
    assert isinstance(failure, ItemFailure)
    assert failure.where == "one_bad_line.jsonl:3"  # line 2 is blank and skipped
    assert isinstance(failure.error, MalformedInput)
    assert str(failure.error) == "line 3: not valid JSON: Expecting ',' delimiter at column 41"


WRONG_TYPES = [
    "line 1: 'title' must be a string, got a number",
    "line 2: missing required field 'body'",
    "line 3: expected a JSON object, got a list",
    "line 4: 'published' is not a date: 'yesterday'",
    "line 5: 'categories' must be a list of strings, got a string",
    "line 6: 'url' is not an absolute http(s) URL: 'javascript:alert(1)'",
    "line 7: 'body' is empty",
    "line 8: 'language' is not an ISO 639-1 code: 'English'",
    "line 9: 'body' must be a string, got a list",
    "line 10: 'title' is empty",
    "line 11: 'sources' must be a list of strings; item 2 is a number",
    "line 12: expected a JSON object, got a string",
    "line 13: 'published' must be a string, got a number",
]


def test_wrong_types_give_specific_messages_and_every_failure_is_still_yielded() -> None:
    items = _file("wrong_types.jsonl")
    assert all(isinstance(i, ItemFailure) for i in items)
    assert [str(i.error) for i in items] == WRONG_TYPES  # type: ignore[union-attr]
    assert [i.where for i in items] == [  # type: ignore[union-attr]
        f"wrong_types.jsonl:{n}" for n in range(1, 14)
    ]
    empty_body = items[6]
    assert isinstance(empty_body, ItemFailure)
    assert isinstance(empty_body.error, NoArticle)


def test_bom_and_crlf_are_fine() -> None:
    (article,) = _file("bom.jsonl")
    assert isinstance(article, ExtractedArticle)
    assert article.title == "Bakery wins regional bread prize"


def test_empty_file_raises() -> None:
    with pytest.raises(EmptyInput):
        _file("empty.jsonl")


def test_binary_junk_raises() -> None:
    with pytest.raises(UnsupportedInput):
        _extract(bytes(range(256)) * 8)


def test_paragraphs_list_is_an_alternative_to_body() -> None:
    (article,) = _extract(_line(title="T", paragraphs=["One.", "  ", "Two\n\nThree."]))
    assert isinstance(article, ExtractedArticle)
    assert article.paragraphs == ["One.", "Two", "Three."]


def test_given_language_is_trusted_over_detection() -> None:
    data = _line(
        title="English title", body="This text is plainly written in English.", language="FR"
    )
    (article,) = _extract(data)
    assert isinstance(article, ExtractedArticle)
    assert article.language == "fr"


def test_category_wins_over_categories_which_are_kept() -> None:
    (article,) = _extract(_line(title="T", body="B.", category="Sport", categories=["A", "B"]))
    assert isinstance(article, ExtractedArticle)
    assert article.claimed_category == "Sport"
    assert article.extra["categories"] == ["A", "B"]


def test_overlong_line_is_an_item_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonl, "MAX_LINE_CHARS", 100)
    data = _line(title="short", body="fine") + _line(title="long", body="x" * 200)
    ok, failure = _extract(data)
    assert isinstance(ok, ExtractedArticle)
    assert isinstance(failure, ItemFailure)
    assert failure.where == "input.jsonl:2"
    assert str(failure.error).startswith("line 2: longer than 100 characters")


def test_absurd_nesting_is_an_item_failure_not_a_crash() -> None:
    (failure,) = _extract(b"[" * 100_000 + b"\n")
    assert isinstance(failure, ItemFailure)
    assert str(failure.error).startswith("line 1: not valid JSON")


def test_invalid_json_value_messages() -> None:
    items = _extract(b'{"title": "T", "body": "B"\nnot json at all\n{"title": "T", "body": "B"}\n')
    assert [str(i.error) for i in items if isinstance(i, ItemFailure)] == [
        "line 1: not valid JSON: Expecting ',' delimiter at column 27",
        "line 2: not valid JSON: Expecting value at column 1",
    ]
    assert isinstance(items[-1], ExtractedArticle)


def test_non_iso_dates_are_refused() -> None:
    (failure,) = _extract(_line(title="T", body="B.", published="5"))
    assert isinstance(failure, ItemFailure)
    assert str(failure.error) == "line 1: 'published' is not a date: '5'"


def test_the_bundled_wikinews_corpus_reads_without_a_single_failure() -> None:
    path = shared_path("corpora/wikinews/articles.jsonl")
    items = _extract(path.read_bytes(), origin=str(path))
    failures = [i for i in items if isinstance(i, ItemFailure)]
    assert failures == []
    assert len(items) == 320
    articles = [i for i in items if isinstance(i, ExtractedArticle)]
    assert all(a.external_id and a.external_id.startswith("wn-") for a in articles)
    assert all(
        a.canonical_url and a.canonical_url.startswith("https://en.wikinews.org/") for a in articles
    )
    assert all(a.claimed_date is not None and not a.claimed_date.has_timezone for a in articles)
    assert sum(1 for a in articles if a.claimed_category) == 27
    assert sum(1 for a in articles if a.extra.get("sources")) == 25
