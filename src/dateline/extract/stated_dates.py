"""Does a page state a given day? The check that keeps htmldate from inventing one.

htmldate fills in what a page leaves out: "2026-11" (a month) becomes the 1st or today's
day of it (dateutil fills a missing day from today), a copyright year becomes 1 January.
Those days appear nowhere on the page. Such a guess always comes back as a bare day
(midnight, no zone), so a bare day is kept only when the page writes that day somewhere:
in its markup, its metadata or its URL, as digits ("2026-11-01", "01.11.2026",
"11/01/26", "20261101") or with a month name ("1 November 2026", "Nov. 1st, 2026",
"1. November 2026"). A timestamp with a time of day was stated, not filled in.
"""

from __future__ import annotations

import re
from datetime import date

# The first letters of each month's name in the languages htmldate reads (English, German,
# French, Spanish, Italian, Dutch, Portuguese, Indonesian, Turkish): enough to tell the month.
_MONTH_STEMS: tuple[tuple[str, ...], ...] = (
    ("jan", "gen", "ene", "oca"),
    ("feb", "fév", "fev", "şub", "sub"),
    ("mar", "mär", "maa"),
    ("apr", "avr", "abr", "nis"),
    ("may", "mai", "mag", "mei"),
    ("jun", "jui", "giu", "haz"),
    ("jul", "jui", "lug", "tem"),
    ("aug", "aoû", "aou", "ago", "ağu", "agu"),
    ("sep", "set", "eyl"),
    ("oct", "okt", "ott", "out", "eki"),
    ("nov", "kas"),
    ("dec", "dez", "déc", "dic", "des", "ara"),
)
_WORD = re.compile(r"[^\W\d_]{3,}")
# How far around a year a day and a month name may be written ("Thursday, 14 March 2027").
_WINDOW_BEFORE, _WINDOW_AFTER = 40, 24


def states_day(text: str, day: date) -> bool:
    """True when ``text`` (a page's markup and URL) writes ``day`` in a recognisable form."""
    if _numeric(day).search(text):
        return True
    for match in re.finditer(rf"(?<!\d){day.year}(?!\d)", text):
        start = max(0, match.start() - _WINDOW_BEFORE)
        window = text[start : match.end() + _WINDOW_AFTER]
        if _day_token(day).search(window) and _names_month(window, day.month):
            return True
    return False


def _numeric(day: date) -> re.Pattern[str]:
    y, yy, m, d = day.year, f"{day.year % 100:02d}", day.month, day.day
    sep = r"\s?[-/._]\s?"
    forms = (
        rf"{y}{sep}0?{m}{sep}0?{d}",  # 2026-11-01, 2026/11/1
        rf"{y}\s?年\s?0?{m}\s?月\s?0?{d}",  # 2026年11月1日
        rf"{y}{m:02d}{d:02d}",  # 20261101
        rf"0?{d}{sep}0?{m}{sep}(?:{y}|{yy})",  # 01.11.2026, 1/11/26
        rf"0?{m}{sep}0?{d}{sep}(?:{y}|{yy})",  # 11/01/2026
    )
    return re.compile("|".join(rf"(?<!\d){form}(?!\d)" for form in forms))


def _day_token(day: date) -> re.Pattern[str]:
    # "1", "01", "1st", "1er", "1." but not a clock time ("10:01") or part of a number
    digits = f"0?{day.day}" if day.day < 10 else str(day.day)
    return re.compile(rf"(?<![\d:]){digits}(?:st|nd|rd|th|er)?(?![\d:])")


def _names_month(window: str, month: int) -> bool:
    stems = _MONTH_STEMS[month - 1]
    return any(word.lower().startswith(stems) for word in _WORD.findall(window))
