"""HTML bytes → one lxml tree, parsed once and shared by every later step.

Decoding follows the policy of :func:`~dateline.extract.decode.decode_bytes` (BOM, strict
UTF-8, then a declared charset, then detection). The declared charset comes from the
transport (``Content-Type``) when there is one, else from the page's own ``<meta>``, as a
browser would read it. Because strict UTF-8 is tried first, a page that declares
iso-8859-1 but holds UTF-8 still decodes right; an undeclared windows-1252 page fails
UTF-8 and falls to detection.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement, HTMLParser, document_fromstring
from trafilatura.utils import load_html

from dateline.errors import MalformedInput
from dateline.extract.decode import decode_bytes
from dateline.ingest.raw import RawDocument

# Browsers look for a <meta> charset in the first 1024 bytes; real pages put long <head>
# preambles (comments, scripts) first, so we look a little further.
META_SNIFF_BYTES = 4096
_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_META = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# The same settings trafilatura parses with: comments and processing instructions would
# only become noise in the extracted text.
_PARSER = HTMLParser(
    collect_ids=False, default_doctype=False, remove_comments=True, remove_pis=True
)


def declared_charset(doc: RawDocument) -> str | None:
    """The charset the transport declares, else the one the page's ``<meta>`` declares."""
    if doc.transport_charset:
        return doc.transport_charset
    for meta in _META.findall(doc.data[:META_SNIFF_BYTES]):
        meta_match = _CHARSET.search(meta)
        if meta_match:
            return meta_match.group(1).decode("ascii")
    return None


def parse_html(doc: RawDocument) -> HtmlElement:
    """Decode ``doc`` and parse it; a truncated page yields the tree of what is there.

    Raises the decoding errors of ``decode_bytes`` (empty, binary, undecodable) and
    :class:`MalformedInput` when lxml finds no document at all in the text.
    """
    text = decode_bytes(doc.data, declared_charset(doc), what=doc.origin)
    # lxml refuses str input that carries an encoding declaration; the text is decoded.
    text = _XML_DECLARATION.sub("", text, count=1)
    tree = load_html(text)
    if tree is None:
        # trafilatura rejects fragments without an <html> tag; a fragment can still hold
        # an article, so parse it as a document body ourselves.
        try:
            tree = document_fromstring(text, parser=_PARSER)
        except (etree.ParserError, ValueError) as exc:
            raise MalformedInput(f"{doc.origin}: not parseable as HTML ({exc})") from exc
    if tree is None or not isinstance(tree, HtmlElement):
        raise MalformedInput(f"{doc.origin}: not parseable as HTML (no document element)")
    return tree
