"""Which carrier speaks for an article: its *lead page*, re-decided as carriers arrive.

An article is carried by many pages: the publisher's own, a wire's, a content farm's
shortened copy with a clickbait headline. The headline, body, byline and source shown
for the article, and the category a page claims, come from one of them, the lead. It is
the best carrier by these rules, in order (:func:`lead_key`):

1. **not a content farm**: a source scored below :data:`TRUSTED_SCORE` loses to one that
   is not (an unscored source is given the benefit of the doubt);
2. **the wire's own page** beats a republication of its copy;
3. **the earliest credible date**: a page that states a date beats one that does not,
   and an earlier day beats a later one. Credible: not flagged by the enrich stage, and
   not ahead of when we first saw the page by more than :data:`FUTURE_TOLERANCE`.
   Days are compared as the pages state them (their own time zone): a naive "03:05" and
   a "22:05 -0500" the evening before cannot be ordered any finer honestly;
4. **the most complete text**: a page whose text holds another carrier's text and more
   (at least :data:`CONTAINS_MIN` of the other's word shingles, and :data:`MORE_MIN`
   times as many) beats it; counted over all carriers, the page containing the most
   others wins. Shingles leave out page chrome (``enrich.shingles``), so a farm's
   breadcrumb and link lists do not make its copy "more complete";
5. then the earlier stated instant, the first seen, the lowest page id.

Only the latest version of each page competes, and only pages whose text we hold: a
page's own text is stored (``Page.body``) when it differs from the article's, so a later,
better carrier can take over the article's text and the former lead keeps its own.
The decision is made again whenever a carrier arrives (the store) and whenever source
scores change (the enrich stage), so the order pages arrive in never decides it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cached_property

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dateline.extract.language import detect_language
from dateline.extract.model import body_hash_of
from dateline.extract.wire import find_wire_markers
from dateline.store import dedup_index
from dateline.store.dedup_index import IndexedSignature, SignatureOf
from dateline.store.models import (
    NEAR_COPY_KEY,
    Article,
    ArticleSignature,
    ArticleVector,
    MinHashBand,
    Page,
    Source,
)

# A source scored below this is demoted in lists (the enrich stage's behaviour score, 0
# farm … 1 clean; see enrich.sources) and never leads an article a cleaner source carries.
TRUSTED_SCORE = 0.8
# A claim may be ahead of the moment we first saw the page by this much and still be
# credible: naive claims are read as UTC, and local times run up to 14 h ahead of UTC,
# plus clock skew. Anything further ahead is a date the page could not have known.
FUTURE_TOLERANCE = timedelta(hours=26)
# A text contains another when it holds this share of the other's shingles (MinHash
# estimates wander by about ±0.04: a full copy measures 0.92-1.0) ...
CONTAINS_MIN = 0.9
# ... and has at least this many times as many: a paragraph more, not an edited word.
MORE_MIN = 1.1


@dataclass(frozen=True)
class Candidate:
    """What the rules read of one carrier (its latest version)."""

    page_id: int
    first_seen_at: datetime
    claimed_date: str | None
    claimed_utc: datetime | None
    date_flag: str | None
    source_score: float | None
    source_kind: str
    contains: int = 0  # how many other carriers' texts this one's text holds, and more

    @cached_property
    def credible_day(self) -> date | None:
        """The day the page states, if its claim is credible (see the module rules)."""
        if self.claimed_utc is None or not self.claimed_date or self.date_flag:
            return None
        if self.claimed_utc > self.first_seen_at + FUTURE_TOLERANCE:
            return None
        return stated_day(self.claimed_date)


def stated_day(claimed: str) -> date | None:
    """The calendar day in the page's own terms (its zone, or none)."""
    try:
        return datetime.fromisoformat(claimed).date()
    except ValueError:
        try:
            return date.fromisoformat(claimed[:10])
        except ValueError:
            return None


def _rank(c: Candidate) -> tuple[object, ...]:
    """Rules 1-3 (farm, wire, day): only carriers tied on these compare their texts."""
    farm = c.source_score is not None and c.source_score < TRUSTED_SCORE
    day = c.credible_day
    return (farm, c.source_kind != "wire", day is None, day or date.max)


