"""Writing one extracted item: source → article → page, inside the caller's transaction.

Identity rules (documented in the README):

* a page is known by its canonical URL when it has one (``url:…``), else by the hash of its
  normalised title and body (``sha256:…``);
* re-ingesting a page whose *fingerprint* (title, body and the claims that describe the
  article: date, category, site, byline) is unchanged is a no-op;
* a changed page becomes a new version row; nothing is overwritten. Volatile counters
  (views, reactions) and link lists alone do not make a new version: the first version's
  claims are kept;
* a page whose body is the same text as a stored article (same normalised body hash), or a
  near-copy of a canonical one (MinHash LSH, :mod:`dateline.store.dedup_index`: chrome
  added, paragraphs dropped or reordered, a sentence edited, dates changed), attaches to
  that article and keeps its claims (and its own text, when it differs). Which carrier's
  headline, text and source the article shows is then decided again among all of them
  (:mod:`dateline.store.lead`), so the order pages arrive in does not matter. A new
  version of a page never attaches to the text its previous version carried: the edit is
  kept.

The signatures are computed above the store (the enrich stage's dedup module): the caller
passes the function as ``signature_of``, so the store imports nothing from enrich.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dateline.extract.dates import to_utc_naive
from dateline.extract.model import ExtractedArticle
from dateline.ingest.raw import RawDocument
from dateline.store import dedup_index, lead
from dateline.store.dedup_index import SignatureOf
from dateline.store.models import NEAR_COPY_KEY, Article, Page, Source
from dateline.store.sites import UNKNOWN_SOURCE, normalise_url, source_for, source_key

StageHook = Callable[[str], None]


class SaveStatus(StrEnum):
    NEW = "new"
    UPDATED = "updated"
    KNOWN = "known"


@dataclass(frozen=True)
class SaveResult:
    status: SaveStatus
    page_id: int
    article_id: int


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def page_identity_hash(url: str) -> str | None:
    """The identity hash a page stored from ``url`` has (when it states no other canonical
    address): how the crawler knows a sitemap's page without fetching it. None for a URL
    that is not http(s)."""
    normal = normalise_url(url)
    return _key_hash(f"url:{normal}") if normal else None


def identity_key(article: ExtractedArticle) -> str:
    """How a page is recognised again: its canonical URL, else its text *at its source*.

    A page without a URL is known by the hash of its title and body, qualified by its
    source when we know one: two content farms carrying the same wire text as URL-less
    dumps are two pages (two carriers of one article), not two versions of one page.
    """
    url = normalise_url(article.canonical_url) or normalise_url(article.url)
    if url:
        return f"url:{url}"
    source = source_key(article)[0]
    if source == UNKNOWN_SOURCE:
        return f"sha256:{article.content_hash}"
    return f"sha256:{article.content_hash}@{source}"


def fingerprint(article: ExtractedArticle) -> str:
    claimed = article.claimed_date.isoformat() if article.claimed_date else ""
    parts = (
        article.content_hash,
        claimed,
        article.claimed_category or "",
        article.site_name or "",
        article.byline or "",
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def save_article(
    session: Session,
    article: ExtractedArticle,
    raw: RawDocument,
    *,
    signature_of: SignatureOf | None,
    now: datetime | None = None,
    on_stage: StageHook | None = None,
) -> SaveResult:
    """Store one extracted item; the caller's transaction makes it all-or-nothing.

    ``signature_of`` computes a body's near-duplicate signature from its paragraphs (the
    ingest pipeline passes the enrich stage's ``dedup.signature_of``); it is called only for
    a page that is new or changed. None matches by exact body text only.
    ``on_stage`` is called after each write stage ("source", "article", "page") — a hook
    for progress tracing, and for tests that prove a failure mid-item leaves no rows.
    """
    now = now or utcnow()
    key = identity_key(article)
    key_hash = _key_hash(key)
    latest = session.scalars(
        select(Page).where(Page.identity_hash == key_hash).order_by(Page.version.desc()).limit(1)
    ).first()
    print_ = fingerprint(article)
    if latest is not None and latest.fingerprint == print_:
        return SaveResult(SaveStatus.KNOWN, latest.id, latest.article_id)
    twin = _same_page_by_other_route(session, key, print_) if latest is None else None
    if twin is not None:
        if key.startswith("url:"):
            _adopt_address(session, twin, article, key, key_hash, source_for(session, article, now))
        return SaveResult(SaveStatus.KNOWN, twin.id, twin.article_id)

    source = source_for(session, article, now)
    _stage(on_stage, "source")
    stored, near = _article_for(session, article, now, previous=latest, signature_of=signature_of)
    _stage(on_stage, "article")
    page = _new_page(article, raw, key, key_hash, print_, source, stored, latest, now)
    if near is not None:
        page.extra = {**page.extra, NEAR_COPY_KEY: near}
    if article.body_hash != stored.body_hash:
        page.body = article.body  # its own text, should it lead the article one day
    session.add(page)
    session.flush()
    if stored.lead_page_id is None:
        stored.lead_page_id = page.id  # a new article: its only carrier
    else:
        lead.redecide(session, stored, signature_of=signature_of)
    if latest is not None and latest.article_id != stored.id:
        _supersede_if_orphaned(session, latest.article_id, stored.id, key_hash)
    _stage(on_stage, "page")
    status = SaveStatus.UPDATED if latest is not None else SaveStatus.NEW
    return SaveResult(status, page.id, stored.id)


def _same_page_by_other_route(session: Session, key: str, print_: str) -> Page | None:
    """The same page stored without an address when this one has one, or the reverse.

    A file saved from a site and the same page fetched from it are one carrier, not two:
    same text, same claims, same declared site (the fingerprint), one of them URL-less.
    """
    other = "sha256:%" if key.startswith("url:") else "url:%"
    return session.scalars(
        select(Page)
        .where(Page.fingerprint == print_, Page.identity_key.like(other))
        .order_by(Page.version.desc(), Page.id)
        .limit(1)
    ).first()


def _adopt_address(
    session: Session, twin: Page, article: ExtractedArticle, key: str, key_hash: str, source: Source
) -> None:
    """The URL-less page learns its address: its identity, URL and site become the
    fetched page's, so the next fetch or file finds it by either route."""
    old_source_id = twin.source_id
    for page in session.scalars(select(Page).where(Page.identity_hash == twin.identity_hash)):
        page.identity_key, page.identity_hash, page.source_id = key, key_hash, source.id
    twin.url, twin.canonical_url = article.url, article.canonical_url
    session.flush()
    if old_source_id != source.id:
        left = session.scalar(select(func.count()).where(Page.source_id == old_source_id))
        if not left:
            orphan = session.get(Source, old_source_id)
            if orphan is not None:
                session.delete(orphan)
    session.flush()


