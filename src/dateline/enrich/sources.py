"""Source behaviour score: how a site treats what it publishes, measured from the store.

Four rates per source, each over the pages it applies to, each with a reason sentence
(the rules for the last two are in :mod:`dateline.enrich.source_signals`):

* ``wire_copy`` — pages that are republished wire copy: the article has an agency and
  either an earlier page of another source carries it, or the text opens with a wire
  dateline ("MOSCOW (AP) —") and this source is not that wire's own. Licensed
  republication is legitimate, so this weighs least.
* ``fake_dates`` — dated pages whose claim :mod:`dateline.enrich.dates` flagged.
* ``wrong_category`` — claimed categories the classifier (``Article.category``)
  disagrees with; not measured until the classifier has run.
* ``unrelated_links`` — pages whose Related/Ranking/Recommendation lists have nothing
  to do with the article.

``score = 1 − Σ weight × rate`` (``WEIGHTS`` sum to 1), in [0, 1]: 1 is a source with no
bad behaviour measured, 0 a content farm doing all four on every page. A signal with
nothing to measure counts as clean: the score demotes only on evidence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dateline.enrich.source_signals import category_is_wrong, links_unrelated
from dateline.store.lead import TRUSTED_SCORE
from dateline.store.models import Article, Page, Source
from dateline.store.moderation import OPERATOR_SCORES
from dateline.store.sites import host_of

# Weights of the rates; they sum to 1. Fake dates mislead readers most; a wrong category
# misfiles; filler link lists are a farm's trademark; wire copy alone is often licensed.
WEIGHTS = {"fake_dates": 0.40, "wrong_category": 0.25, "unrelated_links": 0.20, "wire_copy": 0.15}
SCORE_VERSION = 1
# dates.py stops trusting a source's claims when more than this share of at least this
# many of its dated pages were flagged: one flagged page is an accident, most is a habit.
DISTRUST_FAKE_DATE_RATE = 0.5
MIN_DATED_PAGES_FOR_DISTRUST = 3
# List demotion: sources at or above TRUSTED_SCORE keep their rank; below, the multiplier
# falls linearly to DEMOTION_FLOOR at score 0. A floor, not zero: a farm's page stays
# findable, and its text usually belongs to a better source's canonical article anyway.
DEMOTION_FLOOR = 0.25
# Hosts that are a wire agency's own site, and the agency (as in extract.wire.AGENCIES).
WIRE_HOSTS = {
    "apnews.com": "AP", "ap.org": "AP", "reuters.com": "Reuters", "afp.com": "AFP",
    "upi.com": "UPI", "bloomberg.com": "Bloomberg", "dpa.com": "dpa", "efe.com": "EFE",
    "ansa.it": "ANSA", "xinhuanet.com": "Xinhua", "english.news.cn": "Xinhua",
    "kyodonews.net": "Kyodo", "yna.co.kr": "Yonhap", "tass.com": "TASS",
    "aap.com.au": "AAP", "thecanadianpress.com": "CP", "pa.media": "PA",
    "aa.com.tr": "Anadolu", "aninews.in": "ANI", "interfax.com": "Interfax",
    "bernama.com": "Bernama", "kcna.kp": "KCNA", "ptinews.com": "PTI",
}  # fmt: skip


def wire_agency_of(source: Source) -> str | None:
    """The agency whose own site this source is, by host (subdomains included)."""
    host = host_of(source)
    if host is None:
        return None
    host = host.removeprefix("www.")
    for wire_host, agency in WIRE_HOSTS.items():
        if host == wire_host or host.endswith("." + wire_host):
            return agency
    return None


def is_wire_own(source: Source, agency: str | None) -> bool:
    """Whether this source is the wire that wrote ``agency``'s copy (not a republisher)."""
    if source.operator_kind is not None:  # the operator said what it is
        return source.operator_kind == "wire" and agency is not None
    if agency is None:
        return False
    host_agency = wire_agency_of(source)
    if host_agency is not None:
        return host_agency == agency
    return source.kind == "wire"


def mark_wire_sources(session: Session) -> int:
    """Set kind="wire" on unknown sources whose host is a wire's own site."""
    changed = 0
    for source in session.scalars(select(Source).where(Source.kind == "unknown")):
        if wire_agency_of(source) is not None:
            source.kind = "wire"
            changed += 1
    return changed


def distrusted_dates(source: Source) -> str | None:
    """A reason when the source's dates are mostly fake (from its last score), else None."""
    signal = ((source.score_details or {}).get("signals") or {}).get("fake_dates") or {}
    count, of = int(signal.get("count", 0)), int(signal.get("of", 0))
    if of >= MIN_DATED_PAGES_FOR_DISTRUST and count / of > DISTRUST_FAKE_DATE_RATE:
        return f"{source.name}'s dates are mostly fake ({count} of {of} flagged)"
    return None


