"""RSS 2.0 and Atom feeds (home and each category), sitemap.xml and robots.txt.

Every document is the same for everyone, so it is rendered once into ``site.pages`` (at
most ``page_cache_seconds`` stale, the site's documented bound) and served as bytes with
a strong ETag and, for feeds, Last-Modified: feed readers poll, and a 304 costs neither
a query nor the bytes. Browsers and proxies may keep a copy as long as our own cache
would (``max-age`` never exceeds ``page_cache_seconds``). Which articles a feed shows,
and why none dated in the future, is in ``feed_data``; the XML is built in ``feed_xml``
and ``sitemap`` with lxml, never by pasting strings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from dateline.errors import NotFound
from dateline.web import sitemap
from dateline.web.feed_data import feed_items
from dateline.web.feed_xml import FeedMeta, atom, rss
from dateline.web.pages import site_of
from dateline.web.site import Site

router = APIRouter()
MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "xml": "application/xml; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
# Crawlers and feed checkers send HEAD; answer it like GET (the server drops the body).
GET_HEAD = ["GET", "HEAD"]


@dataclass(frozen=True)
class Document:
    """Rendered bytes with their validators."""

    body: bytes
    media_type: str
    etag: str
    last_modified: datetime | None = None  # naive UTC


def document(body: bytes, kind: str, last_modified: datetime | None = None) -> Document:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return Document(body, MEDIA_TYPES[kind], etag, last_modified)


def not_modified(request: Request, doc: Document) -> bool:
    """RFC 9110 §13.1: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or doc.etag in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since and doc.last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return doc.last_modified.replace(tzinfo=UTC, microsecond=0) <= since
    return False


async def serve(request: Request, key: Hashable, build: Callable[[], Document | None]) -> Response:
    """The cached document under ``key`` (built on a miss), or 304, or 404 when None."""
    site = site_of(request)
    doc = site.pages.get(key)
    if doc is None:
        doc = await run_in_threadpool(build)
        if doc is None:
            raise NotFound("There is no document at this address.")
        site.pages.put(key, doc)
    headers = {
        "cache-control": f"public, max-age={int(site.settings.page_cache_seconds)}",
        "etag": doc.etag,
    }
    if doc.last_modified is not None:
        headers["last-modified"] = format_datetime(
            doc.last_modified.replace(tzinfo=UTC), usegmt=True
        )
    if not_modified(request, doc):
        return Response(status_code=304, headers=headers)
    return Response(doc.body, media_type=doc.media_type, headers=headers)


# --- feeds -----------------------------------------------------------------------------------


def build_feed(site: Site, kind: str, label: str | None, slug: str | None) -> Document:
    with site.store.read() as session:
        items = feed_items(session, site.now(), label)
    page_path = f"/c/{quote(slug, safe='-')}" if slug else "/"
    prefix = page_path.rstrip("/")
    meta = FeedMeta(
        site_name=site.name,
        title=f"{site.name} — {label}" if label else f"{site.name} — latest",
        description=(
            f"The newest articles in {label} on {site.name}."
            if label
            else f"The newest articles on {site.name}."
        ),
        base_url=site.base_url,
        page_path=page_path,
        self_path=f"{prefix}/feed.{kind}",
    )
    body = rss(meta, items) if kind == "rss" else atom(meta, items)
    # When the newest of these articles reached us: what a poller's copy may predate.
    seen = max((i.first_seen_at for i in items), default=None)
    return document(body, kind, seen)


async def _feed(request: Request, kind: str, slug: str | None) -> Response:
    site = site_of(request)
    label = None
    if slug is not None:
        label = await run_in_threadpool(site.category_for_slug, slug)
        if label is None:
            raise NotFound(f"No category “{slug}”.")
    return await serve(request, ("feed", kind, slug), lambda: build_feed(site, kind, label, slug))


@router.api_route("/feed.rss", methods=GET_HEAD, include_in_schema=False)
async def feed_rss(request: Request) -> Response:
    return await _feed(request, "rss", None)


@router.api_route("/feed.atom", methods=GET_HEAD, include_in_schema=False)
async def feed_atom(request: Request) -> Response:
    return await _feed(request, "atom", None)


@router.api_route("/c/{slug}/feed.rss", methods=GET_HEAD, include_in_schema=False)
async def category_rss(request: Request, slug: str) -> Response:
    return await _feed(request, "rss", slug)


@router.api_route("/c/{slug}/feed.atom", methods=GET_HEAD, include_in_schema=False)
async def category_atom(request: Request, slug: str) -> Response:
    return await _feed(request, "atom", slug)


# --- sitemap and robots ------------------------------------------------------------------------


def site_paths(site: Site) -> list[str]:
    return ["/"] + [f"/c/{quote(item['slug'], safe='-')}" for item in site.nav()]


def build_sitemap(site: Site) -> Document:
    paths = site_paths(site)
    with site.store.read() as session:
        parts = sitemap.parts(session)
        if sitemap.needs_index(sum(p.articles for p in parts), len(paths)):
            return document(sitemap.index(site.base_url, parts), "xml")
        return document(sitemap.urlset(session, site.base_url, site.now(), paths), "xml")


def build_sitemap_part(site: Site, number: int) -> Document | None:
    with site.store.read() as session:
        if number not in {p.number for p in sitemap.parts(session)}:
            return None
        body = sitemap.urlset(session, site.base_url, site.now(), [], sitemap.part_range(number))
    return document(body, "xml")


@router.api_route("/sitemap.xml", methods=GET_HEAD, include_in_schema=False)
async def sitemap_xml(request: Request) -> Response:
    site = site_of(request)
    return await serve(request, ("sitemap", "main"), lambda: build_sitemap(site))


@router.api_route("/sitemap-site.xml", methods=GET_HEAD, include_in_schema=False)
async def sitemap_site(request: Request) -> Response:
    """Home and category pages: the first part of a sitemap index."""
    site = site_of(request)

    def build() -> Document:
        with site.store.read() as session:
            body = sitemap.urlset(
                session, site.base_url, site.now(), site_paths(site), with_articles=False
            )
        return document(body, "xml")

    return await serve(request, ("sitemap", "site"), build)


@router.api_route("/sitemap-{number}.xml", methods=GET_HEAD, include_in_schema=False)
async def sitemap_part(request: Request, number: int) -> Response:
    site = site_of(request)
    if number < 0:
        raise NotFound(f"No sitemap part {number}.")
    return await serve(request, ("sitemap", number), lambda: build_sitemap_part(site, number))


@router.api_route("/robots.txt", methods=GET_HEAD, include_in_schema=False)
async def robots(request: Request) -> Response:
    site = site_of(request)
    return await serve(
        request, ("robots",), lambda: document(sitemap.robots_txt(site.base_url).encode(), "text")
    )
