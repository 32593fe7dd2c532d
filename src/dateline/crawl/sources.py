"""``dateline sources``: subscribing to feeds, pages and sitemaps, one at a time or by OPML.

Adding an address fetches it once (through the SSRF guard, like every fetch) to learn its
kind, and to follow a page to the feed it advertises, as feed readers do; an address that
cannot be fetched is refused with the reason, unless the operator states the kind. An OPML
file subscribes to its feeds without fetching any (a list of 500 feeds should not take 500
requests to import); each is checked on its first poll. Export writes every subscription
as OPML 2.0, so a list moves to and from Miniflux, NewsBlur or any reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element, SubElement, indent, tostring

import listparser

from dateline.crawl.kinds import advertised_feeds, kind_of
from dateline.errors import InputError
from dateline.extract import extract_document
from dateline.extract.model import ExtractedArticle
from dateline.ingest.fetch import fetch_bytes
from dateline.ingest.raw import RawDocument
from dateline.settings import Settings
from dateline.store.crawl_models import Subscription
from dateline.store.db import Store
from dateline.store.subscriptions import KINDS, add_subscription, subscription_url

MAX_OPML_BYTES = 5_000_000


@dataclass(frozen=True)
class AddOutcome:
    subscription: Subscription
    created: bool
    note: str = ""


def add_source(
    store: Store,
    settings: Settings,
    url: str,
    now: datetime,
    *,
    name: str | None = None,
    every: int | None = None,
    kind: str | None = None,
) -> AddOutcome:
    """Subscribe to ``url``; without ``kind``, fetch it once to learn what it is."""
    target = subscription_url(url)
    note = ""
    if kind is None:
        kind, target, name, note = _probe(target, settings, name)
    elif kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
    with store.write() as session:
        added = add_subscription(session, target, kind, now, name=name, every=every)
    if not added.created:
        note = "already subscribed"
    return AddOutcome(added.subscription, added.created, note)


def _probe(url: str, settings: Settings, name: str | None) -> tuple[str, str, str | None, str]:
    fetched = fetch_bytes(url, settings)
    kind, doc = kind_of(fetched)
    note = ""
    if kind == "page":
        feeds = advertised_feeds(fetched.data or b"", fetched.final_url)
        if feeds:
            note = (
                f"the page advertises a feed: subscribed to {feeds[0]} (--kind page polls the page)"
            )
            url = subscription_url(feeds[0])
            kind, doc = kind_of(fetch_bytes(url, settings))
    if name is None and doc is not None:
        name = _declared_name(doc)
    return kind, url, name, note


def _declared_name(doc: RawDocument) -> str | None:
    """The site name the document states (a feed's title, a page's og:site_name)."""
    try:
        for item in extract_document(doc):
            if isinstance(item, ExtractedArticle) and item.site_name:
                return item.site_name
    except InputError:
        return None
    return None


@dataclass
class ImportReport:
    added: list[Subscription] = field(default_factory=list)
    known: list[Subscription] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url or title, why)


def import_opml(store: Store, data: bytes, now: datetime, *, where: str = "OPML") -> ImportReport:
    """Subscribe to every feed an OPML list names; a bad entry is reported, the rest go on."""
    if len(data) > MAX_OPML_BYTES:
        raise InputError(f"{where}: larger than {MAX_OPML_BYTES:,} bytes")
    parsed = listparser.parse(data)
    if not parsed.version or (not parsed.feeds and not parsed.lists):
        why = parsed.bozo_exception or "no <opml> root with feed outlines"
        raise InputError(f"{where}: not a readable OPML subscription list: {why}")
    report = ImportReport()
    for entry in parsed.feeds:
        url = (entry.get("url") or "").strip()
        title = (entry.get("title") or "").strip() or None
        try:
            with store.write() as session:
                added = add_subscription(session, url, "feed", now, name=title)
        except InputError as exc:
            report.failed.append((url or title or "?", exc.message))
            continue
        (report.added if added.created else report.known).append(added.subscription)
    for listed in parsed.lists:  # OPML including other OPML: not followed (no fetch on import)
        report.failed.append(
            (listed.get("url") or "?", "a subscription list, not a feed: not followed")
        )
    return report


def export_opml(subscriptions: Sequence[Subscription], title: str, now: datetime) -> bytes:
    """OPML 2.0 of every subscription. Pages and sitemaps are listed too (their ``type``
    says which): imported back they start as feeds and their first poll corrects the kind."""
    opml = Element("opml", version="2.0")
    head = SubElement(opml, "head")
    SubElement(head, "title").text = f"{title} subscriptions"
    SubElement(head, "dateCreated").text = now.strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = SubElement(opml, "body")
    for sub in subscriptions:
        text = sub.name or sub.host
        kind = "rss" if sub.kind == "feed" else sub.kind
        SubElement(body, "outline", {"text": text, "title": text, "type": kind, "xmlUrl": sub.url})
    indent(opml)
    return tostring(opml, encoding="utf-8", xml_declaration=True) + b"\n"