def lead_key(c: Candidate) -> tuple[object, ...]:
    """Sort key of a carrier: the smallest is the lead (rules in the module docstring)."""
    instant = c.claimed_utc if c.credible_day is not None and c.claimed_utc else datetime.max
    return (*_rank(c), -c.contains, instant, c.first_seen_at, c.page_id)


def choose(candidates: Sequence[Candidate]) -> Candidate | None:
    return min(candidates, key=lead_key, default=None)


def text_known(page: Page) -> bool:
    """Whether we hold the page's text: its own (``body``) or the article's. A near-copy
    stored before pages kept their text (migration 0009) has neither."""
    return page.body is not None or NEAR_COPY_KEY not in (page.extra or {})


def _latest_versions(pages: Sequence[tuple[Page, Source]]) -> list[tuple[Page, Source]]:
    latest: dict[str, tuple[Page, Source]] = {}
    for page, source in pages:
        held = latest.get(page.identity_hash)
        if held is None or page.version > held[0].version:
            latest[page.identity_hash] = (page, source)
    return list(latest.values())


def candidates_of(
    article: Article,
    pages: Sequence[tuple[Page, Source]],
    signature_of: SignatureOf | None = None,
) -> list[Candidate]:
    """The competing carriers: latest versions whose text we hold. With ``signature_of``
    those tied on rules 1-3 are told how many of the others' texts theirs contains (the
    tie is usually a handful of pages, so a story carried by hundreds stays cheap)."""
    competing = {p.id: (p, s) for p, s in _latest_versions(pages) if text_known(p)}
    found = [
        Candidate(
            page_id=page.id,
            first_seen_at=page.first_seen_at,
            claimed_date=page.claimed_date,
            claimed_utc=page.claimed_date_utc,
            date_flag=page.date_flag,
            source_score=source.score,
            source_kind=source.kind,
        )
        for page, source in competing.values()
    ]
    if not found:
        return found
    top = min(_rank(c) for c in found)
    tied = [competing[c.page_id][0] for c in found if _rank(c) == top]
    holds = _containment_counts(article, tied, signature_of)
    return [
        replace(c, contains=holds.get(competing[c.page_id][0].body, 0)) if _rank(c) == top else c
        for c in found
    ]


def _containment_counts(
    article: Article, pages: Sequence[Page], signature_of: SignatureOf | None
) -> dict[str | None, int]:
    """For each distinct text (None: the article's own), how many carriers' texts it
    contains. Distinct texts only: most carriers share the article's text exactly."""
    texts: dict[str | None, str] = {p.body: p.body or article.body for p in pages}
    if signature_of is None or len(texts) < 2:
        return {}
    signatures = {key: signature_of(_paragraphs(text)) for key, text in texts.items()}
    carried = Counter(p.body for p in pages)
    counts: dict[str | None, int] = {}
    for key, mine in signatures.items():
        for other_key, other in signatures.items():
            if other_key == key or mine is None or other is None:
                continue
            if _contains(mine, other):
                counts[key] = counts.get(key, 0) + carried[other_key]
    return counts


def _contains(mine: IndexedSignature, other: IndexedSignature) -> bool:
    if mine.size < MORE_MIN * other.size:
        return False
    match = mine.copy_of(other.to_bytes())
    return match is not None and match.containment >= CONTAINS_MIN


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def redecide(session: Session, article: Article, *, signature_of: SignatureOf | None) -> bool:
    """Make the best carrier the article's lead; True when the lead changed.

    ``signature_of`` re-indexes the article's near-copy signature when its text changes
    (None: the index is left as it is, e.g. when no signature function is at hand).
    """
    pages = [
        (p, s)
        for p, s in session.execute(
            select(Page, Source)
            .join(Source, Source.id == Page.source_id)
            .where(Page.article_id == article.id)
        ).all()
    ]
    best = choose(candidates_of(article, pages, signature_of))
    if best is None or best.page_id == article.lead_page_id:
        return False
    return _make_lead(session, article, best, pages, signature_of)


