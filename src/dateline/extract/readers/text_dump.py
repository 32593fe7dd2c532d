"""Reader for plain-text dumps of content-farm article pages (one article per document).

The template family, as dumped to text, looks like this (every part but the headline and
body optional, blank lines anywhere, CRLF or LF)::

    Current:Home > MarketsSome headline here -Some Site Name     <- breadcrumb
    Some headline here                                           <- headline
    View                                                         <- meta: view counter
    Date:2025-04-26 04:00:14                                     <- meta: claimed date
    CITY (AP) — First paragraph …                                <- body, one paragraph a line
    …
    veryGood! (7359)                                             <- reaction button(s)
    Related                                                      <- link sections: heading,
    - Another headline                                              then one headline a line,
    Recommendation                                                  bullets optional
    Yet another headline

Parsing runs as small steps over the non-empty lines: split the header (breadcrumb and
headline), read the meta lines, find where the link sections start, peel reaction lines
off the end of the body, read the link sections. Everything the page says about itself
(category, views, date, reactions, link lists) is kept as a *claim*, never as content.

Decisions worth knowing:

* The breadcrumb is split with the headline: ``<prefix>Home > <category><headline> -<site>``
  (the category is glued to the headline in this family). When the breadcrumb does not
  hold the headline, its last segment is the category, and a trailing `` -Site`` /
  `` | Site`` on that segment is read as the site name.
* A document that is not this template but is plain text is read the same way: with no
  breadcrumb, the first line is the headline and the remaining lines are paragraphs
  (chrome recognised at the end is still removed). A document with a headline but no body
  raises :class:`~dateline.errors.NoArticle`; empty or binary input raises the decoding
  errors of :func:`~dateline.extract.decode.decode_bytes`.
* One line is one paragraph: the family never hard-wraps, so lines are not re-joined.
* Bytes are decoded by :func:`~dateline.extract.decode.decode_bytes`, with the charset
  of ``doc.media_type`` (or a Content-Type header) as the declared one when present.
* Dateline, agency and language are left to :func:`dateline.extract.finish.finish_article`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from dateline.errors import NoArticle
from dateline.extract.dates import parse_claimed_date
from dateline.extract.decode import decode_bytes
from dateline.extract.model import ClaimedDate, ExtractedArticle
from dateline.ingest.raw import RawDocument

# --- thresholds ------------------------------------------------------------------------

# A breadcrumb prefix ("Current:", "You are here:") is a short label: at most this many words.
MAX_PREFIX_WORDS = 4
# When the breadcrumb does not hold the whole headline (truncated, re-punctuated), we look
# for the headline's opening words instead: this many characters of it, cut at a word end.
TITLE_PROBE_CHARS = 24
# A probe shorter than this matches too easily by chance ("The", "New") to locate a title.
MIN_TITLE_PROBE_CHARS = 12
# The meta block under the headline (view counter, date, source) is never longer than this.
MAX_META_LINES = 6
# Other labelled meta lines ("Source: …", "Author: …") are short; longer ones are prose.
MAX_META_VALUE_CHARS = 80
# A reaction button label ("veryGood!", "Thumbs up", "👍") is short: chars and words.
MAX_REACTION_LABEL_CHARS = 24
MAX_REACTION_LABEL_WORDS = 3
# A list heading we do not know by name is short: at most this many words and characters…
MAX_HEADING_WORDS = 4
MAX_HEADING_CHARS = 40
# …and is followed by at least this many bulleted lines.
MIN_BULLETED_ITEMS_AFTER_HEADING = 2
# Link lists hold headlines, which rarely end with a full stop; body paragraphs nearly
# always do. A candidate heading starts the link sections only when at most this share of
# the lines under it (up to the next heading) end like a sentence, so a sub-heading
# "Latest" inside the article is not taken for a list. Bulleted lines never count.
MAX_SENTENCE_SHARE_IN_LISTS = 0.5
# How much of a document the sniffer reads, and how many lines from the top it looks at
# for a breadcrumb and for a date line.
SNIFF_CHARS = 20_000
SNIFF_BREADCRUMB_LINES = 3
SNIFF_DATE_LINES = 8

# --- patterns ----------------------------------------------------------------------------

# Each pattern that may start inside a run of the characters it begins with starts only at
# the run's first one (the lookbehinds): a long run then costs one try, not one per
# character (tests/test_regex_growth.py).
_SEPARATOR = re.compile(r"(?<!\s)\s*[>»›/→＞]\s*")
_KNOWN_PREFIX = re.compile(
    r"^(?:current(?:\s+(?:location|position|page))?|location|position|you\s+are\s+here|"
    r"breadcrumbs?|path|当前位置|位置)\s*[:：]\s*",
    re.IGNORECASE,
)
_GENERIC_PREFIX = re.compile(rf"^[^\W\d_]+(?:\s+[^\W\d_]+){{0,{MAX_PREFIX_WORDS - 1}}}\s*[:：]\s*")
_HOME_WORD = re.compile(r"^(?:home(?:\s*page)?|index|main|start|首页|主页)$", re.IGNORECASE)
# What sits between the headline and the site name in a breadcrumb: " -Site", " | Site".
_SITE_LEAD = re.compile(r"^\s*[-–—|_·:]+\s*")
# A site name glued to the last breadcrumb segment: "Weather -Millbrook Courier".
_SITE_SUFFIX = re.compile(r"^(?P<head>.*?\S)\s+[-–—|]\s*(?P<site>\S.*)$")
_ELLIPSIS = re.compile(r"(?:\.{3}|…)\s*$")

_COUNT = r"\d[\d,.'\u00a0\u202f]*(?:\s?[kKmM万])?"
_VIEWS_LABEL = (
    r"(?:views?|hits|reads|clicks|visits|page\s*views|read\s+count|阅读(?:量)?|浏览(?:量)?|"
    r"点击(?:量)?)"
)
_VIEWS = re.compile(
    rf"^(?:{_VIEWS_LABEL}\s*[:：]?|👁\ufe0f?|👀)\s*(?P<count>{_COUNT})?\s*(?:times|次)?$",
    re.IGNORECASE,
)
_VIEWS_AFTER = re.compile(rf"^(?P<count>{_COUNT})\s*(?:views?|hits|reads)$", re.IGNORECASE)
_DATE_LABEL = re.compile(
    r"^(?P<label>date|time|published(?:\s+(?:on|at|date|time))?|publish\s+(?:date|time)|"
    r"posted(?:\s+(?:on|at))?|updated(?:\s+(?:on|at))?|release(?:d|\s+time|\s+date)?|"
    r"发布时间|发布日期|时间|日期)\s*(?:[:：]\s*|\s(?=\d))(?P<value>.+)$",
    re.IGNORECASE,
)
_BARE_DATE = re.compile(r"^\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:[ T][\d:.]+)?(?:\s*\S{1,6})?$")
_OTHER_META = re.compile(
    rf"^(?P<label>source|author|editor|reporter|origin|来源|作者|编辑)\s*[:：]\s*"
    rf"(?P<value>.{{1,{MAX_META_VALUE_CHARS}}})$",
    re.IGNORECASE,
)
# One reaction button: a short label then a count in parentheses: "veryGood! (7359)".
_LABEL = rf"[^\d()（）\s][^\d()（）]{{0,{MAX_REACTION_LABEL_CHARS - 1}}}?"
_BUTTON_RE = re.compile(rf"(?P<label>{_LABEL})\s*[(（]\s*(?P<count>{_COUNT})\s*[)）]")
_REACTION_LINE = re.compile(rf"^(?:{_LABEL}\s*[(（]\s*{_COUNT}\s*[)）]\s*)+$")
_KNOWN_HEADING = re.compile(
    r"^(?:related(?:\s+(?:articles?|news|posts?|stories|reading|content|links))?|"
    r"rankings?|recommendations?|recommended(?:\s+(?:for\s+you|reading|articles?|stories|news))?|"
    r"popular(?:\s+(?:news|posts?|articles?|stories|now))?|"
    r"most\s+(?:popular|read|viewed|shared|commented)|"
    r"trending(?:\s+(?:now|news|stories|topics))?|hot(?:\s+(?:news|topics?|articles?|stories|list))?|"
    r"latest(?:\s+(?:news|posts?|articles?|stories|updates))?|"
    r"you\s+(?:may|might)\s+(?:also\s+)?like|editor'?s'?\s+picks?|top\s+(?:stories|news|picks)|"
    r"more\s+(?:stories|news|from\s+.{1,40})|read\s+more|further\s+reading|see\s+also|"
    r"featured(?:\s+(?:stories|articles?|news))?|don'?t\s+miss|in\s+case\s+you\s+missed\s+it)$",
    re.IGNORECASE,
)
# Decoration around a heading: "【Related】", "■ Hot", "Related:", "Related (10)".
_HEADING_TRIM = re.compile(r"^[\s#■□▶►●◆【\[|]+|(?<![\s:：#】\]|])[\s:：#】\]|]+$")
_HEADING_COUNT = re.compile(r"(?<!\s)\s*[(（]\d+[)）]$")
_BULLET = re.compile(r"^[-–•*·▪◦‣►]\s+")
_NUMBERED = re.compile(r"^(?P<n>\d{1,2})[.)]\s+")
# A line that ends like a sentence: a full stop (not an ellipsis), then closing quotes.
_SENTENCE_END = re.compile(r"(?:^|[^.])[.!]['\"”’)\]]*$")
_FOOTER = re.compile(r"^(?:©|\(c\)\s|copyright\b)|all rights reserved", re.IGNORECASE)
_TRAILING_PUNCT = re.compile(r"[.!?:;,]$")


# --- steps -------------------------------------------------------------------------------


@dataclass
class _Meta:
    """What the meta lines under the headline claimed."""

    views: int | None = None
    has_counter: bool = False
    date: ClaimedDate | None = None
    date_raw: str | None = None
    other: dict[str, str] = field(default_factory=dict)

    def merge(self, other: _Meta) -> None:
        self.has_counter = self.has_counter or other.has_counter
        self.views = self.views if self.views is not None else other.views
        self.date = self.date or other.date
        self.date_raw = self.date_raw or other.date_raw
        for key, value in other.other.items():
            self.other.setdefault(key, value)


@dataclass
class _Header:
    title: str
    site_name: str | None = None
    category: str | None = None
    breadcrumb: str | None = None


@dataclass
class _Reaction:
    label: str
    count: int


def read(doc: RawDocument) -> Iterator[ExtractedArticle]:
    """Read one text dump into one article (claims included); raise when it has no body."""
    text = decode_bytes(doc.data, doc.transport_charset, what=doc.origin)
    lines = _nonempty_lines(text)
    header, meta, body_start = _split_header(lines, where=doc.origin)
    sections_start = _find_link_sections(lines, body_start)
    body, tail_meta, reactions = _split_body_tail(lines[body_start:sections_start])
    meta.merge(tail_meta)
    links, trailing_reactions = _read_link_sections(lines[sections_start:])
    reactions = reactions or trailing_reactions
    if body and body[0] == header.title:
        body = body[1:]  # some copies repeat the headline as the first body line
    if not body:
        raise NoArticle(
            f"{doc.origin}: text dump has a header"
            + (" and link lists" if links else "")
            + " but no article body"
        )
    yield ExtractedArticle(
        title=header.title,
        paragraphs=body,
        url=doc.url,
        site_name=header.site_name,
        claimed_date=meta.date,
        claimed_category=header.category,
        claimed_views=meta.views,
        claimed_reactions=reactions[0].count if reactions else None,
        claimed_reaction_label=reactions[0].label if reactions else None,
        claimed_links=links,
        extra=_extra(header, meta, reactions),
    )


def looks_like_text_dump(text: str) -> bool:
    """Cheap sniff: a breadcrumb near the top, or a date line plus reaction/list structure."""
    head = text[:SNIFF_CHARS]
    if head.lstrip().startswith(("<", "{")):
        return False  # HTML, XML feeds, JSON
    lines = _nonempty_lines(head)
    for index, line in enumerate(lines[:SNIFF_BREADCRUMB_LINES]):
        following = lines[index + 1] if index + 1 < len(lines) else None
        if _is_breadcrumb(line, following):
            return True
    has_date = any(_DATE_LABEL.match(line) for line in lines[:SNIFF_DATE_LINES])
    has_tail = any(_is_reaction_line(line) or _known_heading(line) for line in lines)
    return has_date and has_tail


def _nonempty_lines(text: str) -> list[str]:
    """The document's lines, stripped, blank ones dropped (decode_bytes already made LF)."""
    stripped = (line.strip() for line in text.replace("\r", "\n").split("\n"))
    return [line for line in stripped if line]


