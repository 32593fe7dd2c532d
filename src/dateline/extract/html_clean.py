"""Paragraph-level clean-up of an extracted body: what the tree extractor lets through.

trafilatura finds the right block of a page, but on news pages that block often still
holds the headline, inline "Related:" links, a listing of other posts' teasers, or a
newsletter/copyright tail. Each rule here removes one such kind of line, is written for
pages in general (no site names), and was kept only when it raised F1 on the extraction
benchmark's dev half (see ``bench/extraction.py``).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")

# A leading paragraph is the headline again when at least this share of its words are
# words of one headline form, and it is not much longer than that headline.
HEADLINE_WORD_SHARE = 0.8
HEADLINE_EXTRA_WORDS = 4

# "Related: <headline>" and the like: an inline link to another story. Longer lines that
# start this way are prose ("Related: the study found...") and are kept.
_RELATED = re.compile(
    r"^\s*(?:related(?:\s+(?:posts?|articles?|stories|story|content|reading|links?))?"
    r"|read\s+(?:more|also|next)|also\s+read|see\s+also|more|also|recommended(?:\s+\w+)?"
    r"|you\s+(?:may|might)\s+also\s+like|also\s+on\s+[\w.]+|more\s+from\s+[\w.]+"
    r"|leia\s+também|lesen\s+sie\s+auch|lire\s+aussi|leggi\s+anche|lee\s+también"
    r"|mehr\s+zum\s+thema)\s*(?:[:»>|–—-]|$)",
    re.IGNORECASE,
)
MAX_RELATED_WORDS = 25

# Page furniture that trails an article: newsletter boxes, share prompts, comment
# counters, copyright and tag lines. Only removed from the end of the body.
_TRAILING = re.compile(
    r"^\W*(?:\d+\s+)?comments?\W*$"
    r"|^\s*(?:filed\s+under|tags?|categories|category|source|image\s+source)\s*:"
    r"|newsletter|sign\s+up|subscribe|©|\bcopyright\b|all\s+rights\s+reserved"
    r"|share\s+(?:this|it)|follow\s+(?:us|@)|click\s+here|^\S+@\S+\.\w+$"
    r"|^(?:https?://|www\.|twitter\.com/)\S+$",
    re.IGNORECASE,
)
MAX_TRAILING_WORDS = 40


# A body needs one sentence-sized paragraph; a page of menu labels ("Home", "News") that
# trafilatura's whole-page fallback returns is not an article.
MIN_PROSE_WORDS = 8


def has_prose(paragraphs: list[str]) -> bool:
    """True when at least one paragraph is sentence-sized."""
    return any(len(words(p)) >= MIN_PROSE_WORDS for p in paragraphs)


def words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def drop_leading_headlines(paragraphs: list[str], headlines: list[str]) -> list[str]:
    """Drop leading paragraphs that repeat the headline (in any of its page forms)."""
    forms = [set(words(h)) for h in headlines]
    forms = [f for f in forms if f]
    start = 0
    while start < len(paragraphs) - 1 and _is_headline(paragraphs[start], forms):
        start += 1
    return paragraphs[start:]


def _is_headline(paragraph: str, forms: list[set[str]]) -> bool:
    tokens = words(paragraph)
    if not tokens:
        return False
    for form in forms:
        share = sum(t in form for t in tokens) / len(tokens)
        if share >= HEADLINE_WORD_SHARE and len(tokens) <= len(form) + HEADLINE_EXTRA_WORDS:
            return True
    return False


def drop_related_links(paragraphs: list[str]) -> list[str]:
    """Drop short "Related: …", "Read more: …" lines that link to other stories."""
    return [p for p in paragraphs if not (_RELATED.match(p) and len(words(p)) <= MAX_RELATED_WORDS)]


def drop_trailing_furniture(paragraphs: list[str]) -> list[str]:
    """Drop newsletter, share, comment-count and copyright lines from the end."""
    end = len(paragraphs)
    while end > 1 and _is_furniture(paragraphs[end - 1]):
        end -= 1
    return paragraphs[:end]


def _is_furniture(paragraph: str) -> bool:
    return len(words(paragraph)) <= MAX_TRAILING_WORDS and bool(_TRAILING.search(paragraph))


def clean_body(paragraphs: list[str], headlines: list[str]) -> list[str]:
    """All the rules, in the order they were measured."""
    paragraphs = drop_leading_headlines(paragraphs, headlines)
    paragraphs = drop_related_links(paragraphs)
    return drop_trailing_furniture(paragraphs)
