"""What an article page says about the article to others: licence credits and schema.org.

Both depend only on the article (never on the reader) and are shared by the page and the
feeds (:mod:`dateline.web.feed_data` credits feed items from ``CREDITS``), so they live
apart from the services that cache and serve pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from dateline.store.queries import ArticleDetail


@dataclass(frozen=True)
class Credit:
    text: str
    url: str
    license: str
    license_url: str


# Licences of sources whose text we may show, keyed by host: shown on every article page.
CREDITS = {
    "en.wikinews.org": (
        "Article text from Wikinews, by Wikinews contributors; converted to plain text.",
        "CC BY 2.5",
        "https://creativecommons.org/licenses/by/2.5/",
    ),
}


def credit_for(article: ArticleDetail) -> Credit | None:
    for carrier in article.carriers:
        host = urlsplit(carrier.url or "").hostname or ""
        if host in CREDITS:
            text, name, url = CREDITS[host]
            return Credit(text=text, url=carrier.url or "", license=name, license_url=url)
    return None


def json_ld(article: ArticleDetail, base_url: str) -> str:
    """schema.org NewsArticle, escaped so it can never close its script element."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title[:110],
        "url": f"{base_url}/a/{article.id}/{article.slug}",
        "mainEntityOfPage": f"{base_url}/a/{article.id}/{article.slug}",
        "publisher": {"@type": "Organization", "name": article.source_name},
        "inLanguage": article.language or None,
        "wordCount": article.word_count,
    }
    if article.published_local:  # the publisher's own offset, when its page gave one
        data["datePublished"] = article.published_local.isoformat()
    elif article.published_at:
        data["datePublished"] = article.published_at.isoformat() + "Z"
    if article.byline:
        data["author"] = {"@type": "Person", "name": article.byline}
    if article.dateline:
        data["dateline"] = article.dateline
    text = json.dumps({k: v for k, v in data.items() if v is not None}, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