def _split_header(lines: list[str], *, where: str) -> tuple[_Header, _Meta, int]:
    """Breadcrumb, headline and meta lines at the top; returns where the body starts."""
    index = 0
    breadcrumb = None
    if lines and _is_breadcrumb(lines[0], lines[1] if len(lines) > 1 else None):
        breadcrumb = lines[0]
        index = 1
    meta, index = _read_meta(lines, index)
    if breadcrumb is not None and index > 1:
        # Meta lines straight under the breadcrumb: the page has no separate headline
        # line, so the headline is the breadcrumb's last segment.
        header = _header_from_breadcrumb_only(breadcrumb)
    else:
        if index >= len(lines):
            raise NoArticle(f"{where}: text dump has only meta lines, no headline or body")
        title = lines[index]
        index += 1
        header = _parse_breadcrumb(breadcrumb, title) if breadcrumb else _Header(title=title)
    more_meta, index = _read_meta(lines, index)
    meta.merge(more_meta)
    return header, meta, index


def _is_breadcrumb(line: str, following: str | None) -> bool:
    """Does ``line`` look like a breadcrumb (``following`` is the presumed headline)?"""
    if _meta_kind(line) is not None:
        return False  # "Date: 2025/04/26" has a slash but is no breadcrumb
    known = _KNOWN_PREFIX.match(line)
    rest = _strip_prefix(line)
    segments = _SEPARATOR.split(rest, maxsplit=1)
    if len(segments) > 1 and (_HOME_WORD.match(segments[0].strip()) or known):
        return True
    if following:
        span = _locate_title(rest, following)
        if span is not None and _SEPARATOR.search(rest[: span[0]]):
            return True
    return False


