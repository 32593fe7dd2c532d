"""Dates you can trust: each page's claim, first seen, and a best-evidence publication date.

A page's date is a claim; content farms republish years-old wire copy under today's date.
Per article we keep the three dates apart and derive:

* **published_at** — the earliest *credible* claim, or None when none is. A claim is not
  credible when it is after the page was first seen (or after the site clock), when the
  text contradicts it (:mod:`dateline.enrich.date_text`), or when its source's dates are
  mostly fake (``Source.score_details``, from :mod:`dateline.enrich.sources`).
* **date_status** — ``corroborated`` (the wire's own page dates it; or two independent
  sources agree; or, for original text, its publisher dates it and nothing contradicts
  it), ``flagged`` (we have evidence, and some carrying page claims something far from it
  or impossible) or ``unverified`` (no corroboration, or nothing credible: the reason says
  why, e.g. "copied wire text, single copy"). Never an invented year.
* **Page.date_flag** — "claimed 2025-04-26 · earliest evidence 2023-10-20" when a claim is
  more than ``FLAG_DISTANCE`` from the evidence, or impossible in itself ("claimed
  2027-03-14 · claims a date in the future (after first seen)"). A future claim is kept
  as the page's claim; it is only never believed.

Flags come only from evidence and from self-evident problems (future, contradicted by the
text), never from the source's reputation: the source's fake-date rate is computed from
these flags, so using it here would feed on itself. Run :func:`apply` after ingest, then
``score_sources``, then :func:`apply` again; both steps are idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from dateline.enrich.date_text import contradiction, find_mentions, resolve_all
from dateline.enrich.sources import distrusted_dates, is_wire_own
from dateline.store.lead import FUTURE_TOLERANCE, stated_day
from dateline.store.models import Article, Page, Source

# A claim this far from the best evidence gets a page flag. Legitimate syndication posts
# within a day or two and weekly round-ups within a week; the seeds are 15 and 18 months
# off. Two weeks keeps honest late pickups unflagged.
FLAG_DISTANCE = timedelta(days=14)
# Independent claims within this window of the evidence corroborate it (time zones and
# next-day pickups move an honest republication by a day or two).
CORROBORATION_WINDOW = timedelta(days=3)
# How many distinct sources must agree, when the wire's own page is not among them.
MIN_AGREEING_SOURCES = 2

CORROBORATED, UNVERIFIED, FLAGGED = "corroborated", "unverified", "flagged"


@dataclass(frozen=True)
class ClaimCheck:
    """One page's claim and what we made of it."""

    page_id: int
    source_id: int
    source: str
    claimed: str | None  # as the page gave it
    claimed_utc: datetime | None
    first_seen: datetime
    wire_own: bool
    problems: tuple[str, ...] = ()  # self-evident: future, contradicted by the text
    distrust: str | None = None  # the source's dates are mostly fake
    flag: str | None = None

    @property
    def credible(self) -> bool:
        return self.claimed_utc is not None and not self.problems and self.distrust is None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "claim",
            "page_id": self.page_id,
            "source": self.source,
            "claimed": self.claimed,
            "first_seen": self.first_seen.isoformat(timespec="seconds"),
            "credible": self.credible,
            "wire_own": self.wire_own,
            "problems": list(self.problems) + ([self.distrust] if self.distrust else []),
            "flag": self.flag,
        }


@dataclass(frozen=True)
class DateAssessment:
    article_id: int
    published_at: datetime | None
    status: str
    reason: str
    claims: tuple[ClaimCheck, ...]
    text: list[dict[str, str]] = field(default_factory=list)

    def evidence_json(self) -> list[dict[str, Any]]:
        return [claim.to_json() for claim in self.claims] + list(self.text)


def assess_dates(session: Session, article_id: int, now: datetime) -> DateAssessment:
    """Judge every claim of the article's pages; nothing is written."""
    article = session.get(Article, article_id)
    if article is None:
        raise LookupError(f"no article {article_id}")
    rows = session.execute(
        select(Page, Source)
        .join(Source, Source.id == Page.source_id)
        .where(Page.article_id == article_id)
        .order_by(Page.first_seen_at, Page.id)
    ).all()
    wire = article.agency is not None
    mentions = find_mentions(article.body)
    checks = [_check(page, source, article.agency, mentions, now) for page, source in rows]
    credible = [c for c in checks if c.credible]
    best = min(credible, key=lambda c: (c.claimed_utc, c.page_id)) if credible else None
    evidence = best.claimed_utc if best else None
    checks = [_with_flag(c, evidence) for c in checks]
    text = resolve_all(mentions, evidence.date()) if evidence else []
    status, reason = _verdict(checks, best, wire)
    return DateAssessment(article_id, evidence, status, reason, tuple(checks), text)


def apply(session: Session, article_id: int, now: datetime) -> DateAssessment:
    """Assess and store: published_at, status, reason, evidence and page flags (idempotent)."""
    result = assess_dates(session, article_id, now)
    article = session.get(Article, article_id)
    assert article is not None
    article.published_at = result.published_at
    article.date_status = result.status
    article.date_reason = result.reason
    article.date_evidence = result.evidence_json()
    flags = {c.page_id: c.flag for c in result.claims}
    for page in session.scalars(select(Page).where(Page.article_id == article_id)):
        if page.date_flag != flags.get(page.id):
            page.date_flag = flags.get(page.id)
    session.flush()
    return result


