"""Word shingles of a cleaned article body: the sets near-duplicate detection compares.

What a copying site changes must change few shingles:

* **page chrome** that leaked into the body (site name, breadcrumb, "Related" lists of other
  titles, view counters, reaction buttons) comes as short lines without sentence
  punctuation: such lines are left out (:func:`is_prose`);
* **paragraphs dropped or reordered**: shingles never span a line break, so each kept
  paragraph gives exactly the shingles it gave in the original, wherever it now stands;
* **an edited sentence** changes at most its own words' shingles (k-1 either side);
* **changed dates**: numbers, month and weekday names become placeholders, so "on Tuesday,
  December 29, 2020" and "on Saturday, April 26, 2025" give the same shingles.

``SHINGLE_WORDS`` (k) is 5. Shorter shingles (3-4 words) are phrases news prose shares
anyway ("the united states said", "the prime minister of"): on the benchmark's same-story
pairs (COVID-19, impeachment, Hong Kong) the Jaccard of unrelated articles rises. Longer
ones (7+) make every edited word cost k shingles, and short copies lose too much. At k=5
the benchmark shows the widest gap between the weakest true copy and the strongest hard
negative (see ``bench/dedup.py --sweep-k``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

SHINGLE_WORDS = 5

# A line of at least this many words is prose even without closing punctuation; shorter
# unpunctuated lines are chrome (breadcrumbs, counters, buttons, headline lists). Headlines
# in the seeds' link lists run 5-20 words; body paragraphs run 20-120.
CHROME_MAX_WORDS = 24

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_LINE_END_PROSE = re.compile(r"""[.!?…:;]["'”’»)\]]*\s*$""")
_DIGIT_RUN = re.compile(r"\d+")

# Date words stand for one placeholder each: a copy that moved the date is the same text.
_MONTHS = (
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
).split()
_WEEKDAYS = (
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thurs fri sat sun"
).split()
_PLACEHOLDERS = {**dict.fromkeys(_MONTHS, "<month>"), **dict.fromkeys(_WEEKDAYS, "<weekday>")}


def words(text: str) -> list[str]:
    """Normalised word tokens: NFKC, case-folded, every number "0", date words as placeholders."""
    normal = _DIGIT_RUN.sub("0", unicodedata.normalize("NFKC", text).casefold())
    return [_PLACEHOLDERS.get(t, t) for t in _WORD.findall(normal.replace("’", "'"))]


def lines(body: str | Iterable[str]) -> list[str]:
    """The body's non-empty lines (paragraphs, or the lines of a paragraph)."""
    chunks = [body] if isinstance(body, str) else list(body)
    return [line.strip() for chunk in chunks for line in chunk.splitlines() if line.strip()]


def is_prose(line: str, word_count: int) -> bool:
    """Body text rather than page chrome: ends like a sentence, or is long."""
    return word_count >= CHROME_MAX_WORDS or bool(_LINE_END_PROSE.search(line))


def prose_words(body: str | Iterable[str]) -> list[list[str]]:
    """The word tokens of each prose line; when no line looks like prose, of every line."""
    tokenised = [(line, words(line)) for line in lines(body)]
    tokenised = [(line, ws) for line, ws in tokenised if ws]
    prose = [ws for line, ws in tokenised if is_prose(line, len(ws))]
    return prose or [ws for _, ws in tokenised]


def shingles_of_lines(token_lines: Iterable[list[str]], k: int = SHINGLE_WORDS) -> set[bytes]:
    """k-word shingles within each line (a line shorter than k is one shingle)."""
    out: set[bytes] = set()
    for ws in token_lines:
        line = " ".join(ws).encode("utf-8")
        if len(ws) <= k:
            out.add(line)
            continue
        # Byte offsets of each word: slicing the encoded line beats joining k words.
        starts = [0]
        for w in ws:
            starts.append(starts[-1] + len(w.encode("utf-8")) + 1)
        out.update(line[starts[i] : starts[i + k] - 1] for i in range(len(ws) - k + 1))
    return out


def shingles(body: str | Iterable[str], k: int = SHINGLE_WORDS) -> set[bytes]:
    """The shingle set of a cleaned body (a string, or its paragraphs)."""
    return shingles_of_lines(prose_words(body), k)


__all__ = ["CHROME_MAX_WORDS", "SHINGLE_WORDS", "is_prose", "lines", "shingles", "words"]