def _stage(hook: StageHook | None, name: str) -> None:
    if hook is not None:
        hook(name)


def _article_for(
    session: Session,
    article: ExtractedArticle,
    now: datetime,
    *,
    previous: Page | None,
    signature_of: SignatureOf | None,
) -> tuple[Article, dict[str, float] | None]:
    """The article carrying this body, and how near a copy it is (None: the same text).

    The same text first (body hash), then a near-copy among canonical articles, else a new
    article, indexed for the copies to come. ``previous`` is the page's earlier version:
    its article is no candidate, so a publisher's correction is kept as new text.
    """
    # None: too short to compare (or no near-copy matching asked for)
    signature = signature_of(article.paragraphs) if signature_of is not None else None
    if signature is not None:
        # PostgreSQL: writers of near-copies queue here, so the second sees the first.
        dedup_index.lock_buckets(session, signature)
    stored = session.scalars(select(Article).where(Article.body_hash == article.body_hash)).first()
    near = None
    if stored is None and signature is not None:
        exclude = (previous.article_id,) if previous is not None else ()
        match = dedup_index.best_match(session, signature, exclude=exclude)
        if match is not None:
            stored = session.get(Article, match.article_id)
            near = {"jaccard": match.jaccard, "containment": round(match.containment, 3)}
    if stored is None:
        stored = _new_article(session, article, now)
        if signature is not None:
            dedup_index.index_article(session, stored.id, signature)
        return stored, None
    claimed = _claimed_utc(article)
    if claimed is not None and (stored.published_at is None or claimed < stored.published_at):
        # Best evidence so far: the earliest date any carrying page claimed.
        stored.published_at = claimed
    return stored, near


def _claimed_utc(article: ExtractedArticle) -> datetime | None:
    return to_utc_naive(article.claimed_date.value) if article.claimed_date else None


def _new_article(session: Session, article: ExtractedArticle, now: datetime) -> Article:
    stored = Article(
        title=article.title,
        body=article.body,
        body_hash=article.body_hash,
        language=article.language,
        dateline=article.dateline,
        agency=article.agency,
        byline=article.byline,
        published_at=_claimed_utc(article),
        word_count=len(article.body.split()),
        first_seen_at=now,
    )
    session.add(stored)
    session.flush()
    return stored


def _new_page(
    article: ExtractedArticle,
    raw: RawDocument,
    key: str,
    key_hash: str,
    print_: str,
    source: Source,
    stored: Article,
    latest: Page | None,
    now: datetime,
) -> Page:
    claimed = article.claimed_date
    fetched = raw.fetched_at.astimezone(UTC).replace(tzinfo=None) if raw.fetched_at else None
    return Page(
        identity_key=key,
        identity_hash=key_hash,
        version=(latest.version + 1) if latest else 1,
        fingerprint=print_,
        source_id=source.id,
        article_id=stored.id,
        input_kind=str(raw.kind),
        origin=raw.origin,
        url=article.url,
        canonical_url=article.canonical_url,
        external_id=article.external_id,
        raw_sha256=raw.sha256,
        title=article.title,
        site_name=article.site_name,
        byline=article.byline,
        claimed_date=claimed.isoformat() if claimed else None,
        claimed_date_utc=to_utc_naive(claimed.value) if claimed else None,
        claimed_date_has_tz=claimed.has_timezone if claimed else None,
        claimed_category=article.claimed_category,
        claimed_views=article.claimed_views,
        claimed_reactions=article.claimed_reactions,
        claimed_reaction_label=article.claimed_reaction_label,
        claimed_links=dict(article.claimed_links),
        extra=_jsonable(article.extra),
        fetched_at=fetched,
        first_seen_at=now,
    )


def _supersede_if_orphaned(session: Session, old_id: int, new_id: int, key_hash: str) -> None:
    """Mark the old text superseded when no other page still carries it."""
    others = session.scalar(
        select(func.count())
        .select_from(Page)
        .where(Page.article_id == old_id, Page.identity_hash != key_hash)
    )
    if not others:
        old = session.get(Article, old_id)
        if old is not None and old.superseded_by_id is None:
            old.superseded_by_id = new_id


def _jsonable(value: Any) -> Any:
    """Extra reader fields, made safe for a JSON column (dates become ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
