"""What the RSS and Atom feeds show: the newest articles, with a lead and their credit.

Dates: items are in the site's list order (``queries.LIST_ORDER``). An item's publication
date is the article's best-evidence date; an undated article has none, and the feeds say
none (no RSS ``pubDate``, no Atom ``published``): its Atom ``updated`` is when we first saw
it, our own record, never presented as a publication date. Feeds never put an article on
top because it *claims* a date in the future (a content farm's trick): an article
published more than ``FUTURE_SLACK`` after the site's clock is left out of the feeds until
the clock catches up; undated articles are always eligible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dateline.store.models import Article, Page
from dateline.store.queries import (
    LIST_ORDER,
    ListFilter,
    category_label,
    slugify,
    summaries_query,
)
from dateline.web.article_meta import CREDITS

FEED_SIZE = 50
# Dates within a day after "now" are time zones and clock skew; later ones are implausible.
FUTURE_SLACK = timedelta(days=1)
# The lead is the first paragraph, read from the start of the body only (bodies can be big).
LEAD_SOURCE_CHARS = 4000
LEAD_MAX_CHARS = 600
# Characters XML 1.0 cannot carry at all (control characters, lone surrogates).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class FeedCredit:
    """The licence credit of an item whose text we may only show with attribution."""

    text: str
    license: str
    license_url: str
    original_url: str

    def line(self) -> str:
        return f"{self.text} Licence: {self.license} ({self.license_url}). Original: {self.original_url}"


@dataclass(frozen=True)
class FeedItem:
    id: int
    title: str
    slug: str
    date: datetime  # naive UTC: published_at, else first_seen_at (Atom's "updated")
    published_at: datetime | None  # None: undated, no publication date is given
    first_seen_at: datetime
    lead: str
    source_id: int
    source_name: str
    category: str
    credit: FeedCredit | None


def xml_text(text: str) -> str:
    """``text`` without the characters XML cannot hold (escaping is the XML library's job)."""
    return _NOT_XML.sub("", text)


def lead_of(body_start: str) -> str:
    """The first paragraph as one line of plain text, cut at a word near LEAD_MAX_CHARS."""
    first = next((p for p in body_start.split("\n\n") if p.strip()), "")
    text = _SPACES.sub(" ", first).strip()
    if len(text) > LEAD_MAX_CHARS:
        cut = text[:LEAD_MAX_CHARS].rsplit(" ", 1)[0]
        text = cut.rstrip(" ,;:") + "…"
    return text


def article_path(article_id: int, slug: str) -> str:
    """The article page's path, percent-encoded (slugs of non-Latin titles keep letters)."""
    return f"/a/{article_id}/{quote(slug, safe='-')}"


def horizon(now: datetime) -> datetime:
    """The latest plausible publication date at site time ``now``."""
    return now + FUTURE_SLACK


def feed_items(
    session: Session,
    now: datetime,
    category: str | None = None,
    limit: int = FEED_SIZE,
    story_id: int | None = None,
) -> list[FeedItem]:
    """The newest ``limit`` articles (of ``category`` or a story), none dated implausibly late."""
    query = (
        summaries_query(ListFilter(category=category, story_id=story_id))
        .add_columns(func.substr(Article.body, 1, LEAD_SOURCE_CHARS).label("body_start"))
        .where(or_(Article.published_at.is_(None), Article.published_at <= horizon(now)))
        .order_by(*LIST_ORDER)
        .limit(limit)
    )
    rows = session.execute(query).all()
    credits = _credits(session, [r.id for r in rows])
    items = []
    for row in rows:
        items.append(
            FeedItem(
                id=row.id,
                title=row.title,
                slug=slugify(row.title),
                date=row.published_at or row.first_seen_at,
                published_at=row.published_at,
                first_seen_at=row.first_seen_at,
                lead=lead_of(row.body_start or ""),
                source_id=row.source_id,
                source_name=row.source_name,
                category=category_label(row.classified_category, row.claimed_category)[0],
                credit=credits.get(row.id),
            )
        )
    return items


def _credits(session: Session, ids: list[int]) -> dict[int, FeedCredit]:
    """Credits by article id: any page of the article from a host in article_meta.CREDITS."""
    if not ids:
        return {}
    found: dict[int, FeedCredit] = {}
    rows = session.execute(
        select(Page.article_id, Page.canonical_url, Page.url)
        .where(Page.article_id.in_(ids))
        .order_by(Page.first_seen_at, Page.id)
    ).all()
    for article_id, canonical, url in rows:
        where = canonical or url or ""
        host = urlsplit(where).hostname or ""
        if article_id not in found and host in CREDITS:
            text, license_name, license_url = CREDITS[host]
            found[article_id] = FeedCredit(text, license_name, license_url, where)
    return found
