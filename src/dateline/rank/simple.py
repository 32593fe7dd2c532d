"""Simple, honest rankers over real data, until the intelligence and recommender issues land.

* Related: articles sharing significant title words (more shared words first), then the
  same claimed category, newest first — never random, never hard-coded.
* Ranking: most engagement (views + reactions weighted) in the last days before the site
  clock, newest first on ties; newest articles when nobody has read anything yet.
* Recommendation: the newest articles this reader has not seen.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dateline.rank.base import Ranked
from dateline.store.models import ArticleDaily, Event
from dateline.store.queries import (
    UNCATEGORISED,
    ArticleDetail,
    ListFilter,
    latest,
)

# "Most read" looks this far back from the site clock.
RANKING_WINDOW_DAYS = 3
# A reaction is a stronger signal than a view.
REACTION_WEIGHT = 5
# Title words shorter than this, or in STOPWORDS, do not make two articles related.
MIN_WORD_CHARS = 4
# Related needs two shared title words, or one so rare it is in at most two other titles
# (a name, usually); one everyday word ("talks") is not enough. Ranked by summed IDF.
MIN_SHARED_WORDS = 2
RARE_WORD_DF = 2
# How many candidates the title-word search considers before ranking them.
TITLE_CANDIDATES = 400
STOPWORDS = frozenset(
    [
        "about",
        "after",
        "again",
        "against",
        "amid",
        "among",
        "says",
        "said",
        "will",
        "would",
        "could",
        "should",
        "their",
        "there",
        "these",
        "those",
        "this",
        "that",
        "with",
        "from",
        "into",
        "over",
        "under",
        "than",
        "then",
        "they",
        "them",
        "what",
        "when",
        "where",
        "which",
        "while",
        "year",
        "years",
        "week",
        "new",
        "news",
        "more",
        "most",
        "some",
        "such",
        "only",
        "other",
        "also",
        "been",
        "being",
        "have",
        "has",
        "had",
        "were",
        "was",
        "are",
        "for",
        "and",
        "the",
        "not",
        "but",
        "you",
        "your",
        "our",
        "out",
        "off",
        "its",
        "it's",
    ]
)
_POSSESSIVE = re.compile(r"['’]s$")
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)


def title_words(title: str) -> set[str]:
    words = {_POSSESSIVE.sub("", w.casefold()).strip("'’-") for w in _WORD.findall(title)}
    return {w for w in words if len(w) >= MIN_WORD_CHARS and w not in STOPWORDS}


def shared_title_words(
    words: set[str], candidates: list[tuple[int, set[str]]], limit: int
) -> list[Ranked]:
    """Candidates (newest first) sharing title words with ``words``, best first.

    Rare shared words ("korea") say more than common ones ("talks"): the score is the
    summed IDF over the candidates; ties keep the newest first.
    """
    df: dict[str, int] = {}
    for _, ws in candidates:
        for w in ws & words:
            df[w] = df.get(w, 0) + 1
    n = len(candidates) + 1
    scored = []
    for article_id, ws in candidates:
        shared = words & ws
        if len(shared) >= MIN_SHARED_WORDS or any(df[w] <= RARE_WORD_DF for w in shared):
            score = sum(math.log(n / df[w]) for w in shared)
            label = ", ".join(sorted(shared, key=lambda w: df[w])[:3])
            scored.append((score, Ranked(article_id, f"shares title words: {label}")))
    scored.sort(key=lambda pair: -pair[0])
    return [ranked for _, ranked in scored[:limit]]


def most_read(
    session: Session, now: datetime, limit: int, allowed: list[int] | None = None
) -> list[Ranked]:
    """Most engagement in the window before ``now`` (views + weighted reactions)."""
    since = (now - timedelta(days=RANKING_WINDOW_DAYS)).date()
    score = func.sum(ArticleDaily.views + REACTION_WEIGHT * ArticleDaily.reactions)
    query = (
        select(ArticleDaily.article_id, score.label("score"))
        .where(ArticleDaily.day >= since, ArticleDaily.day <= now.date())
        .group_by(ArticleDaily.article_id)
        .having(score > 0)
        .order_by(score.desc(), ArticleDaily.article_id.desc())
    )
    if allowed is not None:
        query = query.where(ArticleDaily.article_id.in_(allowed))
    rows = session.execute(query.limit(limit)).all()
    return [Ranked(r.article_id, f"most read in the last {RANKING_WINDOW_DAYS} days") for r in rows]


def seen_by(session: Session, reader_id: str | None) -> set[int]:
    """Articles this reader has viewed (recommendations leave them out)."""
    if not reader_id:
        return set()
    return set(
        session.scalars(
            select(Event.article_id)
            .where(Event.reader_id == reader_id, Event.kind == "view")
            .distinct()
        )
    )


class NewestRules:
    """The simple rules, over any source of "newest articles matching a filter".

    Subclasses say where the newest articles come from (:meth:`newest`, and the title
    words of candidates in :meth:`with_words`); the three lists are built here once, so
    the database-backed and the in-memory rankers give the same lists by construction.
    """

    name = "simple"

    def newest(
        self,
        session: Session,
        limit: int,
        *,
        exclude: frozenset[int] = frozenset(),
        category: str | None = None,
        until: datetime | None = None,
    ) -> list[int]:
        """Ids of the newest ``limit`` articles that match, newest first."""
        raise NotImplementedError

    def with_words(
        self, session: Session, limit: int, exclude: frozenset[int]
    ) -> list[tuple[int, set[str]]]:
        """The newest ``limit`` articles (not in ``exclude``) with their title words."""
        raise NotImplementedError

    def related(self, session: Session, article: ArticleDetail, limit: int) -> list[Ranked]:
        words = title_words(article.title)
        result: list[Ranked] = []
        if words:
            candidates = self.with_words(session, TITLE_CANDIDATES, frozenset({article.id}))
            result = shared_title_words(words, candidates, limit)
        if len(result) < limit and article.category != UNCATEGORISED:
            seen = frozenset({r.article_id for r in result} | {article.id})
            same = self.newest(session, limit, exclude=seen, category=article.category)
            result += [Ranked(i, f"same category: {article.category}") for i in same]
        return result[:limit]

    def ranking(
        self, session: Session, now: datetime, limit: int, category: str | None = None
    ) -> list[Ranked]:
        allowed = None
        if category is not None:
            allowed = self.newest(session, 5000, category=category)
        result = most_read(session, now, limit, allowed)
        if len(result) < limit:
            seen = frozenset(r.article_id for r in result)
            newest = self.newest(
                session,
                limit - len(result),
                exclude=seen,
                category=category,
                until=now + timedelta(seconds=1),
            )
            result += [Ranked(i, "newest", filler=True) for i in newest]
        return result

    def recommendation(
        self,
        session: Session,
        reader_id: str | None,
        now: datetime,
        limit: int,
        exclude: frozenset[int] = frozenset(),
    ) -> list[Ranked]:
        seen = frozenset(seen_by(session, reader_id) | exclude)
        newest = self.newest(session, limit, exclude=seen, until=now + timedelta(seconds=1))
        reason = "newest you have not read" if reader_id else "newest"
        return [Ranked(i, reason) for i in newest]


class SimpleRankers(NewestRules):
    """The rules over the database (``latest()``): no memory, any corpus size."""

    def newest(
        self,
        session: Session,
        limit: int,
        *,
        exclude: frozenset[int] = frozenset(),
        category: str | None = None,
        until: datetime | None = None,
    ) -> list[int]:
        filters = ListFilter(category=category, exclude_ids=exclude, until=until)
        found, _ = latest(session, limit=limit, filters=filters)
        return [a.id for a in found]

    def with_words(
        self, session: Session, limit: int, exclude: frozenset[int]
    ) -> list[tuple[int, set[str]]]:
        found, _ = latest(session, limit=limit, filters=ListFilter(exclude_ids=exclude))
        return [(a.id, title_words(a.title)) for a in found]
