"""A reader's own history (the /me page), clearing it, retention, and the MIND export.

Raw events are the only place a reader's trail lives; every count they contributed was
added to ``article_stats``/``article_daily`` when they were written, so deleting raw
events (retention, or a reader clearing their history) never changes the site's view
counts. Current reactions are state, not history: clearing removes them and their counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby
from typing import TextIO

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dateline.readers.events import (
    IMPRESSION,
    REACTION,
    VIEW,
    add_daily,
    add_stats,
    affected,
    naive_utc,
)
from dateline.store.db import Store
from dateline.store.models import Article, Event, Page, Reaction
from dateline.store.queries import category_label
from dateline.store.repository import utcnow

# Raw events deleted per transaction when pruning, so SQLite writers never wait long.
PRUNE_BATCH = 10_000
# MIND behaviors.tsv time format, e.g. "11/15/2019 08:55:22 AM".
MIND_TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"


@dataclass(frozen=True)
class HistoryItem:
    """One line of a reader's history; ``(at, event_id)`` is the keyset cursor."""

    event_id: int
    article_id: int
    title: str
    kind: str  # "view" or "reaction"
    value: int  # +1, or -1 for a reaction taken back
    at: datetime

    @property
    def cursor(self) -> tuple[datetime, int]:
        return (self.at, self.event_id)


def reader_history(
    session: Session, reader_id: str, limit: int, before: tuple[datetime, int] | None = None
) -> list[HistoryItem]:
    """The reader's views and reactions, newest first; pass the last item's cursor on."""
    query = (
        select(Event.id, Event.article_id, Article.title, Event.kind, Event.value, Event.created_at)
        .join(Article, Article.id == Event.article_id)
        .where(Event.reader_id == reader_id, Event.kind.in_((VIEW, REACTION)))
    )
    if before is not None:
        at, event_id = naive_utc(before[0]), before[1]
        query = query.where(
            (Event.created_at < at) | ((Event.created_at == at) & (Event.id < event_id))
        )
    rows = session.execute(query.order_by(Event.created_at.desc(), Event.id.desc()).limit(limit))
    return [HistoryItem(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def clear_history(store: Store, reader_id: str) -> int:
    """Delete the reader's events and reactions in one transaction; return events deleted.

    Reaction totals drop by the reactions removed (from the day each was made, as a
    toggle does); view totals stay, since a view that happened is not un-happened. Views
    still waiting in a worker's buffer land afterwards (at most ``event_flush_seconds``).
    """
    with store.write() as session:
        removed = session.execute(
            delete(Reaction)
            .where(Reaction.reader_id == reader_id)
            .returning(Reaction.article_id, Reaction.created_at)
        ).all()
        stats: dict[int, dict[str, int]] = defaultdict(lambda: {"reactions": 0})
        daily: dict[tuple[int, date], Counter[str]] = defaultdict(Counter)
        for article_id, created_at in removed:
            stats[article_id]["reactions"] -= 1
            daily[article_id, created_at.date()]["reactions"] -= 1
        add_stats(session, stats, utcnow())
        add_daily(session, daily)
        return affected(session.execute(delete(Event).where(Event.reader_id == reader_id)))


def prune_events(store: Store, now: datetime, retention_days: int) -> int:
    """Delete raw events older than the retention; return how many went.

    Nothing needs folding first: each event's counts entered the aggregates when it was
    written. ``retention_days`` of 0 or less keeps everything (deleting the current
    hour's views would let the same viewer be counted again). Deletes run in batches of
    ``PRUNE_BATCH``, each its own transaction.
    """
    if retention_days <= 0:
        return 0
    cutoff = naive_utc(now) - timedelta(days=retention_days)
    total = 0
    while True:
        with store.write() as session:
            ids = select(Event.id).where(Event.created_at < cutoff).limit(PRUNE_BATCH)
            batch = session.execute(delete(Event).where(Event.id.in_(ids.scalar_subquery())))
            deleted = affected(batch)
        total += deleted
        if deleted < PRUNE_BATCH:
            return total


def export_behaviors_tsv(session: Session, out: TextIO) -> int:
    """Write logged impressions as MIND ``behaviors.tsv``; return the lines written.

    One line per shown list (rows of one viewer, list and timestamp):
    ``impression id <TAB> user id <TAB> time <TAB> history <TAB> impressions``. The user
    id is the viewer key (``r:<reader>`` or ``c:<hash>``); history is the articles the
    viewer viewed before that time, oldest first, as ``N<id>``; impressions are
    ``N<id>-1`` (clicked) or ``N<id>-0`` in list order. Impression ids count from 1.
    """
    seen: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for key, article_id, at in session.execute(
        select(Event.viewer_key, Event.article_id, Event.created_at)
        .where(Event.kind == VIEW)
        .order_by(Event.created_at, Event.id)
    ):
        seen[key].append((at, article_id))
    rows = session.execute(
        select(Event.viewer_key, Event.list_name, Event.created_at, Event.article_id, Event.clicked)
        .where(Event.kind == IMPRESSION)
        .order_by(Event.created_at, Event.viewer_key, Event.list_name, Event.position, Event.id)
    )
    lines = 0
    for (key, _list, at), shown in groupby(rows, key=lambda r: (r[0], r[1], r[2])):
        lines += 1
        history = _history_before(seen.get(key, []), at)
        items = " ".join(f"N{r[3]}-{1 if r[4] else 0}" for r in shown)
        out.write(f"{lines}\t{key}\t{at.strftime(MIND_TIME_FORMAT)}\t{history}\t{items}\n")
    return lines


def _history_before(views: list[tuple[datetime, int]], at: datetime) -> str:
    ordered: dict[int, None] = {}
    for when, article_id in views:
        if when >= at:
            break
        ordered.setdefault(article_id, None)
    return " ".join(f"N{a}" for a in ordered)


# The abstract column of news.tsv: the article's opening, cut at a word.
ABSTRACT_CHARS = 400


def export_news_tsv(session: Session, out: TextIO) -> int:
    """Write MIND ``news.tsv`` for every article the events name; return the rows written.

    Columns: ``N<id>``, category (Dateline's, else the lead page's claim), subcategory
    (empty), title, abstract (the opening of the text), URL (the lead page's), and empty
    entity lists. Tabs and line breaks in text become spaces: one row per article, so
    ``dateline eval recs`` reads the site's own logs as it reads MIND.
    """
    named = select(Event.article_id).distinct().scalar_subquery()
    rows = session.execute(
        select(
            Article.id,
            Article.title,
            Article.body,
            Article.category,
            Page.claimed_category,
            Page.canonical_url,
            Page.url,
        )
        .outerjoin(Page, Page.id == Article.lead_page_id)
        .where(Article.id.in_(named))
        .order_by(Article.id)
    )
    written = 0
    for article_id, title, body, classified, claimed, canonical, url in rows:
        category, _ = category_label(classified, claimed)
        opening = _one_line(body)
        if len(opening) > ABSTRACT_CHARS:
            opening = opening[:ABSTRACT_CHARS].rsplit(" ", 1)[0] + " …"
        fields = [f"N{article_id}", category, "", _one_line(title), opening,
                  _one_line(canonical or url or ""), "[]", "[]"]  # fmt: skip
        out.write("\t".join(fields) + "\n")
        written += 1
    return written


def _one_line(text: str) -> str:
    return " ".join(text.split())
