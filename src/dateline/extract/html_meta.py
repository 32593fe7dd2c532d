"""What an HTML page claims about itself: canonical URL, site, date, section, author.

trafilatura's metadata pass (``<meta>``, JSON-LD, and htmldate for the date) does most of
the reading; this module asks it for what we need and keeps only values we can trust:
absolute http(s) URLs, dates with exactly the precision the page gave, one short section.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from htmldate import find_date
from lxml.html import HtmlElement, tostring
from trafilatura.metadata import examine_meta, extract_meta_json, extract_sitename, extract_title
from trafilatura.settings import Document

from dateline.extract.dates import parse_claimed_date
from dateline.extract.model import ClaimedDate
from dateline.extract.stated_dates import states_day

_LOG = logging.getLogger(__name__)

# The latest day a page may claim. htmldate's default (max_date) is the end of today: a
# later date was not kept but cut down to a month it could accept ("2026-12-25" became
# "2026-12-01", a day the page never states). A date ahead of today is still the page's
# claim; the enrich stage judges it (``enrich/dates.py`` flags it "in the future").
LATEST_CLAIM = datetime(2199, 12, 31, 23, 59, 59)
# htmldate parameters. original_date: the publication date, not "updated". The format
# keeps time and zone when the page states them; deferred_url_extractor: a date in the
# URL is only a day, so a full timestamp from the markup is preferred over it.
# extensive_search reads dates written in the text too; the days it (and the metadata
# parser) fills in from a month or a year are refused by ``stated_date``.
DATE_PARAMS: dict[str, Any] = {
    "original_date": True,
    "extensive_search": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
    "deferred_url_extractor": True,
    "max_date": LATEST_CLAIM,
}
# htmldate renders a page that only gives a day as midnight with no zone.
_DAY_ONLY = re.compile(r"^(\d{4}-\d{2}-\d{2})T00:00:00$")
# A section name longer than this is a keyword dump (some CMSs put every tag there).
MAX_CATEGORY_CHARS = 60


def page_metadata(tree: HtmlElement, url: str | None) -> Document:
    """Title, author, site name, categories and date (htmldate) the page declares.

    The cheap part of trafilatura's metadata pass: ``<meta>`` tags, JSON-LD, the title
    element. Its free-text author and tag searches are skipped (most of its cost): a byline
    the markup does not declare is still read from the body by ``finish_article``.
    """
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None  # a single word is a handle or a site, not a byline
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # malformed JSON-LD must not lose the article
        _LOG.debug("unreadable JSON-LD metadata: %s", url)
    metadata.title = metadata.title or extract_title(tree)
    metadata.sitename = metadata.sitename or extract_sitename(tree)
    metadata.date = stated_date(find_date(tree, url=url, **DATE_PARAMS), tree, url)
    return metadata


def stated_date(found: str | None, tree: HtmlElement, url: str | None) -> str | None:
    """htmldate's answer, or None when it is a day the page does not write anywhere.

    htmldate fills in what a page leaves out (a month's first day, today's day of a month, a
    copyright year's 1 January), and renders such a guess as a bare day; a bare day is kept
    only when the page's markup or URL states it (:func:`~dateline.extract.stated_dates.states_day`).
    """
    day = _DAY_ONLY.match(found or "")
    if found is None or day is None:
        return found
    try:
        value = date.fromisoformat(day.group(1))
    except ValueError:
        return None
    text = tostring(tree, encoding="unicode") + " " + (url or "")
    if states_day(text, value):
        return found
    _LOG.debug("htmldate's %s is not stated on the page: %s", found, url)
    return None


def canonical_url(tree: HtmlElement, page_url: str | None) -> str | None:
    """``<link rel=canonical>`` or ``og:url``, resolved against the page URL, http(s) only."""
    candidates = tree.xpath(
        '//link[translate(@rel, "CANONIL", "canonil")="canonical"]/@href'
        '|//meta[@property="og:url"]/@content'
    )
    for candidate in candidates:
        url = absolute_http_url(str(candidate), page_url)
        if url:
            return url
    return None


def absolute_http_url(href: str, base: str | None) -> str | None:
    """``href`` as an absolute http(s) URL, or None (javascript:, mailto:, unresolvable)."""
    href = href.strip()
    if not href:
        return None
    if base:
        href = urljoin(base, href)
    parts = urlsplit(href)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return href


def claimed_date(raw: str | None) -> ClaimedDate | None:
    """htmldate's answer as a ClaimedDate: aware, naive or a plain day, as the page gave it."""
    if not raw:
        return None
    day = _DAY_ONLY.match(raw)
    return parse_claimed_date(day.group(1) if day else raw)


def meta_content(tree: HtmlElement, *names: str) -> str | None:
    """The first non-empty ``<meta property|name=NAME content>`` among ``names``."""
    for name in names:
        for value in tree.xpath(f'//meta[@property="{name}" or @name="{name}"]/@content'):
            text = " ".join(str(value).split())
            if text:
                return text
    return None


def site_name(tree: HtmlElement, fallback: str | None) -> str | None:
    """``og:site_name`` when the page gives one, else trafilatura's guess."""
    return meta_content(tree, "og:site_name") or (fallback or None)


def category(tree: HtmlElement, categories: list[str] | None) -> str | None:
    """The page's section (``article:section``), else trafilatura's first category."""
    found = meta_content(tree, "article:section")
    if not found and categories:
        found = " ".join(categories[0].split())
    if not found or len(found) > MAX_CATEGORY_CHARS:
        return None
    return found


def headline_candidates(tree: HtmlElement, title: str | None) -> list[str]:
    """Every form of the headline the page shows: metadata title, og:title, ``<h1>``s.

    The body cleaner drops a leading paragraph that repeats one of these.
    """
    found = [title or "", meta_content(tree, "og:title", "twitter:title") or ""]
    found += [" ".join(h.text_content().split()) for h in tree.iter("h1")]
    return [text for text in found if text]
