"""Entities, the read side: what ``/e/{id}`` shows and what a search filter's name means.

The write side (alias merging, linking) is :mod:`dateline.enrich.entities`; an article's
own entity list is :func:`dateline.store.queries.article_entities`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dateline.enrich.entities import canonical_kind_name, entity_key
from dateline.enrich.ner import ORG, PERSON, PLACE
from dateline.store.models import Article, ArticleEntity, Entity, EntityAlias, Story
from dateline.store.queries import EntityRef


@dataclass(frozen=True)
class EntityArticle:
    id: int
    title: str
    published_at: datetime | None
    first_seen_at: datetime
    story_id: int | None
    mentions: int
    in_title: bool


@dataclass(frozen=True)
class EntityStory:
    id: int
    label: str
    size: int
    last_seen_at: datetime | None
    articles: int  # of this story's articles that mention the entity


@dataclass(frozen=True)
class EntityPage:
    entity: EntityRef
    aliases: list[str]
    articles: list[EntityArticle]
    stories: list[EntityStory]
    related: list[EntityRef]  # entities most often named in the same articles


def _ref(row: Any) -> EntityRef:
    return EntityRef(int(row.id), row.name, row.kind, int(row.article_count))


_REF_COLUMNS = (Entity.id, Entity.kind, Entity.name, Entity.article_count)


def entity_page(
    session: Session, entity_id: int, *, limit: int = 50, offset: int = 0
) -> EntityPage | None:
    """What ``/e/{id}`` shows: the entity, its aliases, its articles (newest first), stories."""
    row = session.execute(select(*_REF_COLUMNS).where(Entity.id == entity_id)).one_or_none()
    if row is None:
        return None
    aliases = sorted(
        a
        for a in session.scalars(
            select(EntityAlias.alias).where(EntityAlias.entity_id == entity_id)
        )
        if a != row.name
    )
    newest = func.coalesce(Article.published_at, Article.first_seen_at)
    articles = [
        EntityArticle(
            r.id, r.title, r.published_at, r.first_seen_at, r.story_id, r.mentions, r.in_title
        )
        for r in session.execute(
            select(
                Article.id,
                Article.title,
                Article.published_at,
                Article.first_seen_at,
                Article.story_id,
                ArticleEntity.mentions,
                ArticleEntity.in_title,
            )
            .join(ArticleEntity, ArticleEntity.article_id == Article.id)
            .where(ArticleEntity.entity_id == entity_id)
            .order_by(newest.desc(), Article.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ]
    n = func.count(Article.id).label("n")
    stories = [
        EntityStory(r.id, r.label, r.size, r.last_seen_at, r.n)
        for r in session.execute(
            select(Story.id, Story.label, Story.size, Story.last_seen_at, n)
            .join(Article, Article.story_id == Story.id)
            .join(ArticleEntity, ArticleEntity.article_id == Article.id)
            .where(ArticleEntity.entity_id == entity_id)
            .group_by(Story.id, Story.label, Story.size, Story.last_seen_at)
            .order_by(n.desc(), Story.last_seen_at.desc(), Story.id)
            .limit(limit)
        )
    ]
    return EntityPage(_ref(row), aliases, articles, stories, _related(session, entity_id))


def _related(session: Session, entity_id: int, limit: int = 10) -> list[EntityRef]:
    mine = select(ArticleEntity.article_id).where(ArticleEntity.entity_id == entity_id)
    shared = func.count(ArticleEntity.article_id).label("shared")
    return [
        _ref(r)
        for r in session.execute(
            select(*_REF_COLUMNS, shared)
            .join(ArticleEntity, ArticleEntity.entity_id == Entity.id)
            .where(ArticleEntity.article_id.in_(mine), Entity.id != entity_id)
            .group_by(*_REF_COLUMNS)
            .order_by(shared.desc(), Entity.article_count.desc(), Entity.id)
            .limit(limit)
        )
    ]


def find_entities(
    session: Session, name: str, *, kinds: Iterable[str] = (PERSON, ORG, PLACE), limit: int = 10
) -> list[EntityRef]:
    """Entities a search filter ``name`` means: exact key or alias first, then a bare
    surname's people, then names starting with it; most-linked first within each."""
    found: dict[int, tuple[int, EntityRef]] = {}

    def add(rank: int, rows: Iterable[Any]) -> None:
        for r in rows:
            if r.id not in found or found[r.id][0] > rank:
                found[r.id] = (rank, _ref(r))

    base = select(*_REF_COLUMNS).where(Entity.article_count > 0)
    for kind in kinds:
        key = entity_key(kind, canonical_kind_name(kind, name)[1])
        if not key:
            continue
        add(0, session.execute(base.where(Entity.kind == kind, Entity.key == key)))
        add(
            1,
            session.execute(
                base.join(EntityAlias, EntityAlias.entity_id == Entity.id).where(
                    Entity.kind == kind, EntityAlias.alias == name.strip()
                )
            ),
        )
        if " " not in key:
            add(
                2,
                session.execute(
                    base.where(
                        Entity.kind == kind,
                        or_(Entity.key.like(f"{key} %"), Entity.key.like(f"% {key}")),
                    ).limit(limit)
                ),
            )
        add(
            3,
            session.execute(
                base.where(Entity.kind == kind, Entity.key.like(f"{key}%")).limit(limit)
            ),
        )
    ranked = sorted(found.values(), key=lambda rr: (rr[0], -rr[1].article_count, rr[1].id))
    return [ref for _, ref in ranked[:limit]]