def _strip_prefix(line: str) -> str:
    """Drop a "Current:"/"You are here:" label; an unknown label only before a home word."""
    known = _KNOWN_PREFIX.match(line)
    if known:
        return line[known.end() :]
    generic = _GENERIC_PREFIX.match(line)
    if generic:
        rest = line[generic.end() :]
        first = _SEPARATOR.split(rest, maxsplit=1)[0].strip()
        if _HOME_WORD.match(first):
            return rest
    return line


def _locate_title(breadcrumb: str, title: str) -> tuple[int, int] | None:
    """Where the headline sits in the breadcrumb: (start, end), or None.

    Tries the whole headline (any case and spacing), then its opening words, whose span
    then runs to the site-name separator or the end of the line.
    """
    whole = re.compile(r"\s*".join(re.escape(word) for word in title.split()), re.IGNORECASE)
    match = whole.search(breadcrumb)
    if match:
        return match.start(), match.end()
    probe = title[:TITLE_PROBE_CHARS]
    if len(title) > TITLE_PROBE_CHARS:
        probe = probe.rsplit(" ", 1)[0]
    if len(probe) < MIN_TITLE_PROBE_CHARS:
        return None
    opening = re.compile(r"\s*".join(re.escape(w) for w in probe.split()), re.IGNORECASE)
    match = opening.search(breadcrumb)
    if not match:
        return None
    site = re.search(r"\s[-–—|]", breadcrumb[match.end() :])
    end = match.end() + site.start() if site else len(breadcrumb)
    return match.start(), end


