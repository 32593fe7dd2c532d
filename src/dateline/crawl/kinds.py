"""What a fetched subscription is: a feed, a page, or a sitemap; and what a sitemap lists.

A page that advertises a feed (``<link rel="alternate" type="application/rss+xml">``) is
better followed through the feed, as every feed reader does: :func:`advertised_feeds` finds
them so ``dateline sources add`` can say so. Sitemaps (``<urlset>`` or ``<sitemapindex>``,
sitemaps.org 0.9) are no news document, so the ingest stage's kind detection refuses them;
they are recognised here first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import lxml.html
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from lxml.etree import ParserError

from dateline.errors import InputError, UnsupportedInput
from dateline.extract.dates import parse_claimed_date, to_utc_naive
from dateline.ingest.detect import SNIFF_BYTES
from dateline.ingest.fetch import Fetched
from dateline.ingest.raw import InputKind, RawDocument

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
_SITEMAP_ROOT = re.compile(
    rb"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:\w+:)?(urlset|sitemapindex)[\s>]", re.S
)
# the most URLs read from one sitemap (sitemaps.org allows 50,000 per file)
MAX_SITEMAP_URLS = 50_000


def kind_of(fetched: Fetched) -> tuple[str, RawDocument | None]:
    """feed, page or sitemap, from the body, with the document ingest reads (None for a
    sitemap, which is no news document); raises what ingest's detection raises."""
    data = fetched.data or b""
    if _SITEMAP_ROOT.match(data[:SNIFF_BYTES]):
        return "sitemap", None
    doc = fetched.document()
    if doc.kind is InputKind.FEED:
        return "feed", doc
    if doc.kind is InputKind.HTML:
        return "page", doc
    kind = doc.kind
    raise UnsupportedInput(
        f"{fetched.url}: a {kind.value} document, not a feed, a page or a sitemap to poll"
    )


def advertised_feeds(html: bytes, base_url: str) -> list[str]:
    """Feed URLs a page links in its head, absolute, in page order."""
    try:
        root = lxml.html.fromstring(html[: 512 * 1024])
    except (ParserError, ValueError):
        return []
    found: list[str] = []
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" in rel and kind in FEED_TYPES and href:
            url = urljoin(base_url, href)
            if url.startswith(("http://", "https://")) and url not in found:
                found.append(url)
    return found


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: datetime | None


@dataclass(frozen=True)
class Sitemap:
    """``index`` True: the entries are sitemaps, not pages."""

    index: bool
    entries: list[SitemapEntry]


def read_sitemap(data: bytes, where: str) -> Sitemap:
    """The locations a sitemap lists, newest first when it states dates (DTDs refused)."""
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise InputError(f"{where}: not a readable sitemap: {exc}") from exc
    index = _local(root.tag) == "sitemapindex"
    entries: list[SitemapEntry] = []
    for node in root:
        if len(entries) >= MAX_SITEMAP_URLS:
            break
        fields = {_local(child.tag): (child.text or "").strip() for child in node}
        loc = fields.get("loc", "")
        if loc.startswith(("http://", "https://")):
            entries.append(SitemapEntry(loc, _lastmod(fields.get("lastmod", ""))))
    entries.sort(key=lambda e: (e.lastmod is None, -(e.lastmod.timestamp() if e.lastmod else 0)))
    return Sitemap(index, entries)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _lastmod(text: str) -> datetime | None:
    claimed = parse_claimed_date(text) if text else None
    return to_utc_naive(claimed.value) if claimed is not None else None
