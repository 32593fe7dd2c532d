"""The per-page rules behind a source's behaviour score: wrong category, unrelated links.

Pure functions over strings, so every rule can be read and tested on its own;
:mod:`dateline.enrich.sources` counts them per source.

**Claimed category vs classifier.** A page's category is a free string ("Markets",
"Politics and conflicts", "Contact"). It is mapped loosely by word stems to the set of
taxonomy categories it can stand for (``CLAIM_STEMS``: "Markets" → {business},
"Politics…" → {politics, world}). The claim is *wrong* when the classifier's category is
not in that set, or when the claim is site navigation ("Contact", "Home", "About"), which
is never a category. Claims we cannot map ("United States", "News") are not counted
either way: we only call a claim wrong on evidence.

**Unrelated link lists.** A headline in a page's Related/Ranking/Recommendation list is
*related* to the article when it shares at least one significant word with the article's
title, or at least ``MIN_SHARED_BODY_WORDS`` with its body. Significant: at least
``MIN_WORD_CHARS`` letters and not a stop word. A page's lists are *unrelated* when at
least ``UNRELATED_LIST_SHARE`` of their headlines are unrelated.
"""

from __future__ import annotations

import re

# Word stems of claimed category strings and the taxonomy categories each can stand for.
# Neighbouring categories are accepted (a "Politics" claim on a story the classifier
# calls "world" is fair), so only clear mismatches count as wrong.
CLAIM_STEMS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = (
    (("market", "financ", "money", "business", "econom", "stock", "invest", "wealth", "bank",
      "trade", "compan", "crypto", "industr"), frozenset({"business"})),
    (("politic", "election", "government", "congress", "parliament", "policy"),
     frozenset({"politics", "world"})),
    (("world", "international", "global", "foreign", "asia", "europe", "africa", "middle",
      "conflict", "war"), frozenset({"world", "politics"})),
    (("tech", "gadget", "internet", "digital", "software", "comput", "cyber"),
     frozenset({"technology", "science"})),
    (("scien", "space", "research"), frozenset({"science", "technology", "environment"})),
    (("health", "medic", "wellness", "covid", "fitness"), frozenset({"health"})),
    (("environment", "climate", "weather", "nature", "disaster", "earthquake"),
     frozenset({"environment", "world"})),
    (("crime", "law", "justice", "police", "court"), frozenset({"crime", "politics"})),
    (("sport", "football", "soccer", "basketball", "baseball", "tennis", "golf", "cricket",
      "olymp", "nfl", "nba"), frozenset({"sports"})),
    (("entertain", "celebrit", "movie", "film", "music", "television", "culture", "arts",
      "showbiz", "hollywood"), frozenset({"entertainment", "lifestyle"})),
    (("lifestyle", "life", "style", "fashion", "food", "travel", "decor", "beauty", "shop",
      "deals", "living", "relationship"), frozenset({"lifestyle", "entertainment"})),
)  # fmt: skip
# Site navigation shown where a category should be: never a right category.
NAVIGATION_WORDS = frozenset(
    {"contact", "contacts", "about", "home", "privacy", "terms", "login", "subscribe",
     "advertise", "sitemap", "careers", "help"}
)  # fmt: skip

# Significant words: at least this many letters (drops "the", "and", "for", "U.S.")…
MIN_WORD_CHARS = 4
# …and not one of these (frequent in any news text, so sharing them proves nothing).
STOP_WORDS = frozenset(
    """about according after again against also among amid back been before being between
    both could days does down during each even every first following from have here
    including into just last like made
    make many more most much news next only other over people report reports said says
    should since some still such take than that their them then there these they this
    those three time today under until very week were what when where which while will
    with would year years your""".split()
)
# Body words are many, so one shared word happens by chance; two make a topical link.
MIN_SHARED_BODY_WORDS = 2
# A page's lists are unrelated when at least this share of their headlines is. On the
# two seeds 25 of 26 and 26 of 26 headlines share nothing with the article; an honest
# Related list shares words with most of its items.
UNRELATED_LIST_SHARE = 0.8

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def claim_categories(claim: str) -> frozenset[str] | None:
    """Taxonomy categories a claimed category can stand for; empty = navigation; None = unknown."""
    words = [w.casefold() for w in _WORD.findall(claim)]
    found: set[str] = set()
    for word in words:
        for stems, categories in CLAIM_STEMS:
            if word.startswith(stems):
                found |= categories
    if found:
        return frozenset(found)
    if words and all(w in NAVIGATION_WORDS for w in words):
        return frozenset()
    return None


def category_is_wrong(claim: str | None, classified: str | None) -> bool | None:
    """True/False when we can judge the claim against the classifier; None when we cannot."""
    if not claim or not classified:
        return None
    allowed = claim_categories(claim)
    if allowed is None:
        return None
    return classified not in allowed


def significant_words(text: str) -> set[str]:
    words = (w.casefold().replace("’", "'") for w in _WORD.findall(text))
    return {
        w.removesuffix("'s")
        for w in words
        if len(w) >= MIN_WORD_CHARS and w.removesuffix("'s") not in STOP_WORDS
    }


def headline_related(headline: str, title_words: set[str], body_words: set[str]) -> bool:
    words = significant_words(headline)
    return bool(words & title_words) or len(words & body_words) >= MIN_SHARED_BODY_WORDS


def unrelated_share(links: dict[str, list[str]], title: str, body: str) -> tuple[int, int]:
    """(unrelated headlines, all headlines) over a page's link lists."""
    headlines = [h for items in links.values() for h in items if isinstance(h, str)]
    if not headlines:
        return 0, 0
    title_words = significant_words(title)
    body_words = significant_words(body)
    unrelated = sum(not headline_related(h, title_words, body_words) for h in headlines)
    return unrelated, len(headlines)


def links_unrelated(links: dict[str, list[str]] | None, title: str, body: str) -> bool | None:
    """Whether a page's link lists are unrelated to its article; None when it has none."""
    unrelated, total = unrelated_share(links or {}, title, body)
    if not total:
        return None
    return unrelated / total >= UNRELATED_LIST_SHARE
