"""MIND news.tsv reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from dateline.errors import EmptyInput, MalformedInput, NoArticle
from dateline.extract import extract_document
from dateline.extract.model import ExtractedArticle, ItemFailure
from dateline.extract.readers.mind import looks_like_mind
from dateline.ingest.raw import InputKind, RawDocument

SAMPLE = Path(__file__).resolve().parent / "data" / "mind" / "news_sample.tsv"


def _extract(data: bytes, origin: str = "news.tsv") -> list[ExtractedArticle | ItemFailure]:
    return list(extract_document(RawDocument(data=data, origin=origin, kind=InputKind.MIND)))


def test_sample_rows_and_failures() -> None:
    barrier, goalkeeper, no_abstract, short_row, no_title, snow = _extract(
        SAMPLE.read_bytes(), origin="news_sample.tsv"
    )
    assert isinstance(barrier, ExtractedArticle)
    assert barrier.title == "Riverside opens a new flood barrier"
    assert barrier.paragraphs == [
        "The barrier took three years to build and protects four hundred homes."
    ]
    assert barrier.external_id == "N10001"
    assert barrier.url == barrier.canonical_url == "https://assets.msn.com/labs/mind/AA00001.html"
    assert barrier.claimed_category == "news"
    assert barrier.extra["subcategory"] == "newsus"
    assert barrier.extra["title_entities"][0]["WikidataId"] == "Q0000001"
    assert barrier.claimed_date is None
    assert barrier.site_name == "MSN"  # the copy MSN showed

    assert isinstance(goalkeeper, ExtractedArticle)
    assert goalkeeper.site_name is None  # not an msn.com URL: publisher unknown

    assert isinstance(no_abstract, ItemFailure)
    assert isinstance(no_abstract.error, NoArticle)
    assert no_abstract.where == "news_sample.tsv:3"
    assert str(no_abstract.error) == "line 3: news N10003 has no abstract (no body)"

    assert isinstance(short_row, ItemFailure)
    assert isinstance(short_row.error, MalformedInput)
    assert str(short_row.error) == "line 4: expected 8 tab-separated columns, got 7"

    assert isinstance(no_title, ItemFailure)
    assert str(no_title.error) == "line 5: news N10005 has an empty title"

    # A broken entity column and a missing URL cost only those fields.
    assert isinstance(snow, ExtractedArticle)
    assert snow.url is None
    assert "title_entities" not in snow.extra


def test_empty_file_raises() -> None:
    with pytest.raises(EmptyInput):
        _extract(b"\n\n")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (SAMPLE.read_text(encoding="utf-8"), True),
        ("\ufeffN1\ta\tb\tc\td\te\t[]\t[]\r\nmore", True),
        ("X1\ta\tb\tc\td\te\t[]\t[]", False),
        ("N1\ta\tb\tc\td\te\t[]", False),
        ("id,title,body\n", False),
        ("", False),
    ],
)
def test_looks_like_mind(head: str, expected: bool) -> None:
    assert looks_like_mind(head) is expected