def demotion(source_score: float | None) -> float:
    """Multiplier for list ranking: 1 for trusted or unscored sources, down to the floor."""
    if source_score is None or source_score >= TRUSTED_SCORE:
        return 1.0
    share = max(source_score, 0.0) / TRUSTED_SCORE
    return DEMOTION_FLOOR + (1.0 - DEMOTION_FLOOR) * share


@dataclass
class _Tally:
    """Bad pages and measured pages per signal, for one source."""

    counts: dict[str, list[int]]

    @classmethod
    def empty(cls) -> _Tally:
        return cls({name: [0, 0] for name in WEIGHTS})

    def add(self, name: str, bad: bool | None) -> None:
        if bad is not None:
            self.counts[name][0] += int(bad)
            self.counts[name][1] += 1


def score_sources(session: Session, now: datetime) -> dict[int, float]:
    """Score every source with pages; store score, details and time. Returns id → score."""
    mark_wire_sources(session)
    rows = session.execute(
        select(Page, Article).join(Article, Article.id == Page.article_id).order_by(Page.id)
    ).all()
    sources = {s.id: s for s in session.scalars(select(Source))}
    earliest: dict[int, dict[int, datetime]] = defaultdict(dict)
    for page, _ in rows:
        seen = earliest[page.article_id]
        if page.source_id not in seen or page.first_seen_at < seen[page.source_id]:
            seen[page.source_id] = page.first_seen_at
    tallies: dict[int, _Tally] = defaultdict(_Tally.empty)
    for page, article in rows:
        tally = tallies[page.source_id]
        source = sources[page.source_id]
        tally.add("wire_copy", _is_wire_copy(page, article, source, earliest[article.id]))
        tally.add("fake_dates", page.date_flag is not None if page.claimed_date else None)
        tally.add("wrong_category", category_is_wrong(page.claimed_category, article.category))
        tally.add(
            "unrelated_links", links_unrelated(page.claimed_links, article.title, article.body)
        )
    scores: dict[int, float] = {}
    for source_id, tally in tallies.items():
        source = sources[source_id]
        details = _details(tally)
        if source.operator_kind in OPERATOR_SCORES:  # the operator's word beats the measures
            details["score"] = OPERATOR_SCORES[source.operator_kind]
            details["operator"] = f"marked a {source.operator_kind} by the site's operator"
        source.score_details = details
        source.score = scores[source_id] = details["score"]
        source.scored_at = now
    session.flush()
    return scores


def _is_wire_copy(
    page: Page, article: Article, source: Source, earliest: dict[int, datetime]
) -> bool:
    if article.agency is None or is_wire_own(source, article.agency):
        return False
    earlier_elsewhere = any(
        seen < page.first_seen_at for sid, seen in earliest.items() if sid != page.source_id
    )
    return earlier_elsewhere or article.dateline is not None


_REASONS = {
    "wire_copy": ("{k} of {n} pages are republished wire copy", "none of its {n} pages is "
                  "republished wire copy", "no pages"),
    "fake_dates": ("{k} of {n} dated pages claim a date far from the evidence or impossible",
                   "no fake dates in {n} dated pages", "no dated pages"),
    "wrong_category": ("{k} of {n} claimed categories disagree with the classifier",
                       "{n} claimed categories agree with the classifier",
                       "no claimed category could be checked against the classifier"),
    "unrelated_links": ("{k} of {n} pages show link lists unrelated to the article",
                        "link lists on {n} pages relate to their articles", "no link lists"),
}  # fmt: skip


def _details(tally: _Tally) -> dict[str, Any]:
    signals: dict[str, Any] = {}
    penalty = 0.0
    for name, weight in WEIGHTS.items():
        bad, measured = tally.counts[name]
        rate = bad / measured if measured else 0.0
        penalty += weight * rate
        some, none, unmeasured = _REASONS[name]
        template = unmeasured if not measured else (some if bad else none)
        signals[name] = {
            "rate": round(rate, 3),
            "count": bad,
            "of": measured,
            "weight": weight,
            "reason": template.format(k=bad, n=measured),
        }
    score = round(min(1.0, max(0.0, 1.0 - penalty)), 3)
    reasons = [s["reason"] for s in signals.values() if s["count"]]
    return {
        "score": score,
        "version": SCORE_VERSION,
        "formula": "1 - " + " - ".join(f"{w} x {n}" for n, w in WEIGHTS.items()),
        "signals": signals,
        "reasons": reasons or ["no bad behaviour measured"],
    }
