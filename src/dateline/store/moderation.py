"""What the site's operator decides: hide an article, say what a source is.

The same functions serve ``dateline admin`` and the admin API (``/api/v1/admin``, behind
``DATELINE_ADMIN_TOKEN``); story merges and splits are in
:mod:`dateline.enrich.stories.manual`, subscriptions in :mod:`.subscriptions`. Each change
bumps the corpus revision, so every web worker drops what it cached of the article or the
source within its next check.

A hidden article leaves every list, search, feed and sitemap, and its page and API answer
404; its pages stay stored and new copies keep attaching to it, so they stay hidden with
it. A source marked a farm scores 0 (its articles are demoted in every list), one marked a
wire scores 1 and is the original of its copies; either holds until the operator clears
it, whatever later pages measure.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dateline.errors import NotFound
from dateline.safetext import clean_label
from dateline.store.models import Article, Source
from dateline.store.revision import bump_corpus_revision

SOURCE_KINDS = ("wire", "farm")
REASON_MAX = 255


def hide_article(session: Session, article_id: int, reason: str, now: datetime) -> Article:
    """Hide it from readers (idempotent: hiding again updates the reason)."""
    article = _article(session, article_id)
    article.hidden_at = article.hidden_at or now
    article.hidden_reason = (clean_label(reason) or "")[:REASON_MAX] or None
    bump_corpus_revision(session)
    return article


def unhide_article(session: Session, article_id: int) -> Article:
    article = _article(session, article_id)
    article.hidden_at = article.hidden_reason = None
    bump_corpus_revision(session)
    return article


def mark_source(session: Session, source_id: int, kind: str | None) -> Source:
    """Say the source is a wire or a content farm (None: let the measures decide again)."""
    if kind is not None and kind not in SOURCE_KINDS:
        raise ValueError(f"a source is marked wire or farm, not {kind!r}")
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound(f"No source {source_id}.")
    source.operator_kind = kind
    if kind is not None:  # now, not at the next enrich run
        source.score = OPERATOR_SCORES[kind]
    bump_corpus_revision(session)
    return source


# The score an operator's mark stands for: a farm at the bottom, a wire fully trusted.
OPERATOR_SCORES = {"farm": 0.0, "wire": 1.0}


def _article(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"No article {article_id}.")
    return article
