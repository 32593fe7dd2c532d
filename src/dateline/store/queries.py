"""Read-side queries the site and the API share: article detail, keyset-paginated lists.

Every list that can grow pages by a keyset ``(undated, sort date, id)`` rather than an
offset, so page 500 costs what page 1 costs and a new article never shifts a reader's next
page. The sort date is the best-evidence publication date (never later than first seen);
articles without one come after all dated ones, by when we first saw them (``sort_date``).
"""

from __future__ import annotations

import base64
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, String, and_, case, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from dateline.store.models import (
    NEAR_COPY_KEY,
    Article,
    ArticleEntity,
    ArticleStats,
    Entity,
    Page,
    Source,
    Story,
)
from dateline.taxonomy import TAXONOMY

UNCATEGORISED = "Uncategorised"
# Entities listed on an article page.
MAX_ENTITIES_SHOWN = 12
# Longest slug in article URLs; the id is what resolves, the slug is for people.
MAX_SLUG_CHARS = 80
_SLUG_DROP = re.compile(r"[^\w\s-]")
_SLUG_GAPS = re.compile(r"[\s_-]+")

# Lists sort by the best-evidence date, but never by one later than when we first saw the
# article (a raw claim not yet assessed, or a naive local time read as UTC): then by first
# seen. An article with no credible date at all is *undated*: it sorts after every dated
# article, by first seen among the undated. First seen is when *we* saw it, not when it
# was published: a newsroom's archive, or its own pages ingested today, or a content
# farm's copy whose date we rejected, would otherwise sit above all the dated news.
# Lists order by (sort_undated, sort_date desc, id desc); a Cursor carries all three.
has_date = Article.published_at.is_not(None)
sort_date = case(
    (Article.published_at <= Article.first_seen_at, Article.published_at),
    else_=Article.first_seen_at,
)
sort_undated = case((has_date, 0), else_=1)


def slugify(text: str) -> str:
    """ASCII-ish URL slug; non-Latin titles keep their letters (URLs are UTF-8 anyway)."""
    normal = unicodedata.normalize("NFKD", text)
    ascii_first = "".join(ch for ch in normal if not unicodedata.combining(ch))
    slug = _SLUG_GAPS.sub("-", _SLUG_DROP.sub("", ascii_first.casefold())).strip("-")
    return slug[:MAX_SLUG_CHARS].rstrip("-") or "article"


@dataclass(frozen=True)
class Carrier:
    """One page carrying the article: provenance for "also carried by"."""

    page_id: int
    source_id: int
    source_name: str
    url: str | None
    claimed_date: str | None
    claimed_category: str | None
    claimed_reactions: int | None
    claimed_reaction_label: str | None
    claimed_views: int | None
    first_seen_at: datetime
    date_flag: str | None = None
    # True when the page's text is a near-copy rather than the same text as the article;
    # ``containment`` then says how much of it matched (see dedup.CONTAINMENT_MIN).
    near_copy: bool = False
    containment: float | None = None


@dataclass(frozen=True)
class EntityRef:
    id: int
    name: str
    kind: str
    article_count: int = 0  # articles linked to it, across the corpus


@dataclass(frozen=True)
class ArticleSummary:
    id: int
    title: str
    slug: str
    published_at: datetime | None
    source_id: int
    source_name: str
    category: str
    category_is_claim: bool
    # ``published_at`` in the lead page's own offset, when its claim gave one (see
    # :func:`in_claimed_zone`); and when we first saw the article, said of undated ones.
    published_local: datetime | None = None
    first_seen_at: datetime | None = None


@dataclass(frozen=True)
class ArticleDetail:
    id: int
    title: str
    slug: str
    body: str
    language: str | None
    dateline: str | None
    agency: str | None
    byline: str | None
    published_at: datetime | None
    first_seen_at: datetime
    word_count: int
    category: str
    category_is_claim: bool
    claimed_category: str | None
    source_id: int
    source_name: str
    source_url: str | None
    carriers: list[Carrier] = field(default_factory=list)
    views: int = 0
    reactions: int = 0
    category_confidence: float | None = None
    date_status: str | None = None
    date_reason: str | None = None
    story_id: int | None = None
    story_label: str | None = None
    entities: list[EntityRef] = field(default_factory=list)
    published_local: datetime | None = None  # see ArticleSummary

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]


