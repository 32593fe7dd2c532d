"""Extraction: RawDocument → ExtractedArticle(s), the same path for `ingest` and `extract`."""

from __future__ import annotations

from collections.abc import Iterator

from dateline.errors import InputError
from dateline.extract.finish import finish_article
from dateline.extract.model import ExtractedArticle, ItemFailure
from dateline.extract.readers import reader_for
from dateline.ingest.raw import RawDocument


def extract_document(doc: RawDocument) -> Iterator[ExtractedArticle | ItemFailure]:
    """Run ``doc``'s reader and the shared finishing steps, item by item.

    A whole-document failure raises InputError; a bad item inside a container is yielded as
    an ItemFailure so the caller can report it and go on.
    """
    for index, item in enumerate(reader_for(doc.kind)(doc)):
        if isinstance(item, ItemFailure):
            yield item
            continue
        where = doc.origin if index == 0 else f"{doc.origin} item {index + 1}"
        try:
            yield finish_article(item, where=where)
        except InputError as exc:
            yield ItemFailure(where=where, error=exc)
