"""RSS and Atom feeds: one article per entry, read with feedparser.

Order of work, and why:

1. **Decode** with the shared policy (:func:`decode_bytes`), so feeds, pages and JSONL agree
   on encodings. The charset comes from the XML declaration, else the HTTP header. A feed
   that declares UTF-8 (or nothing, which in XML means UTF-8) yet holds a few stray bytes
   that are not UTF-8 is *repaired*: each stray byte is read as windows-1252 (the usual
   cause is Latin-1 text pasted into a UTF-8 template), so "café" survives instead of
   becoming "caf\ufffd" or the whole file being mis-guessed as another encoding.
2. **Refuse entity declarations** before any XML parser expands them: a DOCTYPE that
   declares entities is how billion-laughs bombs and external-entity (XXE) reads are
   built, and real feeds never need one. A cheap scan of the prolog catches it even in
   broken XML; defusedxml then parses well-formed documents with entities and external
   references forbidden. feedparser itself never fetches external entities (it turns off
   ``feature_external_ges`` and strips the DOCTYPE), and is handed a byte stream, never
   a string it could take for a URL or a path.
3. **Parse** with feedparser, leniently: a feed feedparser flags as broken ("bozo") but that
   still yields entries is read, as browsers and feed readers do; broken with no entries is
   :class:`MalformedInput`; something that is not RSS/Atom at all is
   :class:`UnsupportedInput`.

Entry → article: title; paragraphs from the full content (HTML preferred), else the
summary; url and canonical_url = the entry link when it is an absolute http(s) URL;
external_id = id/guid; claimed_date from the *raw* published (else updated) string, so the
time zone the feed gave is kept; claimed_category = first tag; byline = author;
site_name = feed title. The feed's declared language goes to ``extra`` only: feeds often
declare a default that their entries do not follow, so detection decides.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

import feedparser
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring as defused_fromstring

from dateline.errors import MalformedInput, NoArticle, UnsupportedInput
from dateline.extract.dates import parse_claimed_date
from dateline.extract.decode import decode_bytes
from dateline.extract.html_fragment import html_to_paragraphs, html_to_text, text_to_paragraphs
from dateline.extract.model import ExtractedArticle, ItemFailure
from dateline.ingest.raw import RawDocument

ENTITY_BOMB_MESSAGE = (
    "feed declares XML entities in its DOCTYPE (possible entity-expansion bomb); refused"
)
# Bytes of the head that looks_like_feed reads; a feed's root element comes well before.
SNIFF_BYTES = 2048
# Largest share of stray (non-UTF-8) bytes in a UTF-8 feed that we repair byte by byte.
# Latin-1 pasted into a UTF-8 page is a handful of accented letters (well under 0.1 %);
# a feed in another multi-byte encoding mislabelled as UTF-8 has far more, and is left
# to the shared encoding detection.
MAX_STRAY_BYTE_SHARE = 0.01

_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_XML_DECLARATION_TEXT = re.compile(r"^\s*<\?xml[^>]*\?>")
_ATOM_NAMESPACES = (b"http://www.w3.org/2005/Atom", b"http://purl.org/atom/ns#")
_PROLOG_ITEM = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE\b[^\[>]*(?:\[.*?\]\s*)?>", re.S)
_FEED_ROOT = re.compile(rb"<(rss|(?:[\w-]+:)?feed|rdf:RDF)[\s>/]")
_UTF8_NAMES = {"utf-8", "utf8"}
_ROOT_START = re.compile(r"<[A-Za-z_]")
# a numeric character reference; at most 12 digits keeps int() cheap
_CHARREF = re.compile(r"&#([xX][0-9A-Fa-f]{1,12}|[0-9]{1,12});")


def read(doc: RawDocument) -> Iterator[ExtractedArticle | ItemFailure]:
    """One ExtractedArticle per entry; an entry with no text is an ItemFailure."""
    text = _decode(doc)
    _refuse_entities(text)
    data = _as_utf8_xml(_CHARREF.sub(_valid_charref, text))
    root_tag = _check_with_defusedxml(data)
    try:
        parsed = feedparser.parse(
            io.BytesIO(data),
            response_headers={
                "content-type": "application/xml; charset=utf-8",
                "content-location": doc.url or "",
            },
        )
    except (ValueError, OverflowError, RecursionError) as exc:  # feedparser's loose parser
        raise MalformedInput(f"{doc.origin}: the feed cannot be parsed ({exc})") from exc
    entries = parsed.get("entries") or []
    reason = parsed.get("bozo_exception") if parsed.get("bozo") else None
    broken_at = _broken_xml_line(reason, text)
    if not entries:
        if not parsed.get("version"):
            found = f" (its root element is <{root_tag}>)" if root_tag else ""
            raise UnsupportedInput(f"{doc.origin} is not an RSS or Atom feed{found}")
        if broken_at is not None:
            raise MalformedInput(f"{doc.origin}: {_not_well_formed(broken_at, reason, 0)}")
        if reason is not None:
            raise MalformedInput(f"{doc.origin}: broken feed: {reason}")
        raise NoArticle(f"{doc.origin}: the feed has no entries")
    feed = parsed.get("feed") or {}
    articles = [_entry_article(entry, feed, reason) for entry in entries]
    recovered = sum(1 for article in articles if article.paragraphs)
    for number, article in enumerate(articles, start=1):
        where = f"{doc.origin} entry {number}"
        if article.paragraphs:
            yield article
            continue
        label = article.title or article.external_id or "untitled"
        if broken_at is not None:
            # A truncated or broken feed: its last entry is usually cut off mid-way, so say
            # what is wrong with the file rather than blame the entry for having no text.
            message = (
                f"{_not_well_formed(broken_at, reason, recovered)}; entry {label!r} is cut off"
            )
        else:
            message = f"entry {number} ({label!r}) has no text (no content or summary)"
        yield ItemFailure(where=where, error=NoArticle(message))


def _valid_charref(match: re.Match[str]) -> str:
    """A numeric character reference to no character (beyond U+10FFFF, a surrogate, NUL)
    becomes U+FFFD: feedparser's fallback parser crashes on one (``chr()`` out of range)."""
    digits = match.group(1)
    try:
        code = int(digits[1:], 16) if digits[:1] in "xX" else int(digits)
    except ValueError:
        return "&#xFFFD;"
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "&#xFFFD;"
    return match.group(0)


