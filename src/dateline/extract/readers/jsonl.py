"""JSON Lines: one article per line, the format for bulk imports and the bundled demo corpus.

Schema — one JSON object per line, UTF-8 (a byte-order mark is fine); blank lines are
skipped:

====================  ========================================================================
field                 meaning
====================  ========================================================================
``title``             **required**, non-empty string: the headline
``body``              **required**, non-empty string: the text, paragraphs separated by blank
                      lines (single line breaks inside a paragraph are read as wrapping)
``paragraphs``        alternative to ``body``: a list of strings, one paragraph each
                      (when both are given, ``body`` is used)
``id``                string (an integer is accepted and converted): the producer's id,
                      kept as ``external_id``
``url``               absolute http(s) URL of the article: its ``url`` and ``canonical_url``
``published``         ISO 8601 date (``2020-12-28``) or date-time (``2020-12-28T14:05:00+01:00``);
                      the time zone is kept when given, and never invented when not
``site_name``         string: the publication
``category``          string: the claimed category
``categories``        list of strings: the first is the claimed category (unless
                      ``category`` is given); all are kept in ``extra["categories"]``
``byline``/``author`` string: who wrote it (``byline`` wins when both are given)
``language``          ISO 639-1 code (``en``; ``en-GB`` is read as ``en``); trusted when given,
                      detected from the text when not
``dateline``          string: the place line, e.g. ``BRASÍLIA, Brazil``
``agency``            string: the wire agency credited, e.g. ``AP``
``sources``           list of strings (URLs the article cites), kept in ``extra["sources"]``
====================  ========================================================================

``null`` is read as "not given" for every optional field. Any other field is kept as is in
``extra``. A line that breaks the schema is reported as an ItemFailure naming the line and
the field (``line 5: missing required field 'body'``) and the rest of the file is still
read: one bad line never costs the batch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from dateline.errors import MalformedInput, NoArticle
from dateline.extract.dates import parse_claimed_date
from dateline.extract.decode import read_items_by_line
from dateline.extract.html_fragment import text_to_paragraphs
from dateline.extract.model import ClaimedDate, ExtractedArticle, ItemFailure
from dateline.ingest.raw import RawDocument

# Longest line read, in characters. The longest article of the Wikinews corpus is ~104,000
# characters; 5 million leaves room for any real article and stops a runaway line (a whole
# file without newlines) from being parsed as one article.
MAX_LINE_CHARS = 5_000_000
KNOWN_FIELDS = frozenset(
    {
        "title", "body", "paragraphs", "id", "url", "published", "site_name", "category",
        "categories", "byline", "author", "language", "dateline", "agency", "sources",
    }
)  # fmt: skip
_ISO_DATE_START = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")
_LANGUAGE = re.compile(r"^([A-Za-z]{2})(?:[-_][A-Za-z0-9]{1,8})*$")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def read(doc: RawDocument) -> Iterator[ExtractedArticle | ItemFailure]:
    """One article per non-blank line; a bad line is an ItemFailure at ``origin:line``."""
    return read_items_by_line(doc.data, doc.origin, parse_line)


def parse_line(line: str, lineno: int) -> ExtractedArticle:
    """The article on one line, or a MalformedInput/NoArticle saying what is wrong with it."""
    if len(line) > MAX_LINE_CHARS:
        raise MalformedInput(
            f"line {lineno}: longer than {MAX_LINE_CHARS:,} characters ({len(line):,}); skipped"
        )
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise MalformedInput(
            f"line {lineno}: not valid JSON: {exc.msg} at column {exc.colno}"
        ) from exc
    except (ValueError, RecursionError) as exc:  # huge integers, absurd nesting
        raise MalformedInput(f"line {lineno}: not valid JSON: {exc}") from exc
    if not isinstance(record, dict):
        raise MalformedInput(f"line {lineno}: expected a JSON object, got {_kind(record)}")
    return _Record(record, lineno).article()


class _Record:
    """Typed access to one line's fields, raising messages that name the line and field."""

    def __init__(self, record: dict[str, Any], lineno: int) -> None:
        self.record = record
        self.lineno = lineno

    def article(self) -> ExtractedArticle:
        title = self.string("title", required=True)
        categories = self.string_list("categories")
        extra = {k: v for k, v in self.record.items() if k not in KNOWN_FIELDS}
        if categories:
            extra["categories"] = categories
        if sources := self.string_list("sources"):
            extra["sources"] = sources
        url = self.url()
        return ExtractedArticle(
            title=title or "",
            paragraphs=self.paragraphs(),
            url=url,
            canonical_url=url,
            site_name=self.string("site_name"),
            language=self.language(),
            dateline=self.string("dateline"),
            agency=self.string("agency"),
            byline=self.string("byline") or self.string("author"),
            claimed_date=self.published(),
            claimed_category=self.string("category") or (categories[0] if categories else None),
            external_id=self.identifier(),
            extra=extra,
        )

    def fail(self, message: str) -> MalformedInput:
        return MalformedInput(f"line {self.lineno}: {message}")

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.record.get(name)
        if value is None:
            if required:
                raise self.fail(f"missing required field {name!r}")
            return None
        if not isinstance(value, str):
            raise self.fail(f"{name!r} must be a string, got {_kind(value)}")
        value = _SURROGATES.sub("\ufffd", value).strip()
        if required and not value:
            raise self.fail(f"{name!r} is empty")
        return value or None

    def string_list(self, name: str) -> list[str]:
        value = self.record.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{name!r} must be a list of strings, got {_kind(value)}")
        for number, item in enumerate(value, start=1):
            if not isinstance(item, str):
                raise self.fail(
                    f"{name!r} must be a list of strings; item {number} is {_kind(item)}"
                )
        cleaned = (_SURROGATES.sub("\ufffd", item).strip() for item in value)
        return [item for item in cleaned if item]

    def paragraphs(self) -> list[str]:
        body = self.record.get("body")
        if body is None and self.record.get("paragraphs") is not None:
            field = "paragraphs"
            items = self.string_list(field)
            paragraphs = [p for item in items for p in text_to_paragraphs(item)]
        else:
            field = "body"
            if body is None:
                raise self.fail("missing required field 'body'")
            if not isinstance(body, str):
                raise self.fail(f"'body' must be a string, got {_kind(body)}")
            paragraphs = text_to_paragraphs(_SURROGATES.sub("\ufffd", body))
        if not paragraphs:
            raise NoArticle(f"line {self.lineno}: {field!r} is empty")
        return paragraphs

    def identifier(self) -> str | None:
        value = self.record.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return self.string("id")

    def url(self) -> str | None:
        value = self.string("url")
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
            raise self.fail(f"'url' is not an absolute http(s) URL: {_shorten(value)}")
        return value

    def published(self) -> ClaimedDate | None:
        value = self.string("published")
        if value is None:
            return None
        # ISO 8601 only: dateutil would read "5" as the 5th of this month.
        claimed = parse_claimed_date(value) if _ISO_DATE_START.match(value) else None
        if claimed is None:
            raise self.fail(f"'published' is not a date: {_shorten(value)}")
        return claimed

    def language(self) -> str | None:
        value = self.string("language")
        if value is None:
            return None
        match = _LANGUAGE.match(value)
        if not match:
            raise self.fail(f"'language' is not an ISO 639-1 code: {_shorten(value)}")
        return match.group(1).lower()


def _kind(value: object) -> str:
    """JSON's name for a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _shorten(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "…")
