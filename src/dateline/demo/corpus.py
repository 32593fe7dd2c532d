"""The bundled demo corpus (Wikinews, CC BY 2.5) and what ``dateline demo`` shows of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select

from dateline.pipeline import IngestReport, ingest_many
from dateline.readers.simulate import SimulationSummary, simulate_readership
from dateline.settings import Settings
from dateline.store.db import Store
from dateline.store.models import Article, Page, Source

WIKINEWS_ATTRIBUTION = (
    "Article text from Wikinews (https://en.wikinews.org/), by Wikinews contributors, "
    "licensed CC BY 2.5 (https://creativecommons.org/licenses/by/2.5/); converted to plain text."
)


def demo_corpus_path() -> Path:
    """The shipped corpus file (gzip JSONL; read transparently by the JSONL reader)."""
    return Path(str(resources.files("dateline") / "data" / "wikinews" / "articles.jsonl.gz"))


def load_demo(store: Store, settings: Settings) -> IngestReport:
    """Ingest the demo corpus; running it again is a no-op."""
    return ingest_many([str(demo_corpus_path())], store, settings)


def simulate_demo_readers(
    store: Store, settings: Settings
) -> tuple[datetime | None, SimulationSummary]:
    """Pin the clock to the newest article's day and simulate the readership up to it.

    The clock is the end (23:59:59) of the day the newest article was published: the
    corpus gives dates without times, and a clock at that day's midnight would leave the
    newest article no time at all to be read. Returns the clock (for
    ``DATELINE_SITE_CLOCK``, so time-decayed lists and the simulated views line up) and
    what was simulated; (None, empty summary) for an empty store.
    """
    with store.read() as session:
        newest = session.scalar(select(func.max(Article.published_at)))
    if newest is None:
        return None, SimulationSummary()
    clock = datetime.combine(newest.date(), time(23, 59, 59))
    return clock, simulate_readership(store, settings, clock)


@dataclass(frozen=True)
class DemoSummary:
    articles: int
    pages: int
    sources: int
    first: datetime | None
    last: datetime | None
    by_year: list[tuple[int, int]]
    latest: list[tuple[datetime | None, str, str]]


def summarise(store: Store, latest: int = 8) -> DemoSummary:
    """Counts, date range, articles per year and the newest titles, for the demo's table."""
    with store.read() as session:
        articles = session.scalar(select(func.count()).select_from(Article)) or 0
        pages = session.scalar(select(func.count()).select_from(Page)) or 0
        sources = session.scalar(select(func.count()).select_from(Source)) or 0
        first, last = session.execute(
            select(func.min(Article.published_at), func.max(Article.published_at))
        ).one()
        dates = session.scalars(select(Article.published_at)).all()
        by_year: dict[int, int] = {}
        for value in dates:
            if value is not None:
                by_year[value.year] = by_year.get(value.year, 0) + 1
        rows = session.execute(
            select(Article.published_at, Article.title, Source.name)
            .join(Page, Page.article_id == Article.id)
            .join(Source, Source.id == Page.source_id)
            .order_by(Article.published_at.desc().nulls_last(), Article.id.desc())
            .limit(latest)
        ).all()
    return DemoSummary(
        articles=articles,
        pages=pages,
        sources=sources,
        first=first,
        last=last,
        by_year=sorted(by_year.items()),
        latest=[(r[0], r[1], r[2]) for r in rows],
    )