def _broken_xml_line(reason: object, text: str) -> int | None:
    """The line of the decoded feed where the XML parser gave up, if that was the trouble.

    feedparser parses the re-encoded document (:func:`_as_utf8_xml`: our own declaration
    on line 1, then the body), so its line numbers are mapped back onto the original.
    """
    get_line = getattr(reason, "getLineNumber", None)
    if get_line is None:
        return None
    try:
        line = int(get_line())
    except (TypeError, ValueError):
        return None
    body = _XML_DECLARATION_TEXT.sub("", text, count=1).lstrip()
    removed_newlines = text[: len(text) - len(body)].count("\n")
    return max(1, line - 1 + removed_newlines)


def _not_well_formed(line: int, reason: object, recovered: int) -> str:
    detail = getattr(reason, "getMessage", lambda: str(reason))()
    entries = "entry" if recovered == 1 else "entries"
    return f"not well-formed XML at line {line} ({detail}); {recovered} {entries} recovered"


def looks_like_feed(head: bytes) -> bool:
    """Whether the first bytes of a document are an RSS, Atom or RSS 1.0 (RDF) feed.

    Looks at the root element, after the XML declaration, comments and DOCTYPE, so a web
    page that merely mentions ``<rss`` is not taken for a feed.
    """
    head = head[:SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    head = head.removeprefix(b"\xef\xbb\xbf")
    position = 0
    while match := _PROLOG_ITEM.match(head, position):
        position = match.end()
    root = _FEED_ROOT.match(head, position)
    if root is None:
        return False
    if root.group(1).endswith(b"feed"):
        return any(namespace in head for namespace in _ATOM_NAMESPACES)
    return True


def _decode(doc: RawDocument) -> str:
    declared = _declared_charset(doc)
    data = doc.data
    if (declared is None or declared.lower() in _UTF8_NAMES) and not data.startswith(
        (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
    ):
        data = _repair_stray_bytes(data)
    return decode_bytes(data, declared, what=doc.origin)


def _declared_charset(doc: RawDocument) -> str | None:
    """The XML declaration's encoding, else the HTTP charset (servers often default wrongly)."""
    match = _XML_DECLARATION.match(doc.data[:1024])
    if match:
        return match.group(1).decode("ascii")
    return doc.transport_charset


def _repair_stray_bytes(data: bytes) -> bytes:
    """UTF-8 with a few stray single bytes → valid UTF-8, each stray byte read as cp1252."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return data
    text = data.decode("utf-8", errors="surrogateescape")
    stray = [ch for ch in text if "\udc80" <= ch <= "\udcff"]
    if len(stray) > MAX_STRAY_BYTE_SHARE * len(data):
        return data
    repaired = "".join(
        bytes([ord(ch) - 0xDC00]).decode("cp1252", errors="replace")
        if "\udc80" <= ch <= "\udcff"
        else ch
        for ch in text
    )
    return repaired.encode("utf-8")


def _refuse_entities(text: str) -> None:
    """Raise when the DOCTYPE declares entities, scanning even a feed that is not well-formed.

    The scan follows the prolog itself (declaration, comments, processing instructions,
    then the DOCTYPE with quotes and comments honoured), so a ``<`` hidden in a comment
    cannot end it early. An unterminated DOCTYPE is read to the end of the document.
    """
    doctype = _doctype(text)
    if doctype is not None and "<!ENTITY" in doctype.upper():
        raise MalformedInput(ENTITY_BOMB_MESSAGE)


def _doctype(text: str) -> str | None:
    position, length = 0, len(text)
    while position < length:
        if text[position].isspace():
            position += 1
        elif text.startswith("<?", position):
            position = _after(text, "?>", position)
        elif text.startswith("<!--", position):
            position = _after(text, "-->", position)
        elif text[position : position + 9].upper() == "<!DOCTYPE":
            return text[position : _doctype_end(text, position + 9)]
        elif _ROOT_START.match(text, position):
            return None  # the root element: any DOCTYPE would have come before it
        else:  # stray text before the root (broken XML): skip it, keep looking
            found = text.find("<", position + 1)
            position = length if found < 0 else found
    return None


def _doctype_end(text: str, position: int) -> int:
    depth, quote, length = 0, "", len(text)
    while position < length:
        char = text[position]
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif text.startswith("<!--", position):
            position = _after(text, "-->", position) - 1
        elif char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        elif char == ">" and depth == 0:
            return position + 1
        position += 1
    return length


def _after(text: str, end: str, position: int) -> int:
    found = text.find(end, position + 2)
    return len(text) if found < 0 else found + len(end)


def _as_utf8_xml(text: str) -> bytes:
    """The decoded text as UTF-8 bytes whose XML declaration says so (it may have said cp1252)."""
    body = _XML_DECLARATION_TEXT.sub("", text, count=1).lstrip()
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def _check_with_defusedxml(data: bytes) -> str | None:
    """Parse a well-formed feed with entities and external references forbidden.

    Returns the root element's local name (for the "not a feed" message), or None when the
    XML is not well-formed: feedparser then reads it leniently, and the prolog scan has
    already refused any entity declaration.
    """
    try:
        root = defused_fromstring(
            data, forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
    except (EntitiesForbidden, DTDForbidden) as exc:
        raise MalformedInput(ENTITY_BOMB_MESSAGE) from exc
    except ExternalReferenceForbidden as exc:
        raise MalformedInput(
            "feed references an external XML entity or DTD to be loaded; refused"
        ) from exc
    except (ParseError, ValueError):
        return None
    return str(root.tag).rsplit("}", 1)[-1]


def _entry_article(
    entry: Mapping[str, Any], feed: Mapping[str, Any], bozo_reason: object
) -> ExtractedArticle:
    link = _http_url(entry.get("link"))
    tags = [tag.get("term") for tag in entry.get("tags") or [] if tag.get("term")]
    raw_date = entry.get("published") or entry.get("updated")
    claimed_date = parse_claimed_date(raw_date) if isinstance(raw_date, str) else None
    extra: dict[str, Any] = {}
    if len(tags) > 1:
        extra["categories"] = tags
    if raw_date and claimed_date is None:
        extra["unparsed_date"] = raw_date
    if feed.get("language"):
        extra["feed_language"] = feed["language"]
    if bozo_reason is not None:
        extra["feed_warning"] = str(bozo_reason)
    return ExtractedArticle(
        title=_text_of(entry.get("title_detail"), entry.get("title")),
        paragraphs=_entry_paragraphs(entry),
        url=link,
        canonical_url=link,
        site_name=_text_of(feed.get("title_detail"), feed.get("title")) or None,
        byline=entry.get("author") or None,
        claimed_date=claimed_date,
        claimed_category=tags[0] if tags else None,
        external_id=entry.get("id") or None,
        extra=extra,
    )


def _entry_paragraphs(entry: Mapping[str, Any]) -> list[str]:
    """Full content first (HTML over other types), else the summary."""
    contents = [c for c in entry.get("content") or [] if (c.get("value") or "").strip()]
    contents.sort(key=lambda c: 0 if (c.get("type") or "") in _HTML_TYPES else 1)
    candidates = [*contents, entry.get("summary_detail") or {"value": entry.get("summary")}]
    for candidate in candidates:
        paragraphs = _paragraphs_of(candidate)
        if paragraphs:
            return paragraphs
    return []


def _paragraphs_of(detail: Mapping[str, Any]) -> list[str]:
    value = detail.get("value") or ""
    if detail.get("type") == "text/plain":
        return text_to_paragraphs(value)
    return html_to_paragraphs(value)


def _text_of(detail: Mapping[str, Any] | None, value: str | None) -> str:
    if detail and detail.get("type") in _HTML_TYPES:
        return html_to_text(detail.get("value") or "")
    return " ".join((value or "").split())


def _http_url(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in {"http", "https"} and parts.netloc else None
