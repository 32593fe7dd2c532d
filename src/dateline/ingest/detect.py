"""Deciding which reader gets a document: by name, then declared media type, then content.

The name wins because people name files deliberately and servers mislabel often; the media
type comes next; sniffing the first few KB decides the rest. Binary junk is refused first of
all, whatever its name, so a PNG saved as ``story.txt`` never reaches a text reader. The
sniffing is deliberately cheap (prefix checks and one regex): the readers validate for real.
"""

from __future__ import annotations

import codecs
import re
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from dateline.errors import EmptyInput, UnsupportedInput
from dateline.ingest.files import GZIP_MAGIC, strip_compression_suffix
from dateline.ingest.raw import InputKind

# Callers pass ``data[:SNIFF_BYTES]`` as the head: enough for an XML prolog, a doctype with
# comments before it, and a few MIND / JSONL lines.
SNIFF_BYTES = 8192
# A text head has almost no C0 control bytes besides tab/newline/CR/FF; over 10 % means
# binary (or a UTF-16 file without a BOM, which we do not read either).
MAX_CONTROL_SHARE = 0.10

EXTENSIONS: dict[str, InputKind] = {
    ".txt": InputKind.TEXT_DUMP,
    ".text": InputKind.TEXT_DUMP,
    ".html": InputKind.HTML,
    ".htm": InputKind.HTML,
    ".xhtml": InputKind.HTML,
    ".rss": InputKind.FEED,
    ".atom": InputKind.FEED,
    ".xml": InputKind.FEED,
    ".jsonl": InputKind.JSONL,
    ".ndjson": InputKind.JSONL,
    ".json": InputKind.JSONL,
    ".tsv": InputKind.MIND,
}

MEDIA_TYPES: dict[str, InputKind] = {
    "text/html": InputKind.HTML,
    "application/xhtml+xml": InputKind.HTML,
    "application/rss+xml": InputKind.FEED,
    "application/atom+xml": InputKind.FEED,
    "application/rdf+xml": InputKind.FEED,
    "application/x-ndjson": InputKind.JSONL,
    "application/ndjson": InputKind.JSONL,
    "application/jsonl": InputKind.JSONL,
    "application/x-jsonlines": InputKind.JSONL,
}
# Generic XML types say nothing about the root: sniff decides between feed and page.
XML_MEDIA_TYPES = frozenset({"application/xml", "text/xml"})

# Signatures of formats people feed us by mistake, checked before anything else.
MAGIC_NUMBERS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"PK\x05\x06", "ZIP archive"),
    (GZIP_MAGIC, "gzip-compressed data"),
    (b"BZh91AY&SY", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"(\xb5/\xfd", "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "MS Office document"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\x7fELF", "ELF executable"),
)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Skip the XML declaration, processing instructions, comments and the doctype to reach the
# root element's name (``rdf:RDF`` keeps its prefix).
_PROLOG = re.compile(r"\s*(?:(?:<\?.*?\?>|<!--.*?-->|<!doctype[^>]*>)\s*)*", re.I | re.S)
_ROOT = re.compile(r"<([A-Za-z][\w.:-]*)")
_FEED_ROOTS = frozenset({"rss", "feed", "rdf:rdf", "rdf"})
_HTML_ROOTS = frozenset({"html", "head", "body", "meta", "title", "div", "p", "article"})
# Fragments (a saved <section>, a page starting with <script>) still carry one of these.
_HTML_HINT = re.compile(r"<(?:html|body|head|div|p|article)[\s>]", re.I)
_MIND_ID = re.compile(r"N\d+")
_MIND_FIELDS = 8
_SUPPORTED = (
    "text dumps (.txt), HTML pages (.html), RSS/Atom feeds (.rss, .atom, .xml), "
    "JSON lines (.jsonl), MIND news.tsv; any of them gzipped (.gz)"
)


def supported_extensions() -> list[str]:
    """Known suffixes, with their ``.gz`` variants implied (used to filter directories)."""
    return sorted(EXTENSIONS)


def kind_for_name(name: str) -> InputKind | None:
    """The kind a file's or URL's extension promises, after stripping ``.gz``."""
    if "://" in name:
        name = urlsplit(name).path
    suffix = PurePosixPath(strip_compression_suffix(name)).suffix.lower()
    return EXTENSIONS.get(suffix)


