"""Claimed dates on hand-made HTML pages: what the page states is kept, nothing is invented.

A date ahead of today is still the page's claim (the enrich stage judges it and flags it
"in the future"); a date the page does not state (its month's first day, a copyright
year's 1 January) is never produced. Each page is a small string built here.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from dateline.enrich import dates
from dateline.extract import extract_document
from dateline.extract.model import ExtractedArticle
from dateline.ingest.raw import InputKind, RawDocument
from dateline.pipeline import ingest_many
from dateline.store.models import Article

PAGE_URL = "https://gazette.example/news/harbour-bridge"
PARAGRAPHS = (
    "The regional council approved funding for the harbour bridge after a decade of "
    "debate, ending one of the longest planning disputes the town has seen.",
    "Construction is expected to take three years, and the ferry service will keep "
    "running until the bridge opens to traffic and to cyclists.",
    "Opponents argued that the money would have been better spent on the town's schools "
    "and on repairs to the sea wall along the northern beach.",
)


def page(*, meta: str = "", byline: str = "", footer: str = "") -> bytes:
    """A news page; ``meta`` goes in the head, ``byline`` above the text, ``footer`` below."""
    body = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    html = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Council approves harbour bridge</title>{meta}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        "<article><h1>Council approves harbour bridge</h1>"
        f"{byline}{body}</article>"
        f"<footer>{footer}</footer></body></html>"
    )
    return html.encode("utf-8")


def published_meta(value: str) -> str:
    return f"<meta property='article:published_time' content='{value}'>"


def extract(data: bytes) -> ExtractedArticle:
    doc = RawDocument(data=data, origin="page.html", kind=InputKind.HTML, url=PAGE_URL)
    items = list(extract_document(doc))
    assert len(items) == 1
    article = items[0]
    assert isinstance(article, ExtractedArticle)
    return article


def published(data: bytes) -> str | None:
    return extract(data).to_json()["published"]


def test_a_future_date_the_page_states_is_kept() -> None:
    data = page(
        meta=published_meta("2027-03-14"),
        byline="<p class='date'>Published 14 March 2027</p>",
    )
    article = extract(data)
    assert article.claimed_date is not None
    assert article.claimed_date.value == date(2027, 3, 14)
    assert published(data) == "2027-03-14"


def test_a_future_timestamp_keeps_its_time_and_zone() -> None:
    assert published(page(meta=published_meta("2027-03-14T09:30:00+01:00"))) == (
        "2027-03-14T09:30:00+01:00"
    )


def test_the_claim_is_the_stated_day_never_its_month() -> None:
    data = page(meta=published_meta("2026-12-25"), footer="<p>© 2026 The Gazette</p>")
    assert published(data) == "2026-12-25"


def test_a_month_is_not_a_day() -> None:
    # "2026-11" names a month: its first day is nowhere on the page
    assert published(page(meta=published_meta("2026-11"))) is None


def test_a_page_with_no_date_claims_none() -> None:
    data = page(footer="<p>Updated every month. © 2026 The Gazette. All rights reserved.</p>")
    assert published(data) is None


def test_a_stated_first_of_the_month_is_kept() -> None:
    assert published(page(meta=published_meta("2026-11-01"))) == "2026-11-01"
    stated = page(byline="<p class='date'>Published on November 1, 2026</p>")
    assert published(stated) == "2026-11-01"


def test_a_future_claim_is_kept_and_flagged_in_the_future(store, settings, tmp_path) -> None:
    path: Path = tmp_path / "future.html"
    path.write_bytes(page(meta=published_meta("2099-03-14")))
    report = ingest_many([str(path)], store, settings)
    assert report.ok, report.failures
    with store.write() as s:
        article = s.scalars(select(Article)).one()
        (page_row,) = article.pages
        assert page_row.claimed_date == "2099-03-14"  # kept as the page's claim
        result = dates.apply(s, article.id, page_row.first_seen_at)
        assert article.published_at is None  # not credible
        assert "in the future" in article.date_reason
        (check,) = result.claims
        assert check.claimed == "2099-03-14"
        assert page_row.date_flag is not None
        assert page_row.date_flag.startswith("claimed 2099-03-14 · ")
        assert "in the future" in page_row.date_flag
