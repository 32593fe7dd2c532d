"""Provenance: every page that carries an article, what each claimed and when we saw it.

The read side of near-duplicate detection (``dedup``): a page attaches to the canonical
article it copies, keeping its own claims, so the article's pages *are* its provenance.
The site shows them as "also carried by N sites: …"; the API lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dateline.store.models import Page, Source
from dateline.store.repository import NEAR_COPY_KEY


@dataclass(frozen=True)
class Carrier:
    """One page carrying the article, oldest first."""

    page_id: int
    source_id: int
    source_name: str
    url: str | None
    title: str
    claimed_date: str | None  # as the page stated it (ISO 8601, offset only when given)
    claimed_date_utc: datetime | None
    first_seen_at: datetime
    # True when the page's text is a near-copy rather than the same text as the article;
    # ``containment`` then says how much of it matched (see dedup.CONTAINMENT_MIN).
    near_copy: bool
    containment: float | None
    date_flag: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "page_id": self.page_id,
            "source_id": self.source_id,
            "source": self.source_name,
            "url": self.url,
            "title": self.title,
            "claimed_date": self.claimed_date,
            "first_seen_at": self.first_seen_at.isoformat(),
            "near_copy": self.near_copy,
            "containment": self.containment,
            "date_flag": self.date_flag,
        }


def carriers(session: Session, article_id: int) -> list[Carrier]:
    """Every page version carrying ``article_id``, in the order we first saw them."""
    rows = session.execute(
        select(Page, Source.name)
        .join(Source, Source.id == Page.source_id)
        .where(Page.article_id == article_id)
        .order_by(Page.first_seen_at, Page.id)
    ).all()
    out = []
    for page, source_name in rows:
        near = (page.extra or {}).get(NEAR_COPY_KEY)
        out.append(
            Carrier(
                page_id=page.id,
                source_id=page.source_id,
                source_name=source_name,
                url=page.canonical_url or page.url,
                title=page.title,
                claimed_date=page.claimed_date,
                claimed_date_utc=page.claimed_date_utc,
                first_seen_at=page.first_seen_at,
                near_copy=near is not None,
                containment=near.get("containment") if isinstance(near, dict) else None,
                date_flag=page.date_flag,
            )
        )
    return out


def other_sources(listed: list[Carrier]) -> list[str]:
    """Names for "also carried by N sites: …": sources besides the first, each once."""
    if not listed:
        return []
    first = listed[0].source_id
    seen: dict[int, str] = {}
    for carrier in listed:
        if carrier.source_id != first:
            seen.setdefault(carrier.source_id, carrier.source_name)
    return list(seen.values())


__all__ = ["Carrier", "carriers", "other_sources"]
