"""MIND ``news.tsv`` (Microsoft News Dataset): one news item per row, for recommender tests.

Columns (tab-separated, no header): News ID, Category, SubCategory, Title, Abstract, URL,
Title Entities (JSON), Abstract Entities (JSON).

Mapping, and why:

* body = the abstract, one paragraph: MIND ships no full text. A row with an empty
  abstract (MIND has thousands) is an ItemFailure(NoArticle), not an article with a title
  only: a headline alone is no article, and later stages need a body to deduplicate.
* claimed_category = Category; SubCategory goes to ``extra["subcategory"]``.
* external_id = News ID; url = canonical_url = URL when it is an absolute http(s) URL.
* site_name = "MSN" when the URL's host is msn.com or under it (MIND's URLs point to the
  copy MSN showed, so MSN is the site that published *this copy*; the original publisher
  is not in the data), else None.
* No date: MIND rows carry none, and the impression log's times are not publication dates.
* The entity columns are kept in ``extra`` (``title_entities``, ``abstract_entities``) when
  they are valid JSON lists; a broken entity column loses only the entities, not the row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from dateline.errors import MalformedInput, NoArticle
from dateline.extract.decode import read_items_by_line
from dateline.extract.model import ExtractedArticle, ItemFailure
from dateline.ingest.raw import RawDocument

COLUMNS = (
    "news_id", "category", "subcategory", "title", "abstract", "url",
    "title_entities", "abstract_entities",
)  # fmt: skip
_NEWS_ID = re.compile(r"^N\d+$")


def read(doc: RawDocument) -> Iterator[ExtractedArticle | ItemFailure]:
    """One article per row; a malformed row or one without abstract is an ItemFailure."""
    return read_items_by_line(doc.data, doc.origin, _row_article)


def looks_like_mind(head: str) -> bool:
    """Whether the first line is a MIND news row: 8 tab-separated fields, an id like N12345."""
    first = head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    fields = first.split("\t")
    return len(fields) == len(COLUMNS) and bool(_NEWS_ID.match(fields[0]))


def _row_article(line: str, lineno: int) -> ExtractedArticle:
    fields = line.rstrip("\r").split("\t")
    if len(fields) != len(COLUMNS):
        raise MalformedInput(
            f"line {lineno}: expected {len(COLUMNS)} tab-separated columns, got {len(fields)}"
        )
    row = dict(zip(COLUMNS, (f.strip() for f in fields), strict=True))
    if not row["news_id"]:
        raise MalformedInput(f"line {lineno}: empty News ID")
    if not row["title"]:
        raise MalformedInput(f"line {lineno}: news {row['news_id']} has an empty title")
    if not row["abstract"]:
        raise NoArticle(f"line {lineno}: news {row['news_id']} has no abstract (no body)")
    url = _http_url(row["url"])
    extra: dict[str, Any] = {}
    if row["subcategory"]:
        extra["subcategory"] = row["subcategory"]
    for column in ("title_entities", "abstract_entities"):
        entities = _entities(row[column])
        if entities:
            extra[column] = entities
    return ExtractedArticle(
        title=row["title"],
        paragraphs=[row["abstract"]],
        url=url,
        canonical_url=url,
        site_name=_site_name(url),
        claimed_category=row["category"] or None,
        external_id=row["news_id"],
        extra=extra,
    )


def _entities(cell: str) -> list[Any]:
    try:
        value = json.loads(cell) if cell else []
    except (ValueError, RecursionError):
        return []
    return value if isinstance(value, list) else []


def _http_url(value: str) -> str | None:
    parts = urlsplit(value)
    return value if parts.scheme in {"http", "https"} and parts.netloc else None


def _site_name(url: str | None) -> str | None:
    host = (urlsplit(url).hostname or "") if url else ""
    return "MSN" if host == "msn.com" or host.endswith(".msn.com") else None
