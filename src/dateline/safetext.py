"""Text from untrusted pages made safe to show as a headline, a name or a label.

Two tricks of hostile pages that escaping cannot stop, since they are valid text:

- **Invisible characters** (Unicode TR #36, 2.1 and 2.3). Bidi controls reorder what is
  shown, so "\\u202egnp.exe\\u202c" displays as "exe.png"; zero-width and other format
  characters hide inside a word ("pay\\u200bpal" is not "paypal" to search, yet looks it).
  :func:`strip_invisible` removes them from headlines, names and labels. Bodies keep
  them (a paragraph contains its own bidi runs), and a page's raw hash still identifies
  the bytes as received: the evidence is not rewritten. Joiners that
  scripts need stay: ZWJ and ZWNJ between two characters of scripts that use them (Arabic,
  Persian, the Indic scripts, emoji sequences), tag characters of an emoji flag sequence,
  and the Arabic number signs, which are visible.
- **Mixed-script look-alikes** (Unicode TS #39, 5.1). "pаypal" with a Cyrillic "а" reads as
  "paypal". :func:`lookalikes` applies TS #39's mixed-script rule per word: a word whose
  letters share no script (Common and Inherited characters, such as digits and accents,
  fit any; Han fits Japanese and Korean writing) is flagged, not changed.

A domain module like :mod:`dateline.taxonomy`: every layer may import it.
"""

from __future__ import annotations

import functools
import unicodedata

import regex

# What may need removing: format (Cf) and control (Cc) characters, the Hangul fillers that
# render as nothing (a favourite for blank names) and the combining grapheme joiner.
_SUSPECT = regex.compile(r"[\p{Cf}\p{Cc}\u034f\u115f\u1160\u3164\uffa0]")
_KEEP_CONTROLS = frozenset("\t\n\r")
_JOINERS = frozenset("\u200c\u200d")  # ZWNJ, ZWJ
# Prepended concatenation marks (Cf, yet printed): Arabic and Syriac number signs, Kaithi.
_VISIBLE_FORMAT = frozenset(
    "\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd"
)
_BLACK_FLAG = "\U0001f3f4"
_TAGS = range(0xE0020, 0xE0080)
# Scripts before Hebrew (Latin, Greek, Cyrillic, Armenian) never need a joiner.
_FIRST_JOINING = 0x0590

_WORD = regex.compile(r"\w+")
_INHERITED = regex.compile(r"\p{sc=Zinh}")
_COMMON = regex.compile(r"\p{sc=Zyyy}")
# ISO 15924 codes of the scripts in use today (what a headline or a name is written in);
# a letter of any other script counts as a script of its own, "Zzzz".
_SCRIPTS = (
    "Adlm Arab Armn Beng Bopo Cans Cher Cyrl Deva Ethi Geor Grek Gujr Guru Hang Hani Hebr "
    "Hira Kana Khmr Knda Laoo Latn Mlym Mong Mtei Mymr Nkoo Olck Orya Sinh Syrc Taml Telu "
    "Tfng Thaa Thai Tibt Vaii Yiii"
).split()
_SCRIPT_PATTERNS = {code: regex.compile(rf"\p{{scx={code}}}") for code in _SCRIPTS}
# TS #39's augmented script sets: Han is also Japanese, Korean and Han with Bopomofo.
_AUGMENTED = {
    "Hani": {"Hanb", "Jpan", "Kore"},
    "Hira": {"Jpan"},
    "Kana": {"Jpan"},
    "Hang": {"Kore"},
    "Bopo": {"Hanb"},
}


def strip_invisible(text: str) -> str:
    """``text`` without bidi controls and invisible characters (see the module docstring).

    Tabs and line breaks stay (collapsing whitespace is the caller's business).
    """
    if not text or _SUSPECT.search(text) is None:
        return text
    out: list[str] = []
    in_flag = False
    for index, char in enumerate(text):
        if _SUSPECT.match(char) is None or char in _KEEP_CONTROLS or char in _VISIBLE_FORMAT:
            out.append(char)
            in_flag = char == _BLACK_FLAG
        elif ord(char) in _TAGS and in_flag:
            out.append(char)  # an emoji flag's tag sequence (England, Scotland, Wales)
        elif char in _JOINERS and _joins(text, index):
            out.append(char)
    return "".join(out)


def clean_label(text: str | None) -> str | None:
    """A one-line label (headline, name, category): invisible characters stripped and
    whitespace collapsed; None and empty stay as they are."""
    if not text:
        return text
    return " ".join(strip_invisible(text).split())


def _joins(text: str, index: int) -> bool:
    """A ZWJ or ZWNJ between two characters of scripts that use joiners."""
    if index == 0 or index == len(text) - 1:
        return False
    before, after = text[index - 1], text[index + 1]
    return all(
        ord(c) >= _FIRST_JOINING and unicodedata.category(c)[0] in "LMS" for c in (before, after)
    )


def lookalikes(text: str | None) -> list[str]:
    """The words of ``text`` that mix scripts (TS #39 mixed-script detection), in order,
    each once."""
    if not text or text.isascii():
        return []
    found: list[str] = []
    for word in _WORD.findall(strip_invisible(text)):
        if not word.isascii() and _mixed(word) and word not in found:
            found.append(word)
    return found


def _mixed(word: str) -> bool:
    resolved: frozenset[str] | None = None  # None: every script (nothing seen yet)
    for char in word:
        scripts = _scripts_of(char)
        if scripts is None:
            continue
        resolved = scripts if resolved is None else resolved & scripts
        if not resolved:
            return True
    return False


@functools.lru_cache(maxsize=8192)
def _scripts_of(char: str) -> frozenset[str] | None:
    """The character's augmented script extensions; None for Common and Inherited."""
    if char.isascii():
        return None if not char.isalpha() else frozenset({"Latn"})
    if _INHERITED.match(char):  # combining accents: they take their base's script
        return None
    found: set[str] = set()
    for code, pattern in _SCRIPT_PATTERNS.items():
        if pattern.match(char):
            found.add(code)
            found.update(_AUGMENTED.get(code, ()))
    if found:
        return frozenset(found)
    return None if _COMMON.match(char) else frozenset({"Zzzz"})


__all__ = ["clean_label", "lookalikes", "strip_invisible"]
