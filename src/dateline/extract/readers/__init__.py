"""One reader module per input kind; each turns a RawDocument into extracted articles.

A reader is ``read(doc: RawDocument) -> Iterator[ExtractedArticle | ItemFailure]``:

* a whole document that cannot be read raises an :class:`~dateline.errors.InputError`;
* a container (feed, JSONL, MIND) yields an :class:`ItemFailure` for a bad item and goes on.

Readers fill what their format knows; :func:`dateline.extract.finish.finish_article` then
adds what every kind shares (wire markers, language) and checks there is a body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module

from dateline.extract.model import ExtractedArticle, ItemFailure
from dateline.ingest.raw import InputKind, RawDocument

Reader = Callable[[RawDocument], Iterator[ExtractedArticle | ItemFailure]]

_MODULES = {
    InputKind.TEXT_DUMP: "dateline.extract.readers.text_dump",
    InputKind.HTML: "dateline.extract.readers.html",
    InputKind.FEED: "dateline.extract.readers.feed",
    InputKind.JSONL: "dateline.extract.readers.jsonl",
    InputKind.MIND: "dateline.extract.readers.mind",
}


def reader_for(kind: InputKind) -> Reader:
    """The ``read`` function for ``kind`` (imported lazily: trafilatura is slow to import)."""
    reader: Reader = import_module(_MODULES[kind]).read
    return reader
