"""Typed page contexts: each HTML page renders one, and its JSON twin returns the same one.

Building a context is the only place a page touches the store and the rankers, so the HTML
and the JSON can never disagree.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dateline.crawl.status import PollingState
from dateline.rank.base import RANKING_SIZE, RECOMMENDATION_SIZE, RELATED_SIZE, Ranked, Rankers
from dateline.store.models import Article
from dateline.store.queries import (
    ArticleDetail,
    ArticleSummary,
    Carrier,
    in_claimed_zone,
    summaries_by_id,
)

# How :mod:`dateline.enrich.dates` writes its prose: an article's date reason joins its
# reasons with "; ", a page's date flag joins "claimed DATE" and its problems with " · ".
REASON_SEPARATOR = "; "
FLAG_SEPARATOR = " · "
# A flagged verdict's summary of the flagged pages ("1 page claims 2025-04-26").
_FLAGGED_PAGES = re.compile(r"^\d+ pages? claims? ")
# The evidence a flagged verdict starts with ("earliest evidence 2024-01-16 — ...").
_EVIDENCE = re.compile(r"^earliest evidence \S+")


@dataclass(frozen=True)
class ListEntry:
    """One item of a Related/Ranking/Recommendation list, with why it is shown."""

    article: ArticleSummary
    reason: str
    position: int


@dataclass(frozen=True)
class ArticleList:
    name: str  # related | ranking | recommendation
    title: str
    entries: list[ListEntry]


@dataclass(frozen=True)
class DateClaim:
    """A date a carrying page claimed, shown as a claim when it differs from ours."""

    source_name: str
    claimed: str


@dataclass(frozen=True)
class DateNote:
    """One thing an article's date line says after the date.

    ``kind``: ``unverified`` or ``flagged`` (our verdict on the date), ``flag`` (a carrying
    page's claim we flagged, ``source_name`` says whose) or ``claim`` (a carrying page's
    differing claim, shown while the date is not assessed).
    """

    kind: str
    text: str
    source_name: str | None = None


@dataclass(frozen=True)
class DateLine:
    """What the article page says about its date after "Published …", each thing once.

    ``reason`` is the verdict's general reason: a problem of one page's claim is said with
    that page's flag, never in the verdict as well; ``notes`` are shown " · "-separated.
    """

    status: str | None
    reason: str | None
    notes: list[DateNote]


@dataclass(frozen=True)
class StoryLink:
    """The story an article is part of, shown only when the story has other articles.

    ``named_after_this`` is true when the story's label is this article's own headline
    (its most central article): the page then says "one of N articles" instead of
    announcing the headline the reader has just read.
    """

    id: int
    label: str
    size: int
    named_after_this: bool


@dataclass
class ArticlePage:
    article: ArticleDetail
    related: ArticleList
    ranking: ArticleList
    recommendation: ArticleList
    other_carriers: list[Carrier]
    date_claims: list[DateClaim]
    date_line: DateLine
    story: StoryLink | None = None
    reacted: bool = False
    kind: str = "article"


@dataclass(frozen=True)
class StoryNote:
    """What the home's "Top stories" says of an item: its story and independent sources."""

    story_id: int | None
    sources: int
    reason: str


@dataclass
class ListPage:
    """Home, category, source and search pages: a titled list with a next-page cursor."""

    title: str
    items: list[ArticleSummary]
    next_cursor: str | None = None
    kind: str = "list"
    description: str | None = None
    sections: dict[str, list[ArticleSummary]] = field(default_factory=dict)
    query: str | None = None
    score: float | None = None
    notes: list[str] = field(default_factory=list)
    story_notes: dict[int, StoryNote] = field(default_factory=dict)
    # a source page: the subscriptions that bring its articles, with their polling state
    polling: list[tuple[str, PollingState]] = field(default_factory=list)


def entries(session: Session, ranked: list[Ranked]) -> list[ListEntry]:
    summaries = summaries_by_id(session, [r.article_id for r in ranked])
    reasons = {r.article_id: r.reason for r in ranked}
    return [
        ListEntry(article=s, reason=reasons[s.id], position=i)
        for i, s in enumerate(summaries, start=1)
    ]


def shared_lists(
    session: Session, rankers: Rankers, article: ArticleDetail, now: datetime
) -> tuple[ArticleList, ArticleList]:
    """The lists that are the same for every reader (cached with the page)."""
    related = ArticleList(
        "related", "Related", entries(session, rankers.related(session, article, RELATED_SIZE))
    )
    ranked = [
        r for r in rankers.ranking(session, now, RANKING_SIZE + 1) if r.article_id != article.id
    ]
    ranking = ArticleList("ranking", "Ranking", entries(session, ranked[:RANKING_SIZE]))
    return related, ranking


