"""Sources are sites: how a page's source is identified, named and found again.

A source is the *site* a page comes from: its declared name (``og:site_name``, a feed's
title, a dump's site line) together with the scheme, host and port of its address. So
three sites served from one host (a newsroom's staging server, a farm network on one
machine) are three sources, and a page never takes another site's name: a source keeps
the name it was created with. The key is

* ``{scheme}://{host}[:port]|{declared name, case-folded}`` for a page with an address
  and a declared name (``www.`` dropped, default ports dropped);
* ``{scheme}://{host}[:port]`` for a page with an address and no name (named after a
  well-known host, else the host);
* ``name:{declared name, case-folded}`` for a page with a name and no address (a file);
* ``unknown`` for neither.

A source's home URL keeps the scheme and port it was reached by.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import SplitResult, urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dateline.extract.model import ExtractedArticle
from dateline.store.models import Article, Page, Source

# Query parameters that only track a click; two URLs differing in them are one page.
TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ref_src", "cmpid")
# The source key of items that name no site and have no URL.
UNKNOWN_SOURCE = "unknown"
# Names for well-known hosts whose pages do not state one (the bundled Wikinews JSONL,
# MIND rows): "Wikinews" reads better than "en.wikinews.org". A page's own name wins.
KNOWN_SITE_NAMES = {
    "en.wikinews.org": "Wikinews",
    "apnews.com": "AP News",
    "reuters.com": "Reuters",
    "bbc.co.uk": "BBC",
    "bbc.com": "BBC",
    "msn.com": "MSN",
}
DEFAULT_PORTS = {"http": 80, "https": 443}
_KEY_CHARS = 255  # sources.key


def normalise_url(url: str | None) -> str | None:
    """Canonical form for identity: http(s) only, lower-case host, no fragment or trackers."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    query = "&".join(
        kv for kv in parts.query.split("&") if kv and not kv.lower().startswith(TRACKING_PARAMS)
    )
    netloc = parts.hostname.lower() + (f":{port}" if port else "")
    return urlunsplit(
        SplitResult(parts.scheme.lower(), netloc, parts.path or "/", query, fragment="")
    )


def site_origin(url: str) -> tuple[str, str]:
    """(``scheme://host[:port]``, host) of a normalised URL: ``www.`` and default ports
    dropped, other ports kept (``http://127.0.0.1:8000`` is not ``https://127.0.0.1``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    port = parts.port
    suffix = f":{port}" if port and port != DEFAULT_PORTS.get(parts.scheme) else ""
    return f"{parts.scheme}://{host}{suffix}", host


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def source_key(article: ExtractedArticle) -> tuple[str, str, str | None]:
    """(key, display name, home URL) of the site a page comes from (module docstring)."""
    url = normalise_url(article.canonical_url) or normalise_url(article.url)
    declared = " ".join(article.site_name.split()) if article.site_name else ""
    if url:
        origin, host = site_origin(url)
        if not declared:
            return _fit(origin), KNOWN_SITE_NAMES.get(host, host), origin + "/"
        return _fit(f"{origin}|{_name_key(declared)}"), declared, origin + "/"
    if declared:
        return _fit("name:" + _name_key(declared)), declared, None
    return UNKNOWN_SOURCE, "Unknown source", None


def _fit(key: str) -> str:
    """Keys longer than the column keep their start and end in a hash of the whole."""
    if len(key) <= _KEY_CHARS:
        return key
    return key[:180] + "|sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def host_of(source: Source) -> str | None:
    """The host a source is reached at (None for a source known only by name)."""
    if source.home_url:
        return urlsplit(source.home_url).hostname
    if source.key.startswith(("http://", "https://")):
        return urlsplit(source.key.split("|", 1)[0]).hostname
    return None


def source_for(session: Session, article: ExtractedArticle, now: datetime) -> Source:
    """The page's source, created on first sight; an existing one is never renamed."""
    key, name, home = source_key(article)
    source = session.scalars(select(Source).where(Source.key == key)).first()
    if source is None:
        source = Source(key=key, name=name[:255], home_url=home, kind="unknown", created_at=now)
        session.add(source)
        session.flush()
    return source


@dataclass(frozen=True)
class SourceCounts:
    """A source with what it carries: pages (every version) and articles it leads."""

    source: Source
    pages: int
    articles: int


def sources_with_counts(session: Session) -> list[SourceCounts]:
    """Every source, by name (then id), with its page and lead-article counts."""
    pages = select(Page.source_id, func.count().label("n")).group_by(Page.source_id).subquery()
    leads = (
        select(Page.source_id, func.count().label("n"))
        .join(Article, Article.lead_page_id == Page.id)
        .where(Article.superseded_by_id.is_(None))
        .group_by(Page.source_id)
        .subquery()
    )
    rows = session.execute(
        select(Source, pages.c.n, leads.c.n)
        .outerjoin(pages, pages.c.source_id == Source.id)
        .outerjoin(leads, leads.c.source_id == Source.id)
        .order_by(Source.name, Source.id)
    ).all()
    return [SourceCounts(s, int(p or 0), int(a or 0)) for s, p, a in rows]


__all__ = [
    "KNOWN_SITE_NAMES",
    "TRACKING_PARAMS",
    "UNKNOWN_SOURCE",
    "SourceCounts",
    "host_of",
    "normalise_url",
    "site_origin",
    "source_for",
    "source_key",
    "sources_with_counts",
]
