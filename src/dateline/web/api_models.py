"""Response models of the JSON API, and their conversion from the library's dataclasses.

The library returns frozen dataclasses (``ArticleSummary``, ``ArticleDetail``, ``ListEntry``,
``SearchHit``); the API turns them into Pydantic models here so ``/api/openapi.json``
documents real schemas and schemathesis can check every response against them.

Conventions, stated once: datetimes are ISO 8601 in UTC with an explicit ``Z``, except
``published_local``, the same instant in the publisher's own offset; a category
marked ``category_is_claim`` is the source's own label, not Dateline's; anything a carrying
page *claimed* (date, category, counts) sits under ``claims`` and is never our number.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from dateline.safetext import lookalikes
from dateline.store.models import Source
from dateline.store.queries import ArticleDetail, ArticleSummary, Carrier
from dateline.store.search import MARK_END, MARK_START, SearchHit
from dateline.store.sites import SourceCounts
from dateline.web.contexts import ArticleList, date_claims, date_line


def utc(at: datetime | None) -> datetime | None:
    """Stored datetimes are naive UTC: say so in the output (``…Z``)."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


PUBLISHED_AT = (
    "The best-evidence publication date, in UTC; null when no date is credible (then only"
    " first_seen_at is known, and no publication date is made up)."
)
LOOKALIKE = (
    "Words of the headline, byline or source name that mix scripts (Unicode TS #39's"
    " mixed-script rule, per word): possible look-alikes, such as a Cyrillic 'а' in"
    " 'pаypal'. Flagged, never changed; empty for ordinary text."
)
PUBLISHED_LOCAL = (
    "published_at in the offset the lead page stated, as the publisher would write it"
    " (2026-11-26T22:05:00-05:00); null when that page gave no time zone."
)


class ErrorBody(BaseModel):
    status: int = Field(description="The HTTP status, repeated for clients that lose it.")
    code: str = Field(description="Short stable code: not_found, invalid, bad_cursor, …")
    message: str = Field(description="What went wrong, for a person.")


class ErrorOut(BaseModel):
    """The one error shape of every /api path, whatever the status."""

    error: ErrorBody


class Summary(BaseModel):
    id: int
    title: str
    slug: str
    url: str = Field(description="The article page on this site (a path).")
    published_at: datetime | None = Field(description=PUBLISHED_AT)
    source_id: int
    source_name: str
    category: str
    category_is_claim: bool = Field(description="True: the source's own category, a claim.")
    published_local: datetime | None = Field(description=PUBLISHED_LOCAL)
    first_seen_at: datetime | None = Field(description="When Dateline first saw it (UTC).")
    lookalike: list[str] = Field(description=LOOKALIKE)


class ArticleListOut(BaseModel):
    items: list[Summary]
    next: str | None = Field(description="Pass as `after` for the next page; null at the end.")


class CarrierClaims(BaseModel):
    """What a carrying page said about the article: its claims, not our facts."""

    date: str | None
    category: str | None
    reactions: int | None
    reaction_label: str | None
    views: int | None


class CarrierOut(BaseModel):
    page_id: int
    source_id: int
    source_name: str
    url: str | None
    first_seen_at: datetime
    claims: CarrierClaims
    date_flag: str | None = Field(
        description="Set when this page's claimed date is far from the evidence, and why."
    )


class DateClaimOut(BaseModel):
    source_name: str
    claimed: str


class SourceRef(BaseModel):
    id: int
    name: str
    url: str | None


class ArticleOut(BaseModel):
    id: int
    title: str
    slug: str
    url: str
    body: str
    paragraphs: list[str]
    language: str | None
    dateline: str | None
    agency: str | None
    byline: str | None
    published_at: datetime | None = Field(description=PUBLISHED_AT)
    published_local: datetime | None = Field(description=PUBLISHED_LOCAL)
    first_seen_at: datetime
    word_count: int
    category: str
    category_is_claim: bool
    claimed_category: str | None = Field(
        description="The first carrying page's own category (a claim), shown when it differs."
    )
    category_confidence: float | None = Field(description="The classifier's probability.")
    date_status: str | None = Field(
        description="corroborated | unverified | flagged (null: not assessed yet)."
    )
    date_reason: str | None = Field(
        description=(
            "Why the date has that status, for readers: the general reason; a problem of"
            " one carrying page's claim is in that carrier's date_flag, not here as well."
        )
    )
    story_id: int | None
    story_label: str | None
    entities: list[EntityOut]
    source: SourceRef
    carriers: list[CarrierOut] = Field(description="Every page carrying it, first seen first.")
    date_claims: list[DateClaimOut] = Field(description="Carriers' dates that differ from ours.")
    views: int = Field(description="Our own view count.")
    reactions: int = Field(description="Our own reaction count (never a carrier's claim).")
    reacted: bool = Field(description="Whether the reader of the cookie reacted to it.")
    lookalike: list[str] = Field(description=LOOKALIKE)


class EntityOut(BaseModel):
    id: int
    name: str
    kind: str = Field(description="PERSON | ORG | PLACE")


class EntryOut(BaseModel):
    position: int
    reason: str = Field(description="Why this article is in the list.")
    article: Summary


class ListOut(BaseModel):
    name: str = Field(description="related | ranking | recommendation")
    title: str
    items: list[EntryOut]


class TextPart(BaseModel):
    text: str
    match: bool = Field(description="True where the text matched the query.")


class SearchHitOut(BaseModel):
    article: Summary
    title_parts: list[TextPart]
    snippet: str = Field(description="Plain text around the matches.")
    snippet_parts: list[TextPart] = Field(description="`snippet` split into matched parts.")
    score: float = Field(description="Higher is better; comparable within one search only.")