# Categories are case-insensitive: "Business", "business" and " BUSINESS" from three
# sources are one category. Only ASCII letters are folded, because that is all SQLite's
# lower() folds (and PostgreSQL's under the "C" collation): the database's filter
# (category_condition) and Python's labels (category_label) must draw the same lines.
_CLAIM_SPACE = " \t\n\r"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def category_key(label: str) -> str:
    """What makes two category names the same: trimmed, ASCII letters lower-cased."""
    return label.strip(_CLAIM_SPACE).translate(_ASCII_LOWER)


def _display(key: str) -> str:
    """One spelling per key: its first letter upper-cased (``Business``, ``Markets``)."""
    first = key[:1]
    return (first.upper() if first.isascii() else first) + key[1:]


def category_label(classified: str | None, claimed: str | None = None) -> tuple[str, bool]:
    """(label, is_claim): the classifier's category; else the source's own, marked as a claim.

    A claim's label is the same for every spelling that differs only in case (and in
    surrounding spaces), so the lists, sections and counts treat them as one category.
    """
    if classified:
        return _display(category_key(classified)), False
    key = category_key(claimed or "")
    if key:
        return _display(key), True
    return UNCATEGORISED, False


class _ClaimKey(FunctionElement[str]):
    """SQL for :func:`category_key` of a column (see the dialect compilers below)."""

    type = String()
    name = "claim_key"
    inherit_cache = True


@compiles(_ClaimKey)
def _claim_key_sqlite(element: _ClaimKey, compiler: Any, **kw: Any) -> str:
    # SQLite's lower() folds ASCII only; char(32, 9, 10, 13) is _CLAIM_SPACE.
    return f"lower(trim({compiler.process(element.clauses, **kw)}, char(32, 9, 10, 13)))"


@compiles(_ClaimKey, "postgresql")
def _claim_key_postgresql(element: _ClaimKey, compiler: Any, **kw: Any) -> str:
    # Under the "C" collation PostgreSQL's lower() folds ASCII only, as SQLite's does.
    arg = compiler.process(element.clauses, **kw)
    return f"lower(btrim({arg}, ' ' || chr(9) || chr(10) || chr(13)) COLLATE \"C\")"


def in_claimed_zone(claimed: str | None, at: datetime | None) -> datetime | None:
    """``at`` (naive UTC) in the offset of the ``claimed`` date, when the claim gave one.

    A page dated "Thu, 26 Nov 2026 22:05 -0500" claims "2026-11-26T22:05:00-05:00", which
    is 27 November 03:05 UTC: shown in the publisher's zone, it is 26 November, 22:05
    -05:00. None when there is no date or the claim gave no zone (a naive claim's wall
    time is stored as it was stated, and a day stays a day).
    """
    if at is None or not claimed:
        return None
    try:
        stated = datetime.fromisoformat(claimed)
    except ValueError:
        return None
    if stated.tzinfo is None:
        return None
    return at.replace(tzinfo=UTC).astimezone(stated.tzinfo)


def carriers(session: Session, article_id: int) -> list[Carrier]:
    """Every page version carrying ``article_id``, in the order we first saw them: its
    provenance (a near-copy attaches to the article it copies, keeping its own claims)."""
    return [_carrier(p, s) for p, s in _carrier_rows(session, article_id)]


def _carrier_rows(session: Session, article_id: int) -> list[tuple[Page, Source]]:
    rows = session.execute(
        select(Page, Source)
        .join(Source, Source.id == Page.source_id)
        .where(Page.article_id == article_id)
        .order_by(Page.first_seen_at, Page.id)
    ).all()
    return [(p, s) for p, s in rows]


def _carrier(p: Page, s: Source) -> Carrier:
    near = (p.extra or {}).get(NEAR_COPY_KEY)
    return Carrier(
        page_id=p.id,
        source_id=s.id,
        source_name=s.name,
        url=p.canonical_url or p.url,
        claimed_date=p.claimed_date,
        claimed_category=p.claimed_category,
        claimed_reactions=p.claimed_reactions,
        claimed_reaction_label=p.claimed_reaction_label,
        claimed_views=p.claimed_views,
        first_seen_at=p.first_seen_at,
        date_flag=p.date_flag,
        near_copy=near is not None,
        containment=near.get("containment") if isinstance(near, dict) else None,
    )


