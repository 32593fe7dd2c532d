"""The ingest orchestrator: one input in, its articles stored, stages read top to bottom.

    1. load     – read the file or fetch the URL (size caps, .gz) and detect its kind
    2. extract  – the kind's reader, then the shared finishing steps, item by item
    3. store    – each item in its own transaction: all of it is written, or none
                  (near-copies found with the enrich stage's MinHash signatures, handed
                  to the store here: the store itself imports nothing from enrich)

A bad item is reported and the batch goes on; a bad document never stops a batch either.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError

from dateline.enrich import dedup
from dateline.errors import InputError
from dateline.extract import extract_document
from dateline.extract.model import RECORD_FIELDS, ExtractedArticle, ItemFailure
from dateline.ingest.raw import RawDocument
from dateline.ingest.sources import expand_inputs, load
from dateline.settings import Settings
from dateline.store.db import Store
from dateline.store.repository import SaveStatus, StageHook, save_article

log = logging.getLogger(__name__)

# Concurrent ingesters can race on a unique key (same source, same text); the loser's
# transaction is rolled back and retried once the winner's rows are visible.
MAX_STORE_ATTEMPTS = 3
FAILED = "failed"


@dataclass(frozen=True)
class ItemReport:
    """What happened to one item: ``status`` is new, updated, known or failed."""

    where: str
    status: str
    title: str | None = None
    article_id: int | None = None
    page_id: int | None = None
    error: str | None = None
    error_code: str | None = None


@dataclass
class IngestReport:
    items: list[ItemReport] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(item.status for item in self.items)

    @property
    def failures(self) -> list[ItemReport]:
        return [item for item in self.items if item.status == FAILED]

    @property
    def ok(self) -> bool:
        return not self.failures


def _failed(where: str, error: InputError) -> ItemReport:
    return ItemReport(where=where, status=FAILED, error=error.message, error_code=error.code)


ItemHook = Callable[[ItemReport], None]


def ingest_one(
    target: str,
    store: Store,
    settings: Settings,
    *,
    on_stage: StageHook | None = None,
    on_item: ItemHook | None = None,
) -> list[ItemReport]:
    """Ingest one file or URL; every item gets a report, none raises an InputError.

    ``on_item`` sees each item's report as soon as it is settled: after its commit for a
    stored item, so a caller that prints it acknowledges only what is in the store.
    """
    # 1. load: bytes, where they came from, what kind of document they are
    try:
        raw = load(target, settings)
    except InputError as exc:
        return _told([_failed(target, exc)], on_item)
    return ingest_document(raw, store, on_stage=on_stage, on_item=on_item)


def _told(reports: list[ItemReport], on_item: ItemHook | None) -> list[ItemReport]:
    if on_item is not None:
        for report in reports:
            on_item(report)
    return reports


def ingest_document(
    raw: RawDocument,
    store: Store,
    *,
    on_stage: StageHook | None = None,
    on_article: Callable[[ExtractedArticle], None] | None = None,
    on_item: ItemHook | None = None,
) -> list[ItemReport]:
    """Steps 2 and 3 for a document already loaded (the crawler fetches its own);
    ``on_article`` sees each extracted item before it is stored, ``on_item`` each report
    once settled (a stored item's after its commit)."""
    reports: list[ItemReport] = []
    # 2. extract, item by item (a container yields failures for its bad items)
    try:
        for item in extract_document(raw):
            if isinstance(item, ItemFailure):
                reports.extend(_told([_failed(item.where, item.error)], on_item))
                continue
            if on_article is not None:
                on_article(item)
            # 3. store, one transaction per item
            reports.extend(_told([_store_item(item, raw, store, on_stage)], on_item))
    except InputError as exc:
        reports.extend(_told([_failed(raw.origin, exc)], on_item))
    return reports


def _store_item(
    article: ExtractedArticle, raw: RawDocument, store: Store, on_stage: StageHook | None
) -> ItemReport:
    where = article.canonical_url or article.url or raw.origin
    for attempt in range(1, MAX_STORE_ATTEMPTS + 1):
        try:
            with store.write() as session:
                result = save_article(
                    session, article, raw, signature_of=dedup.signature_of, on_stage=on_stage
                )
        except IntegrityError:
            if attempt == MAX_STORE_ATTEMPTS:
                raise
            log.info("store race, retrying", extra={"where": where, "attempt": attempt})
            continue
        return ItemReport(
            where=where,
            status=str(result.status),
            title=article.title,
            article_id=result.article_id,
            page_id=result.page_id,
        )
    raise AssertionError("unreachable")


def ingest_many(
    targets: Sequence[str],
    store: Store,
    settings: Settings,
    *,
    on_input: Callable[[str, list[ItemReport]], None] | None = None,
    on_item: ItemHook | None = None,
    expanded: list[str] | None = None,
) -> IngestReport:
    """Ingest files, directories, globs and URLs; the report says what happened to each item
    (``on_item``: as it happens, a stored item's after its commit)."""
    report = IngestReport()
    if expanded is None:
        expanded, errors = expand_inputs(targets)
        report.items.extend(_told([_failed(w, e) for w, e in errors], on_item))
    for target in expanded:
        items = ingest_one(target, store, settings, on_item=on_item)
        report.items.extend(items)
        if on_input is not None:
            on_input(target, items)
    return report


def extract_records(target: str, settings: Settings) -> Iterator[dict[str, Any]]:
    """``dateline extract``: the same load and extraction, nothing stored, one dict per item."""
    try:
        raw = load(target, settings)
        for item in extract_document(raw):
            if isinstance(item, ItemFailure):
                yield error_record(item.where, item.error)
            else:
                yield {"path": target, **item.to_json(), "error": None}
    except InputError as exc:
        yield error_record(target, exc)


def error_record(where: str, error: InputError) -> dict[str, Any]:
    return {
        "path": where,
        **dict.fromkeys(RECORD_FIELDS),
        "error": f"{error.code}: {error.message}",
    }


__all__ = [
    "IngestReport",
    "ItemReport",
    "SaveStatus",
    "extract_records",
    "ingest_document",
    "ingest_many",
    "ingest_one",
]
