"""The extraction steps every input kind shares, run after its reader."""

from __future__ import annotations

import re
from dataclasses import replace

from dateline.errors import NoArticle
from dateline.extract.language import detect_language
from dateline.extract.model import ExtractedArticle
from dateline.extract.wire import find_wire_markers
from dateline.safetext import clean_label, strip_invisible

# A title longer than this is a body that lost its line breaks, not a headline.
MAX_TITLE_CHARS = 500
_SPACES = re.compile(r"[ \t\u00a0\u2009\u200a\u202f]+")


def clean_paragraphs(paragraphs: list[str]) -> list[str]:
    """Collapse runs of spaces inside paragraphs and drop empty ones (also those holding
    nothing visible: a lone bidi control is not a paragraph)."""
    cleaned = (_SPACES.sub(" ", p).strip() for p in paragraphs)
    return [p for p in cleaned if strip_invisible(p).strip()]


def finish_article(article: ExtractedArticle, *, where: str = "input") -> ExtractedArticle:
    """Normalise text, read wire markers, detect the language; refuse an article with no body."""
    paragraphs = clean_paragraphs(article.paragraphs)
    # headlines, names and labels lose bidi controls and invisible characters (safetext)
    title = clean_label(article.title) or ""
    if not paragraphs:
        raise NoArticle(f"{where}: no article body found")
    if len(title) > MAX_TITLE_CHARS:
        title = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
    markers = find_wire_markers(paragraphs)
    byline = clean_label(article.byline or markers.byline)
    if markers.byline_paragraph and len(paragraphs) > 1:
        paragraphs = paragraphs[1:]
    if not title:
        # A headline-less item (some feeds, MIND rows) is titled by its first sentence.
        title = clean_label(_first_sentence(paragraphs[0])) or "…"
    language = article.language or detect_language(title + "\n" + "\n".join(paragraphs[:20]))
    return replace(
        article,
        title=title,
        paragraphs=paragraphs,
        dateline=clean_label(article.dateline or markers.dateline),
        agency=clean_label(article.agency or markers.agency),
        byline=byline,
        language=language,
        site_name=clean_label(article.site_name),
        claimed_category=clean_label(article.claimed_category),
        claimed_reaction_label=clean_label(article.claimed_reaction_label),
    )


def _first_sentence(text: str, limit: int = 120) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[:limit].rsplit(" ", 1)[0] + "…"
