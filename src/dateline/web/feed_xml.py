"""RSS 2.0 and Atom 1.0 documents, built as element trees (the library escapes all text).

The output is a pure function of the items: no "now" goes into it, so the same articles
give the same bytes and the same ETag, and conditional GETs keep answering 304 across
cache rebuilds. Links are absolute (``site.base_url``); an entry's id and an item's guid
are the article's short permalink ``/a/{id}``, which survives a title edit (the slugged
URL redirects there from it and back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from dateline import __version__
from dateline.web.feed_data import FeedItem, article_path, xml_text

ATOM_NS = "http://www.w3.org/2005/Atom"
# Atom needs an updated date even for a feed with no entries yet.
EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class FeedMeta:
    """What describes one feed: its title, the page it mirrors, and its own address."""

    site_name: str
    title: str
    description: str
    base_url: str
    page_path: str  # "/" or "/c/{slug}"
    self_path: str  # "/feed.atom", "/c/{slug}/feed.rss", ...


def rfc822(when: datetime) -> str:
    """A naive UTC datetime as RFC 822 (RSS pubDate), e.g. ``Mon, 28 Dec 2020 00:00:00 GMT``."""
    return format_datetime(when.replace(tzinfo=UTC), usegmt=True)


def rfc3339(when: datetime) -> str:
    """A naive UTC datetime as RFC 3339 (Atom), e.g. ``2020-12-28T00:00:00Z``."""
    return when.replace(microsecond=0).isoformat() + "Z"


def newest(items: list[FeedItem]) -> datetime:
    return max((i.date for i in items), default=EPOCH)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _description(item: FeedItem) -> str:
    parts = [item.lead] if item.lead else []
    if item.credit is not None:
        parts.append(item.credit.line())
    return "\n\n".join(parts)


def _serialise(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def rss(meta: FeedMeta, items: list[FeedItem]) -> bytes:
    base = meta.base_url
    root = etree.Element("rss", {"version": "2.0"}, nsmap={"atom": ATOM_NS})
    channel = _sub(root, "channel")
    _sub(channel, "title", meta.title)
    _sub(channel, "link", base + meta.page_path)
    _sub(channel, "description", meta.description)
    _sub(
        channel,
        f"{{{ATOM_NS}}}link",
        href=base + meta.self_path,
        rel="self",
        type="application/rss+xml",
    )
    _sub(channel, "generator", f"Dateline {__version__}")
    _sub(channel, "docs", "https://www.rssboard.org/rss-specification")
    if items:
        _sub(channel, "lastBuildDate", rfc822(newest(items)))
    for item in items:
        entry = _sub(channel, "item")
        _sub(entry, "title", item.title)
        _sub(entry, "link", base + article_path(item.id, item.slug))
        _sub(entry, "guid", f"{base}/a/{item.id}", isPermaLink="true")
        if item.published_at is not None:  # an undated item gets no invented date
            _sub(entry, "pubDate", rfc822(item.published_at))
        _sub(entry, "description", _description(item))
        _sub(entry, "category", item.category)
        _sub(entry, "source", item.source_name, url=f"{base}/source/{item.source_id}")
    return _serialise(root)


def atom(meta: FeedMeta, items: list[FeedItem]) -> bytes:
    base = meta.base_url

    def tag(name: str) -> str:
        return f"{{{ATOM_NS}}}{name}"

    root = etree.Element(tag("feed"), nsmap={None: ATOM_NS})
    _sub(root, tag("id"), base + meta.self_path)
    _sub(root, tag("title"), meta.title)
    _sub(root, tag("subtitle"), meta.description)
    _sub(root, tag("updated"), rfc3339(newest(items)))
    _sub(root, tag("link"), rel="self", type="application/atom+xml", href=base + meta.self_path)
    _sub(root, tag("link"), rel="alternate", type="text/html", href=base + meta.page_path)
    author = _sub(root, tag("author"))
    _sub(author, tag("name"), meta.site_name)
    _sub(author, tag("uri"), base + "/")
    _sub(root, tag("generator"), "Dateline", version=__version__)
    for item in items:
        entry = _sub(root, tag("entry"))
        _sub(entry, tag("id"), f"{base}/a/{item.id}")
        _sub(entry, tag("title"), item.title, type="text")
        _sub(
            entry,
            tag("link"),
            rel="alternate",
            type="text/html",
            href=base + article_path(item.id, item.slug),
        )
        _sub(entry, tag("updated"), rfc3339(item.date))
        if item.published_at is not None:
            _sub(entry, tag("published"), rfc3339(item.published_at))
        source = _sub(entry, tag("author"))
        _sub(source, tag("name"), item.source_name)
        _sub(source, tag("uri"), f"{base}/source/{item.source_id}")
        _sub(entry, tag("category"), term=item.category, label=item.category)
        if item.lead:
            _sub(entry, tag("summary"), item.lead, type="text")
        if item.credit is not None:
            _sub(entry, tag("rights"), item.credit.line(), type="text")
    return _serialise(root)