def _parse_breadcrumb(breadcrumb: str, title: str) -> _Header:
    """Category and site name from ``<prefix>Home > <category><title> -<site>``."""
    rest = _strip_prefix(breadcrumb)
    span = _locate_title(rest, title)
    if span is None:
        category, site = _category_and_site(_segments(rest), title)
        return _Header(title=title, site_name=site, category=category, breadcrumb=breadcrumb)
    before, after = rest[: span[0]], rest[span[1] :]
    site = _SITE_LEAD.sub("", after).strip() or None
    return _Header(
        title=title,
        site_name=site,
        category=_last_category(_segments(before)),
        breadcrumb=breadcrumb,
    )


def _header_from_breadcrumb_only(breadcrumb: str) -> _Header:
    """Headline, category and site from a breadcrumb with no headline line under it."""
    segments = _segments(_strip_prefix(breadcrumb))
    last = segments[-1] if segments else breadcrumb
    suffix = _SITE_SUFFIX.match(last)
    title, site = (suffix.group("head"), suffix.group("site")) if suffix else (last, None)
    return _Header(
        title=title, site_name=site, category=_last_category(segments[:-1]), breadcrumb=breadcrumb
    )


def _category_and_site(segments: list[str], title: str) -> tuple[str | None, str | None]:
    """For a breadcrumb without the headline: the last segment is the category.

    A site name glued to it (``Weather -Millbrook Courier``) is split off; a last segment
    that is the headline cut short (``Storm leaves…``) is skipped.
    """
    if not segments:
        return None, None
    last = segments[-1]
    suffix = _SITE_SUFFIX.match(last)
    site = None
    if suffix:
        last, site = suffix.group("head"), suffix.group("site")
    shortened = _ELLIPSIS.sub("", last).strip()
    is_cut_title = len(shortened) >= MIN_TITLE_PROBE_CHARS and title.casefold().startswith(
        shortened.casefold()
    )
    if is_cut_title:
        return _last_category(segments[:-1]), site
    return _last_category([*segments[:-1], last]), site