def recommendation_list(
    session: Session,
    rankers: Rankers,
    reader_id: str | None,
    now: datetime,
    exclude: int,
    size: int = RECOMMENDATION_SIZE,
) -> ArticleList:
    """The reader's list on the page of article ``exclude`` (-1: none), which counts as
    being read now (``Rankers.recommendation``'s ``current``)."""
    current = exclude if exclude > 0 else None
    ranked = rankers.recommendation(
        session, reader_id, now, size, exclude=frozenset({exclude}), current=current
    )
    return ArticleList("recommendation", "Recommendation", entries(session, ranked))


def date_claims(article: ArticleDetail) -> list[DateClaim]:
    """Claims of carrying pages whose day differs from the date we show, each day read in
    the claim's own zone ("2026-11-26T22:05:00-05:00" is our 27 November 03:05 UTC)."""

    def ours(claimed: str) -> str | None:
        at = article.published_at
        if at is None:
            return None
        return (in_claimed_zone(claimed, at) or at).date().isoformat()

    return [
        DateClaim(c.source_name, c.claimed_date)
        for c in article.carriers
        if c.claimed_date and c.claimed_date[:10] != ours(c.claimed_date)
    ]


def date_line(article: ArticleDetail) -> DateLine:
    """The article's date line: our verdict once, then each flagged page's claim once.

    :mod:`dateline.enrich.dates` writes a page's problem ("says 'on Tuesday' but claims a
    Saturday") into that page's flag and, when nothing is credible, into the article's
    reason too, and a flagged verdict repeats the flagged pages' claims ("1 page claims
    …") and the evidence that each flag also names. Here each goes to one place: a
    page's problem and claim stay with that page's flag; the evidence stays with the
    verdict, which is about the whole article.
    """
    flags = [
        (c.source_name, c.date_flag.split(FLAG_SEPARATOR)) for c in article.carriers if c.date_flag
    ]
    page_problems = {part for _, parts in flags for part in parts[1:]}
    general = [
        part
        for part in (article.date_reason or "").split(REASON_SEPARATOR)
        if part and part not in page_problems and not (flags and _FLAGGED_PAGES.match(part))
    ]
    evidence = {m.group(0) for part in general if (m := _EVIDENCE.match(part))}
    reason = REASON_SEPARATOR.join(general) or None
    notes: list[DateNote] = []
    status = article.date_status
    if status == "unverified":
        notes.append(DateNote(status, f"unverified: {reason}" if reason else "unverified"))
    elif status == "flagged" and reason:
        notes.append(DateNote(status, reason))
    for source_name, parts in flags:
        said = [parts[0], *(p for p in parts[1:] if p not in evidence)]
        text = f"{source_name}: {REASON_SEPARATOR.join(said)}"
        notes.append(DateNote("flag", text, source_name))
    if not status:
        notes.extend(
            DateNote("claim", f"{c.source_name} claims {c.claimed}", c.source_name)
            for c in date_claims(article)
        )
    return DateLine(status=status, reason=reason, notes=notes)


def story_link(session: Session, article: ArticleDetail) -> StoryLink | None:
    """The article's story, or None when it has none or is the story's only article (a
    story of one is not worth announcing; its page /s/{id} still exists)."""
    if article.story_id is None:
        return None
    size = session.scalar(
        select(func.count()).select_from(Article).where(Article.story_id == article.story_id)
    )
    if not size or size < 2:
        return None
    label = article.story_label or ""
    return StoryLink(article.story_id, label, size, label.strip() == article.title.strip())


def carrier_flag(carrier: Carrier) -> str | None:
    """A carrier's date flag without the claim the carriers list already shows beside it.

    The flag starts with "claimed DATE" (:mod:`dateline.enrich.dates`); the list reads
    "claims 2025-03-08T09:15:21 (earliest evidence 2020-01-15)", each thing once.
    """
    if not carrier.date_flag:
        return None
    parts = carrier.date_flag.split(FLAG_SEPARATOR)
    if carrier.claimed_date and parts[0].startswith("claimed "):
        parts = parts[1:]
    return FLAG_SEPARATOR.join(parts) or None


def to_jsonable(value: Any) -> Any:
    """Dataclass contexts → JSON-ready data (dates as ISO 8601)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, ArticleDetail):
            data["paragraphs"] = value.paragraphs
        return data
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value