def apply_all(session: Session, now: datetime, article_ids: list[int] | None = None) -> int:
    """Apply to the given articles (all when None); returns how many were assessed."""
    ids = article_ids
    if ids is None:
        ids = list(session.scalars(select(Article.id).order_by(Article.id)))
    for article_id in ids:
        apply(session, article_id, now)
    return len(ids)


def sort_date(article: Article) -> datetime:
    """The date lists sort by: best evidence, or first seen when that is missing or ahead.

    ``published_at`` is None when nothing is credible (flagged or unverified claims, a
    source whose dates are mostly fake): those sort by when we first saw them. A
    ``published_at`` after first seen is a raw claim not yet assessed (the store sets the
    earliest claim at save time): it sorts by first seen too, so a future date never
    floats to the top of a list.
    """
    published = article.published_at
    if published is None or published > article.first_seen_at:
        return article.first_seen_at
    return published


def sort_date_expression() -> ColumnElement[datetime]:
    """:func:`sort_date` in SQL: the expression the store's list queries sort by."""
    from dateline.store.queries import sort_date as expression

    return expression


# --- rules ------------------------------------------------------------------------------


def _check(
    page: Page, source: Source, agency: str | None, mentions: list[Any], now: datetime
) -> ClaimCheck:
    problems: list[str] = []
    claimed_utc = page.claimed_date_utc
    if claimed_utc is not None and page.claimed_date:
        horizon = min(page.first_seen_at, now) + FUTURE_TOLERANCE
        if claimed_utc > horizon:
            when = "first seen" if page.first_seen_at <= now else "the site's clock"
            problems.append(f"claims a date in the future (after {when})")
        day = stated_day(page.claimed_date)
        said = contradiction(mentions, day, wire=agency is not None) if day else None
        if said:
            problems.append(said)
    return ClaimCheck(
        page_id=page.id,
        source_id=source.id,
        source=source.name,
        claimed=page.claimed_date,
        claimed_utc=claimed_utc,
        first_seen=page.first_seen_at,
        wire_own=is_wire_own(source, agency),
        problems=tuple(problems),
        distrust=distrusted_dates(source) if claimed_utc is not None else None,
    )


def _with_flag(check: ClaimCheck, evidence: datetime | None) -> ClaimCheck:
    if check.claimed_utc is None or not check.claimed:
        return check
    parts: list[str] = []
    if evidence is not None and abs(check.claimed_utc - evidence) > FLAG_DISTANCE:
        parts.append(f"earliest evidence {evidence:%Y-%m-%d}")
    parts.extend(check.problems)
    if not parts:
        return check
    flag = " · ".join([f"claimed {check.claimed[:10]}", *parts])
    return replace(check, flag=flag)


def _verdict(checks: list[ClaimCheck], best: ClaimCheck | None, wire: bool) -> tuple[str, str]:
    """(status, reason shown to readers)."""
    if best is None:
        return UNVERIFIED, _no_evidence_reason(checks, wire)
    assert best.claimed_utc is not None
    support = _corroboration(checks, best, wire)
    flagged = [c for c in checks if c.flag]
    if flagged:
        claimed = ", ".join(sorted({c.claimed[:10] for c in flagged if c.claimed}))
        pages = "1 page claims" if len(flagged) == 1 else f"{len(flagged)} pages claim"
        basis = support or f"unverified: {_weakness(checks, wire)}"
        reason = f"earliest evidence {best.claimed_utc:%Y-%m-%d} — {basis}; {pages} {claimed}"
        return FLAGGED, reason
    if support:
        return CORROBORATED, support
    return UNVERIFIED, _weakness(checks, wire)


def _corroboration(checks: list[ClaimCheck], best: ClaimCheck, wire: bool) -> str | None:
    assert best.claimed_utc is not None
    near = [
        c
        for c in checks
        if c.credible
        and c.claimed_utc is not None
        and abs(c.claimed_utc - best.claimed_utc) <= CORROBORATION_WINDOW
    ]
    own = next((c for c in near if c.wire_own), None)
    if own is not None:
        return f"dated by the wire's own page ({own.source})"
    sources = {c.source_id: c.source for c in near}
    if len(sources) >= MIN_AGREEING_SOURCES:
        return f"{len(sources)} sources agree ({', '.join(sorted(sources.values()))})"
    if not wire:
        return f"dated by its publisher ({best.source}); nothing contradicts it"
    return None


def _weakness(checks: list[ClaimCheck], wire: bool) -> str:
    if wire:
        sources = {c.source_id for c in checks}
        return (
            "copied wire text, single copy"
            if len(sources) == 1
            else (f"copied wire text, {len(sources)} copies that do not agree, no wire original")
        )
    return "no independent source confirms it"


def _no_evidence_reason(checks: list[ClaimCheck], wire: bool) -> str:
    reasons: list[str] = []
    if wire:
        reasons.append(_weakness(checks, wire))
    for check in checks:
        for problem in (*check.problems, check.distrust):
            if problem and problem not in reasons:
                reasons.append(problem)
    if not any(c.claimed_utc for c in checks):
        reasons.append("no page gives a date")
    return "; ".join(reasons) or "no credible date"