def _make_lead(
    session: Session,
    article: Article,
    best: Candidate,
    pages: Sequence[tuple[Page, Source]],
    signature_of: SignatureOf | None,
) -> bool:
    """Give the article ``best``'s headline, byline and (when it differs) text."""
    by_id = {p.id: p for p, _ in pages}
    lead = by_id[best.page_id]
    new_text = lead.body is not None
    if new_text and not _take_text(session, article, lead, by_id.values()):
        return False
    if new_text or article.title != lead.title or article.byline != lead.byline:
        # category, entities and the embedding read the headline and text: redo them
        article.enrich_version = None
        session.execute(delete(ArticleVector).where(ArticleVector.article_id == article.id))
    article.title = lead.title
    article.byline = lead.byline
    article.lead_page_id = lead.id
    session.flush()
    if new_text and signature_of is not None:
        _reindex(session, article, signature_of)
    return True


def redecide_carried(session: Session, *, signature_of: SignatureOf | None) -> list[int]:
    """Re-decide the lead of every article more than one page carries (after source
    scores changed); returns the ids whose lead changed. One read of all carriers, then
    a write only where the lead moves."""
    carried = (
        select(Page.article_id).group_by(Page.article_id).having(func.count(Page.id) > 1)
    ).subquery()
    rows = session.execute(
        select(Article, Page, Source)
        .join(carried, carried.c.article_id == Article.id)
        .join(Page, Page.article_id == Article.id)
        .join(Source, Source.id == Page.source_id)
        .where(Article.superseded_by_id.is_(None))
        .order_by(Article.id)
    ).all()
    by_article: dict[int, tuple[Article, list[tuple[Page, Source]]]] = {}
    for article, page, source in rows:
        by_article.setdefault(article.id, (article, []))[1].append((page, source))
    changed = []
    for article, pages in by_article.values():
        best = choose(candidates_of(article, pages, signature_of))
        if best is None or best.page_id == article.lead_page_id:
            continue
        if _make_lead(session, article, best, pages, signature_of):
            changed.append(article.id)
    return changed


def _take_text(session: Session, article: Article, lead: Page, pages: Iterable[Page]) -> bool:
    """Move ``lead``'s own text into the article; the pages that carried the article's
    text keep it as their own. False when another article already holds that text."""
    assert lead.body is not None
    body_hash = body_hash_of(lead.body)
    taken = session.scalar(
        select(Article.id).where(Article.body_hash == body_hash, Article.id != article.id)
    )
    if taken is not None:
        return False
    for page in pages:
        if page.id != lead.id and page.body is None and text_known(page):
            page.body = article.body
            page.extra = {**(page.extra or {}), NEAR_COPY_KEY: {}}
    paragraphs = _paragraphs(lead.body)
    markers = find_wire_markers(paragraphs)
    article.body = lead.body
    article.body_hash = body_hash
    article.word_count = len(lead.body.split())
    article.dateline = markers.dateline
    article.agency = markers.agency
    article.language = detect_language(lead.title + "\n" + "\n".join(paragraphs[:20]))
    lead.body = None
    lead.extra = {k: v for k, v in (lead.extra or {}).items() if k != NEAR_COPY_KEY}
    session.execute(delete(MinHashBand).where(MinHashBand.article_id == article.id))
    session.execute(delete(ArticleSignature).where(ArticleSignature.article_id == article.id))
    return True


def _reindex(session: Session, article: Article, signature_of: SignatureOf) -> None:
    """Index the article's (new) text, and measure each carrier's own text against it."""
    signature = signature_of(_paragraphs(article.body))
    if signature is None:
        return
    dedup_index.index_article(session, article.id, signature)
    stored = signature.to_bytes()
    for page in session.scalars(
        select(Page).where(Page.article_id == article.id, Page.body.is_not(None))
    ):
        own = signature_of(_paragraphs(page.body or ""))
        match = own.copy_of(stored) if own is not None else None
        near = (
            {"jaccard": match.jaccard, "containment": round(match.containment, 3)} if match else {}
        )
        page.extra = {**(page.extra or {}), NEAR_COPY_KEY: near}


__all__ = [
    "CONTAINS_MIN",
    "FUTURE_TOLERANCE",
    "MORE_MIN",
    "TRUSTED_SCORE",
    "Candidate",
    "choose",
    "lead_key",
    "redecide",
    "redecide_carried",
    "stated_day",
    "text_known",
]