def get_article(session: Session, article_id: int) -> ArticleDetail | None:
    """The article with its carriers; None when there is none, or the operator hid it."""
    article = session.get(Article, article_id)
    if article is None or article.hidden_at is not None:
        return None
    pages = _carrier_rows(session, article_id)
    if not pages:
        return None
    carriers = [_carrier(p, s) for p, s in pages]
    # the best carrier (store.lead) speaks for the article: its source, its claims
    lead_page, lead_source = next(
        ((p, s) for p, s in pages if p.id == article.lead_page_id), pages[0]
    )
    category, is_claim = category_label(article.category, lead_page.claimed_category)
    stats = session.get(ArticleStats, article_id)
    return ArticleDetail(
        id=article.id,
        title=article.title,
        slug=slugify(article.title),
        body=article.body,
        language=article.language,
        dateline=article.dateline,
        agency=article.agency,
        byline=article.byline,
        published_at=article.published_at,
        first_seen_at=article.first_seen_at,
        word_count=article.word_count,
        category=category,
        category_is_claim=is_claim,
        claimed_category=lead_page.claimed_category,
        source_id=lead_source.id,
        source_name=lead_source.name,
        source_url=lead_page.canonical_url or lead_page.url or lead_source.home_url,
        carriers=carriers,
        views=stats.views if stats else 0,
        reactions=stats.reactions if stats else 0,
        category_confidence=article.category_confidence,
        date_status=article.date_status,
        date_reason=article.date_reason,
        story_id=article.story_id,
        story_label=_story_label(session, article.story_id),
        entities=article_entities(session, article_id, limit=MAX_ENTITIES_SHOWN),
        published_local=in_claimed_zone(lead_page.claimed_date, article.published_at),
    )


def _story_label(session: Session, story_id: int | None) -> str | None:
    if story_id is None:
        return None
    story = session.get(Story, story_id)
    return story.label if story is not None else None


def article_entities(
    session: Session, article_id: int, *, limit: int | None = None
) -> list[EntityRef]:
    """The article's entities, title mentions and most mentioned first."""
    rows = session.execute(
        select(Entity.id, Entity.name, Entity.kind, Entity.article_count)
        .join(ArticleEntity, ArticleEntity.entity_id == Entity.id)
        .where(ArticleEntity.article_id == article_id)
        .order_by(ArticleEntity.in_title.desc(), ArticleEntity.mentions.desc(), Entity.name)
        .limit(limit)
    ).all()
    return [EntityRef(int(r.id), r.name, r.kind, int(r.article_count)) for r in rows]


@dataclass(frozen=True)
class Cursor:
    """Keyset position of the last item shown: its sort date, whether it is undated (see
    ``sort_undated``) and its id."""

    at: datetime
    id: int
    undated: bool = False

    def encode(self) -> str:
        raw = f"{self.at.isoformat()}|{self.id}" + ("|u" if self.undated else "")
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str | None) -> Cursor | None:
        """None for a missing or tampered token (a bad cursor shows the first page)."""
        if not token or len(token) > 100:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            at, ident, *flag = raw.split("|")
            if flag not in ([], ["u"]):
                return None
            return cls(datetime.fromisoformat(at), int(ident), undated=bool(flag))
        except (ValueError, UnicodeDecodeError):
            return None

    @classmethod
    def of(cls, row: Any) -> Cursor:
        """The position of a ``summaries_query`` row."""
        return cls(row.sort_at, row.id, undated=bool(row.sort_undated))

    def rows_after(self) -> ColumnElement[bool]:
        """Rows after this position in the lists' order (dated first, newest, id)."""
        later = or_(sort_date < self.at, and_(sort_date == self.at, Article.id < self.id))
        return or_(sort_undated > int(self.undated), and_(sort_undated == int(self.undated), later))


# Every list's order; Cursor.rows_after pages through it.
LIST_ORDER = (sort_undated.asc(), sort_date.desc(), Article.id.desc())


@dataclass(frozen=True)
class ListFilter:
    category: str | None = None
    source_id: int | None = None
    story_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    exclude_ids: frozenset[int] = frozenset()


def shown() -> ColumnElement[bool]:
    """Articles readers may see: the canonical ones the operator has not hidden.

    Every list, search, feed, sitemap and the rank stage's corpus use it; the pipeline
    does not (a hidden article still takes its copies, so they stay hidden with it).
    """
    return and_(Article.superseded_by_id.is_(None), Article.hidden_at.is_(None))