class SearchOut(BaseModel):
    query: str
    items: list[SearchHitOut]
    next: str | None


class ReactionOut(BaseModel):
    article_id: int
    reacted: bool
    count: int


class ReaderOut(BaseModel):
    known: bool = Field(description="False when this answer issued the cookie, or to a bot.")
    csrf_token: str | None = Field(description="Send as `X-CSRF-Token` when reacting.")


class CategoryOut(BaseModel):
    name: str
    slug: str
    count: int
    is_claim: bool = Field(
        description="True: a source's own label (for articles the classifier left out); "
        "false: one of Dateline's categories, or Uncategorised."
    )


class SourceOut(BaseModel):
    id: int
    name: str
    lookalike: list[str] = Field(description=LOOKALIKE)
    home_url: str | None = Field(description="Scheme, host and port the site was reached at.")
    kind: str
    score: float | None = Field(
        default=None, description="Behaviour score, 0 (content farm) to 1; null until scored."
    )


class SourceListed(SourceOut):
    pages: int = Field(description="Pages received from it, every version counted.")
    articles: int = Field(description="Articles it leads (whose headline and text it gives).")


# --- conversions -------------------------------------------------------------------------------


def summary_out(s: ArticleSummary) -> Summary:
    return Summary(
        id=s.id,
        title=s.title,
        slug=s.slug,
        url=f"/a/{s.id}/{s.slug}",
        published_at=utc(s.published_at),
        source_id=s.source_id,
        source_name=s.source_name,
        category=s.category,
        category_is_claim=s.category_is_claim,
        published_local=s.published_local,
        first_seen_at=utc(s.first_seen_at),
        lookalike=lookalikes(f"{s.title}\n{s.source_name}"),
    )


def carrier_out(c: Carrier) -> CarrierOut:
    return CarrierOut(
        page_id=c.page_id,
        source_id=c.source_id,
        source_name=c.source_name,
        url=c.url,
        first_seen_at=utc(c.first_seen_at) or c.first_seen_at,
        claims=CarrierClaims(
            date=c.claimed_date,
            category=c.claimed_category,
            reactions=c.claimed_reactions,
            reaction_label=c.claimed_reaction_label,
            views=c.claimed_views,
        ),
        date_flag=c.date_flag,
    )


def article_out(a: ArticleDetail, reacted: bool) -> ArticleOut:
    return ArticleOut(
        id=a.id,
        title=a.title,
        slug=a.slug,
        url=f"/a/{a.id}/{a.slug}",
        body=a.body,
        paragraphs=a.paragraphs,
        language=a.language,
        dateline=a.dateline,
        agency=a.agency,
        byline=a.byline,
        published_at=utc(a.published_at),
        published_local=a.published_local,
        first_seen_at=utc(a.first_seen_at) or a.first_seen_at,
        word_count=a.word_count,
        category=a.category,
        category_is_claim=a.category_is_claim,
        claimed_category=a.claimed_category,
        category_confidence=a.category_confidence,
        date_status=a.date_status,
        date_reason=date_line(a).reason,
        story_id=a.story_id,
        story_label=a.story_label,
        entities=[EntityOut(id=e.id, name=e.name, kind=e.kind) for e in a.entities],
        source=SourceRef(id=a.source_id, name=a.source_name, url=a.source_url),
        carriers=[carrier_out(c) for c in a.carriers],
        date_claims=[
            DateClaimOut(source_name=d.source_name, claimed=d.claimed) for d in date_claims(a)
        ],
        views=a.views,
        reactions=a.reactions,
        reacted=reacted,
        lookalike=lookalikes(f"{a.title}\n{a.byline or ''}\n{a.source_name}"),
    )


def list_out(lst: ArticleList) -> ListOut:
    return ListOut(
        name=lst.name,
        title=lst.title,
        items=[
            EntryOut(position=e.position, reason=e.reason, article=summary_out(e.article))
            for e in lst.entries
        ],
    )


_MARKS = re.compile(f"([{MARK_START}{MARK_END}])")


def text_parts(marked: str) -> list[TextPart]:
    """Split text with the search's private-use match markers into plain parts.

    Unit-free on purpose: offsets would differ between Python (code points) and
    JavaScript (UTF-16 units). Unbalanced or stray markers are tolerated, like the page's.
    """
    parts: list[TextPart] = []
    inside = False
    for piece in _MARKS.split(marked):
        if piece in (MARK_START, MARK_END):
            inside = piece == MARK_START
        elif piece:
            if parts and parts[-1].match == inside:
                parts[-1] = TextPart(text=parts[-1].text + piece, match=inside)
            else:
                parts.append(TextPart(text=piece, match=inside))
    return parts


def hit_out(hit: SearchHit, summary: ArticleSummary) -> SearchHitOut:
    snippet_parts = text_parts(hit.snippet)
    return SearchHitOut(
        article=summary_out(summary),
        title_parts=text_parts(hit.title_marked),
        snippet="".join(p.text for p in snippet_parts),
        snippet_parts=snippet_parts,
        score=hit.score,
    )


def source_out(source: Source) -> SourceOut:
    return SourceOut(
        id=source.id,
        name=source.name,
        lookalike=lookalikes(source.name),
        home_url=source.home_url,
        kind=source.kind,
        score=source.score,
    )


def source_listed(counted: SourceCounts) -> SourceListed:
    return SourceListed(
        **source_out(counted.source).model_dump(),
        pages=counted.pages,
        articles=counted.articles,
    )
