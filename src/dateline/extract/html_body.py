"""The article body of a parsed page: trafilatura, a guarded fallback, split-body repair.

Why these steps (each measured on the extraction benchmark's dev half):

* trafilatura in *fast* mode (no readability/justext comparison) scores the same F1 as its
  full mode at ~1.6x the speed, which pays for the metadata pass. Its one failure mode is
  a whole-page dump (menus, archives) when its main pass finds too little; we detect that
  shape and only then run the full cascade.
* Comments are excluded: reader comments are not the article and cost precision.
* Some templates split one article into several sibling containers around an ad slot;
  trafilatura keeps the first. :func:`add_split_body` appends the paragraphs of the other
  containers that share the first one's exact tag and class.
"""

from __future__ import annotations

import logging
from copy import deepcopy
from typing import Any

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.settings import Document

_LOG = logging.getLogger(__name__)

# A "page dump": this many lines, most of them menu-sized (≤ 3 words). Real articles in
# the benchmark stay under 0.4 short-line share; dumps are above 0.9.
DUMP_MIN_LINES = 30
DUMP_SHORT_LINE_SHARE = 0.6
SHORT_LINE_WORDS = 3
# A paragraph of a sibling container joins the body only when it is prose-sized.
MIN_SPLIT_PARAGRAPH_CHARS = 60
# ...and only from a container that holds at least this many such paragraphs.
MIN_SPLIT_PARAGRAPHS = 2


def body_text(tree: HtmlElement, url: str | None) -> str:
    """trafilatura's main text for ``tree`` (left unchanged), one paragraph a line.

    Metadata is read separately (``html_meta``): trafilatura's own pass spends most of its
    time on author and tag heuristics we do not need.
    """
    options: dict[str, Any] = {"url": url, "include_comments": False}
    text = _text(bare_extraction(tree, fast=True, **options))
    if looks_like_page_dump(text):
        _LOG.debug("fast extraction looks like a page dump, running the full cascade: %s", url)
        text = _text(bare_extraction(deepcopy(tree), fast=False, **options)) or text
    return text


def _text(document: object) -> str:
    return (document.text or "") if isinstance(document, Document) else ""


def looks_like_page_dump(text: str) -> bool:
    """True for the shape of a navigation/archive dump: many lines, most a few words long."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < DUMP_MIN_LINES:
        return False
    short = sum(len(line.split()) <= SHORT_LINE_WORDS for line in lines)
    return short / len(lines) >= DUMP_SHORT_LINE_SHARE


def _norm(text: str) -> str:
    return " ".join(text.split())


def add_split_body(tree: HtmlElement, paragraphs: list[str]) -> list[str]:
    """Add paragraphs from sibling containers of the body's container, in page order.

    The container is the parent (exact tag and non-empty class) holding most of the
    extracted paragraphs; another element with the same tag and class elsewhere on the
    page is the same template slot, i.e. the rest of the article.
    """
    extracted = {_norm(p) for p in paragraphs}
    weight: dict[HtmlElement, int] = {}
    for p in tree.iter("p"):
        text = _norm(p.text_content())
        parent = p.getparent()
        if text in extracted and parent is not None and parent.get("class"):
            weight[parent] = weight.get(parent, 0) + len(text)
    if not weight:
        return paragraphs
    main = max(weight, key=lambda element: weight[element])
    siblings = [
        element
        for element in tree.iter(main.tag)
        if element is not main and element.get("class") == main.get("class")
    ]
    if not siblings:
        return paragraphs
    result = [_norm(p) for p in paragraphs]
    joined = "\n".join(result)
    cursor = 0  # where the next added paragraph goes: after the last one seen on the page
    for container in _in_page_order(tree, main, siblings):
        texts = [_norm(p.text_content()) for p in container.iterchildren("p")]
        new = {
            text
            for text in texts
            if len(text) >= MIN_SPLIT_PARAGRAPH_CHARS
            and text not in extracted
            and text not in joined
        }
        if container is main or len(new) < MIN_SPLIT_PARAGRAPHS:
            new = set()  # a lone paragraph in a same-class box is a promo, not the article
        for text in texts:
            if text in new:
                result.insert(cursor, text)
                cursor += 1
            elif text in extracted and text in result:
                cursor = result.index(text) + 1
    return result


def _in_page_order(
    tree: HtmlElement, main: HtmlElement, siblings: list[HtmlElement]
) -> list[HtmlElement]:
    wanted = {main, *siblings}
    return [element for element in tree.iter(main.tag) if element in wanted]
