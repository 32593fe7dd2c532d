"""HTML fragments (a feed entry's content or summary) → plain paragraphs.

Feed content is a fragment, not a page: there is no chrome to strip, so trafilatura would be
the wrong tool (it drops short fragments as boilerplate). We only need the text, one
paragraph per block element. The walk is iterative (``iterwalk``), so hostile nesting cannot
overflow the stack; lxml's HTML parser never touches the network and knows only the HTML
entities, so there is no entity expansion to fear here.
"""

from __future__ import annotations

import html
import re

from lxml import etree
from lxml import html as lxml_html

# Elements whose end (and start) ends a paragraph.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "dd", "details", "div",
        "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
        "table", "tr", "ul",
    }
)  # fmt: skip
# Elements dropped with everything inside them (their tail text is kept).
DROP_TAGS = frozenset(
    {
        "button", "embed", "form", "head", "iframe", "input", "math", "noscript",
        "object", "script", "select", "style", "svg", "template", "textarea", "title",
    }
)  # fmt: skip
# Inline elements that separate words visually although they hold no space themselves.
_SPACED_TAGS = frozenset({"td", "th", "img"})

_TAG = re.compile(r"<[A-Za-z!/][^<>]*>")
# Characters lxml refuses (it raises on them) and that no paragraph should hold.
_UNSAFE_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")


def html_to_paragraphs(fragment: str) -> list[str]:
    """Paragraphs of an HTML fragment; plain text (no tags) is split on blank lines.

    Block elements and ``<br>`` end paragraphs; scripts, styles, frames and forms are
    dropped; entities are decoded and whitespace collapsed. Empty paragraphs are left out.
    """
    fragment = _UNSAFE_CHARS.sub("", fragment)
    if not fragment.strip():
        return []
    if not _TAG.search(fragment):
        return text_to_paragraphs(html.unescape(fragment))
    parser = lxml_html.HTMLParser(
        no_network=True, remove_comments=True, remove_pis=True, default_doctype=False
    )
    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div", parser=parser)
    except (etree.ParserError, ValueError):
        return text_to_paragraphs(html.unescape(_TAG.sub(" ", fragment)))
    return _walk(root)


def html_to_text(fragment: str) -> str:
    """The fragment's text on one line (for titles that arrive as HTML)."""
    return " ".join(html_to_paragraphs(fragment))


def text_to_paragraphs(text: str) -> list[str]:
    """Plain text → paragraphs: blank lines separate them, single line breaks are wraps."""
    blocks = _BLANK_LINE.split(text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = (" ".join(block.split()) for block in blocks)
    return [p for p in paragraphs if p]


def _walk(root: etree._Element) -> list[str]:
    paragraphs: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        text = " ".join("".join(buffer).split())
        buffer.clear()
        if text:
            paragraphs.append(text)

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in DROP_TAGS or not tag:
                walker.skip_subtree()  # comments, PIs and dropped elements: no text
                continue
            if tag in BLOCK_TAGS or tag == "br":
                flush()
            elif tag in _SPACED_TAGS:
                buffer.append(" ")
            if element.text:
                buffer.append(element.text)
        else:
            if tag in BLOCK_TAGS:
                flush()
            elif tag in _SPACED_TAGS:
                buffer.append(" ")
            if element.tail and element is not root:
                buffer.append(element.tail)
    flush()
    return paragraphs
