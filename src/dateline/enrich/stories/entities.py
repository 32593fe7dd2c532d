"""The optional entity signal: where the clusterer gets each article's entity keys.

Store side (it reads ``article_entities``), and pluggable: :data:`EntityProvider` is the
shape any other extractor must take, :func:`no_entities` turns the signal off. Apart from
the clusterer so that callers can pick a provider without the clustering code.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from dateline.store.models import ArticleEntity, Entity

EntityProvider = Callable[[Session, Sequence[int]], Mapping[int, Collection[str]]]


def no_entities(session: Session, article_ids: Sequence[int]) -> Mapping[int, Collection[str]]:
    return {}


def store_entities(session: Session, article_ids: Sequence[int]) -> Mapping[int, Collection[str]]:
    """Entity keys (``"KIND:key"``) per article from ``article_entities``; empty if unfilled."""
    out: dict[int, set[str]] = {}
    ids = list(article_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(ArticleEntity.article_id, Entity.kind, Entity.key)
            .join(Entity, Entity.id == ArticleEntity.entity_id)
            .where(ArticleEntity.article_id.in_(ids[start : start + 500]))
        )
        for article_id, kind, key in rows:
            out.setdefault(int(article_id), set()).add(f"{kind}:{key}")
    return out
