"""Typed page contexts: each HTML page renders one, and its JSON twin returns the same one.

Building a context is the only place a page touches the store and the rankers, so the HTML
and the JSON can never disagree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from dateline.rank.base import RANKING_SIZE, RECOMMENDATION_SIZE, RELATED_SIZE, Ranked, Rankers
from dateline.store.queries import ArticleDetail, ArticleSummary, Carrier, summaries_by_id


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


@dataclass
class ArticlePage:
    article: ArticleDetail
    related: ArticleList
    ranking: ArticleList
    recommendation: ArticleList
    other_carriers: list[Carrier]
    date_claims: list[DateClaim]
    reacted: bool = False
    kind: str = "article"


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
    ranked = rankers.recommendation(session, reader_id, now, size, exclude=frozenset({exclude}))
    return ArticleList("recommendation", "Recommendation", entries(session, ranked))


def date_claims(article: ArticleDetail) -> list[DateClaim]:
    """Claims of carrying pages whose day differs from the date we show."""
    ours = article.published_at.date().isoformat() if article.published_at else None
    return [
        DateClaim(c.source_name, c.claimed_date)
        for c in article.carriers
        if c.claimed_date and c.claimed_date[:10] != ours
    ]


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
