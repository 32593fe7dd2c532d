"""The interface every list ranker implements (``rank.rankers.DatelineRankers`` is ours).

A ranker returns article ids with a short reason ("same category", "most read in the last
3 days", …): the page can say why each item is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from dateline.enrich.related import RELATED_SIZE as RELATED_SIZE  # one size: enrich's lists
from dateline.store.queries import ArticleDetail

RANKING_SIZE = 8
RECOMMENDATION_SIZE = 8


@dataclass(frozen=True)
class Ranked:
    """One list item and why it is there.

    ``filler`` marks an item that only fills the list once its own signal ran out (the
    newest articles when too little was read): a section that promises that signal ("Most
    read") leaves fillers out rather than pass the newest off as read.
    """

    article_id: int
    reason: str
    filler: bool = False


class Rankers(Protocol):
    """What the site asks for; implementations may keep in-memory indexes."""

    name: str

    def related(self, session: Session, article: ArticleDetail, limit: int) -> list[Ranked]: ...

    def ranking(
        self, session: Session, now: datetime, limit: int, category: str | None = None
    ) -> list[Ranked]: ...

    def recommendation(
        self,
        session: Session,
        reader_id: str | None,
        now: datetime,
        limit: int,
        exclude: frozenset[int] = frozenset(),
        current: int | None = None,
    ) -> list[Ranked]:
        """``current``: the article being read now, which counts as read (a reader's
        second page is already personal) and is never recommended."""
        ...
