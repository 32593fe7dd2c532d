"""The backfill's single writer: prepared articles stored in input order, in batches.

Every decision a one-process ingest makes is made here, the same way and in the same order:
the store step (copy or new article, which carrier leads) runs on each article in input
order with the MinHash signature the worker computed (the same function, so the same
bits), and the enrich stage runs once at the end over everything stored, as ``dateline
ingest`` runs it. So dedup, provenance and stories come out identical.

A batch of articles shares one transaction (fewer commits than one per item); a batch that
fails is rolled back whole and redone one item per transaction, so a bad item is reported
and its neighbours still land. Writes are idempotent: storing a page again finds it known,
so a task Dask ran twice, or a whole backfill run again, adds no row.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dateline.backfill.units import Unit
from dateline.backfill.work import Prepared, UnitResult
from dateline.enrich import dedup
from dateline.enrich.embed import (
    article_text_for_embedding,
    model_name,
    store_vector,
    vector_from_bytes,
)
from dateline.errors import InputError
from dateline.ingest.raw import RawDocument
from dateline.store.db import Store
from dateline.store.dedup_index import SignatureOf
from dateline.store.models import Article, ArticleVector
from dateline.store.repository import SaveStatus, save_article

log = logging.getLogger(__name__)

BATCH = 100


@dataclass
class WriteCounts:
    statuses: dict[str, int] = field(default_factory=dict)
    touched: list[int] = field(default_factory=list)  # new or updated articles, to enrich
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    vectors: int = 0  # worker vectors stored (the rest are embedded by enrich)

    def count(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


def write_unit(store: Store, unit: Unit, result: UnitResult, counts: WriteCounts) -> None:
    """Store one unit's articles, in order, ``BATCH`` to a transaction."""
    raw = RawDocument(data=b"", origin=unit.origin, kind=unit.kind, digest=unit.digest)
    counts.failures.extend(result.failures)
    for start in range(0, len(result.items), BATCH):
        batch = result.items[start : start + BATCH]
        try:
            _write_batch(store, raw, batch, counts)
        except (IntegrityError, InputError) as exc:
            log.info("backfill batch redone item by item", extra={"error": str(exc)})
            for item in batch:
                try:
                    _write_batch(store, raw, [item], counts)
                except (IntegrityError, InputError) as item_exc:
                    where = item.article.url or unit.origin
                    counts.failures.append((where, "store", str(item_exc)))


def _write_batch(
    store: Store, raw: RawDocument, batch: Sequence[Prepared], counts: WriteCounts
) -> None:
    done: list[tuple[str, int]] = []
    stored_vectors = 0
    with store.write() as session:
        for item in batch:
            result = save_article(session, item.article, raw, signature_of=_signer(item))
            done.append((str(result.status), result.article_id))
            if result.status is not SaveStatus.KNOWN and item.vector is not None:
                stored_vectors += _keep_vector(session, result.article_id, item)
    for status, article_id in done:  # counted once the batch committed
        counts.count(status)
        if status in ("new", "updated"):
            counts.touched.append(article_id)
    counts.vectors += stored_vectors


def _signer(item: Prepared) -> SignatureOf:
    """The worker's signature for this article's own paragraphs; computed afresh for any
    other body the store step asks about (a carrier whose lead it re-decides)."""
    own = dedup.Signature.from_bytes(item.signature) if item.signature is not None else None
    paragraphs = item.article.paragraphs

    def signature_of(body: Sequence[str]) -> dedup.Signature | None:
        if body is paragraphs:
            return own
        return dedup.signature_of(body)

    return signature_of


def _keep_vector(session: Session, article_id: int, item: Prepared) -> int:
    """Store the worker's vector when it is this article's: a copy that joined an older
    article leaves that article's text, hence its vector, alone."""
    article = session.get(Article, article_id)
    if article is None or item.embed_text != article_text_for_embedding(
        article.title, article.body
    ):
        return 0
    have = session.scalar(
        select(ArticleVector.article_id).where(
            ArticleVector.article_id == article_id, ArticleVector.model == model_name()
        )
    )
    if have is not None:
        return 0
    assert item.vector is not None
    store_vector(session, article_id, np.asarray(vector_from_bytes(item.vector)))
    return 1