def _segments(text: str) -> list[str]:
    return [part.strip() for part in _SEPARATOR.split(text) if part.strip()]


def _last_category(segments: list[str]) -> str | None:
    """The last breadcrumb segment, unless it is only "Home"."""
    if not segments or _HOME_WORD.match(segments[-1]):
        return None
    return segments[-1]


def _read_meta(lines: list[str], start: int) -> tuple[_Meta, int]:
    """Consume consecutive meta lines (views, date, source…) from ``start``."""
    meta = _Meta()
    index = start
    while index < len(lines) and index - start < MAX_META_LINES:
        if not _apply_meta_line(lines[index], meta):
            break
        index += 1
    return meta, index


def _meta_kind(line: str) -> str | None:
    if _VIEWS.match(line) or _VIEWS_AFTER.match(line):
        return "views"
    if _DATE_LABEL.match(line) or (_BARE_DATE.match(line) and parse_claimed_date(line)):
        return "date"
    if _OTHER_META.match(line):
        return "other"
    return None


def _apply_meta_line(line: str, meta: _Meta) -> bool:
    """Record what a meta line claims in ``meta``; False when ``line`` is no meta line."""
    kind = _meta_kind(line)
    if kind == "views":
        match = _VIEWS.match(line) or _VIEWS_AFTER.match(line)
        assert match is not None
        meta.has_counter = True
        if match.group("count") and meta.views is None:
            meta.views = _parse_count(match.group("count"))
    elif kind == "date":
        labelled = _DATE_LABEL.match(line)
        raw = labelled.group("value").strip() if labelled else line
        if meta.date is None:
            meta.date = parse_claimed_date(raw)
            meta.date_raw = raw
    elif kind == "other":
        match = _OTHER_META.match(line)
        assert match is not None
        meta.other.setdefault(match.group("label").casefold(), match.group("value").strip())
    return kind is not None


def _parse_count(raw: str) -> int | None:
    """ "1,234" → 1234, "1.2k" → 1200; thousands separators of any locale are dropped."""
    text = raw.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    multiplier = {"k": 1_000, "m": 1_000_000, "万": 10_000}.get(text[-1:].lower(), 1)
    if multiplier != 1:
        number = text[:-1].replace(",", "")
        try:
            return int(float(number) * multiplier)
        except ValueError:
            return None
    digits = re.sub(r"[,.']", "", text)
    return int(digits) if digits.isdigit() else None


def _heading_label(line: str) -> str:
    """A heading line without decoration or a trailing item count."""
    label = _HEADING_TRIM.sub("", line)
    return _HEADING_COUNT.sub("", label).strip()


def _known_heading(line: str) -> bool:
    label = _heading_label(line).replace("’", "'")
    return bool(label) and bool(_KNOWN_HEADING.match(label))


def _is_heading(lines: list[str], index: int) -> bool:
    """A list heading: a known name, or a short plain line over a run of bulleted lines."""
    line = lines[index]
    if _known_heading(line):
        return True
    if (
        _BULLET.match(line)
        or len(line) > MAX_HEADING_CHARS
        or len(line.split()) > MAX_HEADING_WORDS
        or _TRAILING_PUNCT.search(line)
    ):
        return False
    following = lines[index + 1 : index + 1 + MIN_BULLETED_ITEMS_AFTER_HEADING]
    return len(following) == MIN_BULLETED_ITEMS_AFTER_HEADING and all(
        _BULLET.match(item) for item in following
    )


