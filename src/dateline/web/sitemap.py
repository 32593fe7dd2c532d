"""sitemap.xml (a urlset, or an index of parts on a large site) and robots.txt.

A sitemap may list at most 50,000 URLs. Up to that, ``/sitemap.xml`` is one urlset: home,
the category pages and every article. Beyond it, ``/sitemap.xml`` is a sitemap index of
``/sitemap-site.xml`` (home and categories) and ``/sitemap-{n}.xml``, part ``n`` holding the
articles with ids in ``[n * MAX_URLS + 1, (n + 1) * MAX_URLS]``: id ranges, so a part is
an index range scan, never an OFFSET, and an article never moves to another part.

Only id, title (for the slug) and date columns are read, streamed in batches and written
with lxml's incremental writer, so a large site costs memory for one batch, not the lot.
``lastmod`` is the article's date (published, else first seen); a published date after
the site's clock plus a day is a claim we do not repeat, so such an article has no lastmod.
Articles are listed in id order: nothing here sorts by a claimed date.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dateline.store.models import Article
from dateline.store.queries import shown, slugify
from dateline.web.feed_data import article_path, horizon
from dateline.web.feed_xml import rfc3339

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# The sitemaps.org limit of URLs per file (read at call time: tests lower it).
MAX_URLS = 50_000
STREAM_BATCH = 5_000
ROBOTS_DISALLOW = ("/me", "/search", "/api/", "/a/*/react")


@dataclass(frozen=True)
class SitemapPart:
    number: int
    articles: int
    newest_seen: datetime | None


def parts(session: Session) -> list[SitemapPart]:
    """Non-empty article parts of MAX_URLS ids each: one scan of the primary key."""
    span = MAX_URLS
    number = ((Article.id - 1) // span).label("part")
    rows = session.execute(
        select(number, func.count(), func.max(Article.first_seen_at))
        .where(shown())
        .group_by(number)
        .order_by(number)
    ).all()
    return [SitemapPart(int(n), int(c), seen) for n, c, seen in rows]


def needs_index(article_count: int, site_urls: int) -> bool:
    return article_count + site_urls > MAX_URLS


def _entry(xf: Any, tag: str, loc: str, lastmod: datetime | None = None) -> None:
    """One <url> or <sitemap> entry (written inside the root, so no namespace repeats)."""
    with xf.element(f"{{{SITEMAP_NS}}}{tag}"):
        with xf.element(f"{{{SITEMAP_NS}}}loc"):
            xf.write(loc)
        if lastmod is not None:
            with xf.element(f"{{{SITEMAP_NS}}}lastmod"):
                xf.write(rfc3339(lastmod))


def lastmod(
    published_at: datetime | None, first_seen_at: datetime, now: datetime
) -> datetime | None:
    if published_at is None:
        return first_seen_at
    return published_at if published_at <= horizon(now) else None


def urlset(
    session: Session,
    base_url: str,
    now: datetime,
    site_paths: list[str],
    id_range: tuple[int, int] | None = None,
    *,
    with_articles: bool = True,
) -> bytes:
    """A urlset of ``site_paths`` and the articles (all, or ids in ``id_range``)."""
    query = (
        select(Article.id, Article.title, Article.published_at, Article.first_seen_at)
        .where(shown())
        .order_by(Article.id)
        .execution_options(yield_per=STREAM_BATCH)
    )
    if id_range is not None:
        query = query.where(Article.id.between(*id_range))
    buffer = io.BytesIO()
    with etree.xmlfile(buffer, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS}):
            for path in site_paths:
                _entry(xf, "url", base_url + path)
            for row in session.execute(query) if with_articles else ():
                loc = base_url + article_path(row.id, slugify(row.title))
                _entry(xf, "url", loc, lastmod(row.published_at, row.first_seen_at, now))
    return buffer.getvalue()


def index(base_url: str, article_parts: list[SitemapPart]) -> bytes:
    """The sitemap index: the site part, then each non-empty article part."""
    buffer = io.BytesIO()
    with etree.xmlfile(buffer, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{SITEMAP_NS}}}sitemapindex", nsmap={None: SITEMAP_NS}):
            entries: list[tuple[str, datetime | None]] = [(f"{base_url}/sitemap-site.xml", None)]
            entries += [
                (f"{base_url}/sitemap-{p.number}.xml", p.newest_seen) for p in article_parts
            ]
            for loc, seen in entries:
                _entry(xf, "sitemap", loc, seen)
    return buffer.getvalue()


def part_range(number: int) -> tuple[int, int]:
    return number * MAX_URLS + 1, (number + 1) * MAX_URLS


def robots_txt(base_url: str) -> str:
    """Everything may be crawled but per-reader pages, search results, the API and forms."""
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in ROBOTS_DISALLOW]
    lines += ["", f"Sitemap: {base_url}/sitemap.xml", ""]
    return "\n".join(lines)
