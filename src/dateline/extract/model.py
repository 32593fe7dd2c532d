"""The extraction stage's output: one clean article plus what the page *claimed* about it.

A copying site's date, category, view and reaction counts and link lists are kept as
claims (evidence for later stages), never as facts about the article.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dateline.errors import InputError

# The fields of a `dateline extract` record, besides `path` and `error` (README documents them).
RECORD_FIELDS = (
    "title",
    "body",
    "published",
    "site_name",
    "category",
    "dateline",
    "agency",
    "byline",
    "language",
    "url",
)


@dataclass(frozen=True)
class ClaimedDate:
    """A date as the page stated it.

    ``value`` is a ``datetime`` (aware when the page gave a time zone, naive when it did
    not — we never invent one) or a ``date`` when the page gave only a day.
    """

    value: datetime | date
    raw: str = ""

    @property
    def has_timezone(self) -> bool:
        return isinstance(self.value, datetime) and self.value.tzinfo is not None

    def isoformat(self) -> str:
        return self.value.isoformat()


@dataclass
class ExtractedArticle:
    """Clean article fields from one document (a page, a feed item, a JSONL line).

    ``paragraphs`` is the body, one paragraph each, with no page chrome. ``body`` joins
    them with blank lines, the form stored and hashed.
    """

    title: str
    paragraphs: list[str]
    url: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    language: str | None = None
    dateline: str | None = None
    agency: str | None = None
    byline: str | None = None
    claimed_date: ClaimedDate | None = None
    claimed_category: str | None = None
    claimed_views: int | None = None
    claimed_reactions: int | None = None
    claimed_reaction_label: str | None = None
    claimed_links: dict[str, list[str]] = field(default_factory=dict)
    external_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def content_hash(self) -> str:
        """Hash of the normalised title and body: a page's identity when it has no URL."""
        text = normalise_for_hash(self.title) + "\n" + normalise_for_hash(self.body)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def body_hash(self) -> str:
        """Hash of the normalised body alone: pages with the same text share one article."""
        return body_hash_of(self.body)

    def to_json(self) -> dict[str, Any]:
        """The public, documented shape used by ``dateline extract``."""
        return {
            "title": self.title,
            "body": self.body,
            "published": self.claimed_date.isoformat() if self.claimed_date else None,
            "site_name": self.site_name,
            "category": self.claimed_category,
            "dateline": self.dateline,
            "agency": self.agency,
            "byline": self.byline,
            "language": self.language,
            "url": self.canonical_url or self.url,
        }


def body_hash_of(body: str) -> str:
    """The ``Article.body_hash`` of a body: its normalised text, hashed."""
    return hashlib.sha256(normalise_for_hash(body).encode("utf-8")).hexdigest()


def normalise_for_hash(text: str) -> str:
    """Whitespace and case-insensitive form, so re-wrapped copies of a text hash the same."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class ItemFailure:
    """One item of a container (a JSONL line, a feed entry) that could not be read.

    Readers yield these instead of raising, so one bad line never stops the batch.
    """

    where: str
    error: InputError
