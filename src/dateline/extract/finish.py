"""The extraction steps every input kind shares, run after its reader."""

from __future__ import annotations

import re
from dataclasses import replace

from dateline.errors import NoArticle
from dateline.extract.language import detect_language
from dateline.extract.model import ExtractedArticle
from dateline.extract.wire import find_wire_markers

# A title longer than this is a body that lost its line breaks, not a headline.
MAX_TITLE_CHARS = 500
_SPACES = re.compile(r"[ \t\u00a0\u2009\u200a\u202f]+")


def clean_paragraphs(paragraphs: list[str]) -> list[str]:
    """Collapse runs of spaces inside paragraphs and drop empty ones."""
    cleaned = (_SPACES.sub(" ", p).strip() for p in paragraphs)
    return [p for p in cleaned if p]


def finish_article(article: ExtractedArticle, *, where: str = "input") -> ExtractedArticle:
    """Normalise text, read wire markers, detect the language; refuse an article with no body."""
    paragraphs = clean_paragraphs(article.paragraphs)
    title = " ".join(article.title.split())
    if not paragraphs:
        raise NoArticle(f"{where}: no article body found")
    if len(title) > MAX_TITLE_CHARS:
        title = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
    markers = find_wire_markers(paragraphs)
    byline = article.byline or markers.byline
    if markers.byline_paragraph and len(paragraphs) > 1:
        paragraphs = paragraphs[1:]
    if not title:
        # A headline-less item (some feeds, MIND rows) is titled by its first sentence.
        title = _first_sentence(paragraphs[0])
    language = article.language or detect_language(title + "\n" + "\n".join(paragraphs[:20]))
    return replace(
        article,
        title=title,
        paragraphs=paragraphs,
        dateline=article.dateline or markers.dateline,
        agency=article.agency or markers.agency,
        byline=byline,
        language=language,
    )


def _first_sentence(text: str, limit: int = 120) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[:limit].rsplit(" ", 1)[0] + "…"