def summaries_query(filters: ListFilter | None = None) -> Select[*tuple[Any, ...]]:
    """Articles with their lead page's source and claimed category, newest first."""
    filters = filters or ListFilter()
    query = (
        select(
            Article.id,
            Article.title,
            Article.published_at,
            sort_date.label("sort_at"),
            Source.id.label("source_id"),
            Source.name.label("source_name"),
            Page.claimed_category,
            Article.category.label("classified_category"),
            sort_undated.label("sort_undated"),
            Article.first_seen_at,
            Page.claimed_date.label("lead_claimed_date"),
        )
        .join(Page, Page.id == Article.lead_page_id)
        .join(Source, Source.id == Page.source_id)
        .where(shown())
    )
    if filters.category is not None:
        query = query.where(category_condition(filters.category))
    if filters.source_id is not None:
        query = query.where(
            Article.id.in_(select(Page.article_id).where(Page.source_id == filters.source_id))
        )
    if filters.story_id is not None:
        query = query.where(Article.story_id == filters.story_id)
    if filters.since is not None:
        query = query.where(sort_date >= filters.since)
    if filters.until is not None:
        query = query.where(sort_date < filters.until)
    if filters.exclude_ids:
        query = query.where(Article.id.not_in(filters.exclude_ids))
    return query


def to_summary(row: Any) -> ArticleSummary:
    category, is_claim = category_label(row.classified_category, row.claimed_category)
    return ArticleSummary(
        id=row.id,
        title=row.title,
        slug=slugify(row.title),
        published_at=row.published_at,
        source_id=row.source_id,
        source_name=row.source_name,
        category=category,
        category_is_claim=is_claim,
        published_local=in_claimed_zone(row.lead_claimed_date, row.published_at),
        first_seen_at=row.first_seen_at,
    )


def latest(
    session: Session, *, limit: int, filters: ListFilter | None = None, after: Cursor | None = None
) -> tuple[list[ArticleSummary], Cursor | None]:
    """One page of the newest articles and the cursor of the next page (None at the end)."""
    query = summaries_query(filters)
    if after is not None:
        query = query.where(after.rows_after())
    rows = session.execute(query.order_by(*LIST_ORDER).limit(limit + 1)).all()
    items = [to_summary(r) for r in rows[:limit]]
    cursor = Cursor.of(rows[limit - 1]) if len(rows) > limit else None
    return items, cursor


def summaries_by_id(session: Session, ids: list[int]) -> list[ArticleSummary]:
    """Summaries for ``ids`` in the given order (missing or superseded ids are dropped)."""
    if not ids:
        return []
    rows = session.execute(summaries_query().where(Article.id.in_(ids))).all()
    by_id = {r.id: to_summary(r) for r in rows}
    return [by_id[i] for i in ids if i in by_id]


def category_condition(label: str) -> ColumnElement[bool]:
    """Rows shown under ``label``: a classifier category, a source's claim, or neither.

    Exactly the rows whose :func:`category_label` has ``label``'s key, whatever its case.
    """
    claim_key = _ClaimKey(Page.claimed_category)
    if label == UNCATEGORISED:
        return and_(
            Article.category.is_(None), or_(Page.claimed_category.is_(None), claim_key == "")
        )
    key = category_key(label)
    return or_(
        Article.category == key,
        and_(Article.category.is_(None), claim_key == key),
    )


def categories(session: Session) -> list[tuple[str, int]]:
    """Category labels with article counts, largest first (claims where not classified)."""
    rows = session.execute(
        select(Article.category, Page.claimed_category, func.count())
        .select_from(Article)
        .join(Page, Page.id == Article.lead_page_id)
        .where(shown())
        .group_by(Article.category, Page.claimed_category)
    ).all()
    totals: dict[str, int] = {}
    for classified, claimed, count in rows:
        label, _ = category_label(classified, claimed)
        totals[label] = totals.get(label, 0) + count
    return ordered_categories(totals)


def is_claim_label(name: str) -> bool:
    """A category label is a source's claim unless it is one of the classifier's own."""
    return name != UNCATEGORISED and category_key(name) not in TAXONOMY


def ordered_categories(totals: dict[str, int]) -> list[tuple[str, int]]:
    """Labels with their counts: the classifier's categories, largest first, then
    "Uncategorised", then sources' claims (where the classifier was unsure).

    Sections and the home page take the first few: they are Dateline's taxonomy, and a
    source's own label (a content farm's "Markets") never displaces one of them.
    """

    def rank(item: tuple[str, int]) -> tuple[int, int, str]:
        label, count = item
        group = 2 if is_claim_label(label) else 1 if label == UNCATEGORISED else 0
        return group, -count, label

    return sorted(totals.items(), key=rank)


def get_source(session: Session, source_id: int) -> Source | None:
    return session.get(Source, source_id)