def detect_kind(name: str, head: bytes, media_type: str | None = None) -> InputKind:
    """The reader for a document, from its name (path or URL path), first bytes and media type.

    Raises :class:`UnsupportedInput` for binary data or anything we cannot place, and
    :class:`EmptyInput` for zero bytes.
    """
    if not head:
        raise EmptyInput(f"{name}: empty input (0 bytes)")
    text = _sniff_text(name, head)
    by_name = kind_for_name(name)
    if by_name is InputKind.FEED and _root_kind(text) is InputKind.HTML:
        return InputKind.HTML  # an .xml that is really an (X)HTML page
    if by_name is InputKind.MIND:
        _check_mind(name, text)
        return by_name
    if by_name is not None:
        return by_name
    mtype = (media_type or "").split(";")[0].strip().lower()
    if mtype in MEDIA_TYPES:
        return MEDIA_TYPES[mtype]
    if mtype in XML_MEDIA_TYPES and (root := _root_kind(text)) is not None:
        return root
    return _sniff_kind(name, text)


def _sniff_text(name: str, head: bytes) -> str:
    """The head as text for sniffing; refuses binary data with the reason in the message."""
    for magic, what in MAGIC_NUMBERS:
        if head.startswith(magic):
            hint = "; name it .gz to have it decompressed" if magic == GZIP_MAGIC else ""
            raise _binary(name, what + hint)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore")
    if b"\x00" in head:
        raise _binary(name, "contains NUL bytes")
    controls = sum(1 for b in head if (b < 0x20 and b not in b"\t\n\r\f") or b == 0x7F)
    if controls > MAX_CONTROL_SHARE * len(head):
        raise _binary(name, f"{controls * 100 // len(head)}% control bytes")
    # Latin-1 never fails; sniffing only looks at ASCII markup and digits.
    return head.decode("latin-1")


def _binary(name: str, what: str) -> UnsupportedInput:
    return UnsupportedInput(f"{name}: looks like binary data ({what}), not a news document")


def _root_kind(text: str) -> InputKind | None:
    """FEED or HTML from the first markup, or None when the text is not markup we know."""
    prolog = _PROLOG.match(text)
    rest = text[prolog.end() :] if prolog else text
    if re.search(r"<!doctype\s+html", text[: len(text) - len(rest)], re.I):
        return InputKind.HTML
    root = _ROOT.match(rest)
    if root is None:
        return None
    tag = root.group(1).lower()
    if tag in _FEED_ROOTS or tag.endswith(":rdf"):
        return InputKind.FEED
    if tag in _HTML_ROOTS or _HTML_HINT.search(rest):
        return InputKind.HTML
    return None


def _looks_like_mind(text: str) -> bool:
    first = text.lstrip("\r\n").split("\n", 1)[0]
    fields = first.rstrip("\r").split("\t")
    return len(fields) == _MIND_FIELDS and _MIND_ID.fullmatch(fields[0]) is not None


def _check_mind(name: str, text: str) -> None:
    """A .tsv must be MIND ``news.tsv``; its ``behaviors.tsv`` sits beside it and is not news."""
    if _looks_like_mind(text):
        return
    raise UnsupportedInput(
        f"{name}: a .tsv file that is not a MIND news.tsv (expected {_MIND_FIELDS} "
        "tab-separated fields starting with an N<digits> id; behaviors.tsv holds "
        "impressions, not news)"
    )


def _sniff_kind(name: str, text: str) -> InputKind:
    stripped = text.lstrip()
    if re.match(r"<[?!A-Za-z]", stripped):
        root = _root_kind(text)
        if root is not None:
            return root
        tag = _ROOT.match(_PROLOG.sub("", text, count=1))
        raise UnsupportedInput(
            f"{name}: markup whose root is <{tag.group(1) if tag else '?'}>, not a feed "
            f"(RSS, Atom or RDF) or an HTML page; supported: {_SUPPORTED}"
        )
    if stripped.startswith("{"):
        return InputKind.JSONL
    if _looks_like_mind(text):
        return InputKind.MIND
    if stripped:
        return InputKind.TEXT_DUMP
    raise EmptyInput(f"{name}: empty input (only whitespace)")
