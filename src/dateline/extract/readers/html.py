"""The HTML reader: one web page → one article (body, headline, and what the page claims).

Steps, top to bottom: decode and parse once (``html_parse``), the body from trafilatura
plus the repair of bodies split across containers (``html_body``), paragraph clean-up
(``html_clean``), then the page's claims (``html_meta``). The shared finishing step
(language, wire markers, an empty-body check) runs after this, in
:func:`dateline.extract.finish.finish_article`.
"""

from __future__ import annotations

from collections.abc import Iterator

from dateline.errors import NoArticle
from dateline.extract import html_meta
from dateline.extract.html_body import add_split_body, body_text
from dateline.extract.html_clean import clean_body, has_prose
from dateline.extract.html_parse import parse_html
from dateline.extract.model import ExtractedArticle
from dateline.ingest.raw import RawDocument


def read(doc: RawDocument) -> Iterator[ExtractedArticle]:
    """Yield the page's article; raise NoArticle when the page holds no main text."""
    # 1. decode and parse once; every later step reads this tree
    tree = parse_html(doc)
    # 2. the page's claims (needed before the body: the headline is stripped from it)
    canonical = html_meta.canonical_url(tree, doc.url)
    metadata = html_meta.page_metadata(tree, canonical or doc.url)
    title = metadata.title or ""
    # 3. the body: trafilatura, split-body repair, clean-up of lines it lets through
    paragraphs = [line for line in body_text(tree, doc.url).split("\n") if line.strip()]
    if not has_prose(paragraphs):
        raise NoArticle(
            f"{doc.origin}: no article body found (the page has no block of prose, "
            "only navigation or nothing at all)"
        )
    paragraphs = add_split_body(tree, paragraphs)
    paragraphs = clean_body(paragraphs, html_meta.headline_candidates(tree, title))
    yield ExtractedArticle(
        title=title,
        paragraphs=paragraphs,
        url=doc.url,
        canonical_url=canonical,
        site_name=html_meta.site_name(tree, metadata.sitename),
        byline=metadata.author or None,
        claimed_date=html_meta.claimed_date(metadata.date),
        claimed_category=html_meta.category(tree, metadata.categories),
    )