def _is_reaction_line(line: str) -> bool:
    if not _REACTION_LINE.match(line):
        return False
    return all(_plausible_label(m.group("label")) for m in _BUTTON_RE.finditer(line))


def _plausible_label(label: str) -> bool:
    label = label.strip()
    return 0 < len(label) <= MAX_REACTION_LABEL_CHARS and (
        len(label.split()) <= MAX_REACTION_LABEL_WORDS
    )


def _reactions_of(line: str) -> list[_Reaction]:
    reactions = []
    for match in _BUTTON_RE.finditer(line):
        count = _parse_count(match.group("count"))
        if count is not None:
            reactions.append(_Reaction(label=match.group("label").strip(), count=count))
    return reactions


def _find_link_sections(lines: list[str], start: int) -> int:
    """Index of the first list heading after the body, or ``len(lines)`` when none.

    A candidate heading only counts when what follows reads like a list of headlines,
    not like more article (see MAX_SENTENCE_SHARE_IN_LISTS).
    """
    for index in range(start, len(lines)):
        if _is_heading(lines, index) and _reads_like_link_lists(lines, index):
            return index
    return len(lines)


def _reads_like_link_lists(lines: list[str], heading: int) -> bool:
    """Do the lines under this heading (up to the next one) read like headlines?"""
    items = []
    for index in range(heading + 1, len(lines)):
        if _is_heading(lines, index):
            break
        line = lines[index]
        if not _is_reaction_line(line) and not _FOOTER.search(line):
            items.append(line)
    if not items:
        return True
    sentences = sum(1 for item in items if not _BULLET.match(item) and _SENTENCE_END.search(item))
    return sentences / len(items) <= MAX_SENTENCE_SHARE_IN_LISTS


def _split_body_tail(lines: list[str]) -> tuple[list[str], _Meta, list[_Reaction]]:
    """Peel reaction buttons, footers and stray meta lines off the end of the body."""
    end = len(lines)
    meta = _Meta()
    reactions: list[_Reaction] = []
    while end > 0:
        line = lines[end - 1]
        if _is_reaction_line(line):
            reactions = _reactions_of(line) + reactions
        elif not _FOOTER.search(line) and not _apply_meta_line(line, meta):
            break  # an article paragraph: the body ends here
        end -= 1
    return lines[:end], meta, reactions


def _read_link_sections(lines: list[str]) -> tuple[dict[str, list[str]], list[_Reaction]]:
    """Heading → headlines, in page order; reaction lines found among them are returned."""
    sections: dict[str, list[str]] = {}
    reactions: list[_Reaction] = []
    current: list[str] | None = None
    for index, line in enumerate(lines):
        if _is_heading(lines, index):
            current = sections.setdefault(_heading_label(line), [])
        elif _is_reaction_line(line):
            reactions.extend(_reactions_of(line))
        elif _FOOTER.search(line):
            continue
        elif current is not None:
            current.append(_BULLET.sub("", line).strip())
    return {heading: _strip_numbering(items) for heading, items in sections.items()}, reactions


def _strip_numbering(items: list[str]) -> list[str]:
    """Drop "1. " … "n. " only when the whole list is numbered 1..n (keeps "1. FC Köln")."""
    numbers = [_NUMBERED.match(item) for item in items]
    if not items or not all(numbers):
        return items
    if [int(m.group("n")) for m in numbers if m] != list(range(1, len(items) + 1)):
        return items
    return [_NUMBERED.sub("", item, count=1) for item in items]


def _extra(header: _Header, meta: _Meta, reactions: list[_Reaction]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if header.breadcrumb:
        extra["breadcrumb"] = header.breadcrumb
    if meta.has_counter:
        extra["view_counter_shown"] = True
    if meta.date is None and meta.date_raw:
        extra["claimed_date_raw"] = meta.date_raw
    if meta.other:
        extra["claimed_meta"] = dict(meta.other)
    if len(reactions) > 1:
        extra["claimed_reaction_buttons"] = {r.label: r.count for r in reactions}
    return extra
