"""The near-duplicate index's tables: LSH buckets and stored signatures, read and written.

Each indexed article has its MinHash signature in ``article_signatures`` and one
``minhash_bands`` row per LSH band (indexed on band, bucket). This module is the SQL side
of near-copy detection: find the canonical articles sharing a bucket with a new body,
keep the best verified one, add an article to the index, and (PostgreSQL) lock a new
body's buckets so concurrent writers of near-copies queue.

It does not compute signatures: the enrich stage's dedup module does (shingles, datasketch
MinHash, band hashing, the copy test) and hands the store objects with the few members
:class:`IndexedSignature` names. The store imports nothing from enrich; the caller (the
ingest pipeline) passes the signature function in.

Concurrency: on SQLite the writer lock (``BEGIN IMMEDIATE``) serialises ingesters. On
PostgreSQL two transactions could each miss the other's uncommitted article, so
:func:`lock_buckets` takes a transaction-scoped advisory lock on every bucket of the new
signature before the lookup: two near-copies share a bucket (that is how LSH finds them),
so the second waits for the first to commit and then sees its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from sqlalchemy import TextClause, insert, select, text
from sqlalchemy.orm import Session

from dateline.store.models import Article, ArticleSignature, MinHashBand

# At most this many candidates are verified (those sharing the most buckets first), so a
# pathological bucket (boilerplate shared by thousands of pages) cannot stall an ingest.
MAX_CANDIDATES = 64


@dataclass(frozen=True)
class Match:
    """A verified near-copy: the stored article, estimated Jaccard and containment."""

    article_id: int
    jaccard: float
    containment: float


class IndexedSignature(Protocol):
    """What the store needs of a body's signature (computed above it, in enrich)."""

    @property
    def num_perm(self) -> int:
        """The signature's length; stored rows of another length are never compared."""
        ...

    @property
    def size(self) -> int:
        """How many shingles the text has: which of two copies holds more of it."""
        ...

    @property
    def buckets(self) -> list[tuple[int, int]]:
        """(band, bucket) pairs, bands numbered from 0; buckets are signed 64-bit ints."""
        ...

    def to_bytes(self) -> bytes:
        """The form stored in ``article_signatures.signature``."""
        ...

    def copy_of(self, stored: bytes) -> Match | None:
        """Verify a candidate: a Match (article_id 0) when the stored signature's text
        and this one are copies of each other, else None."""
        ...


# A cleaned body's paragraphs → its signature, or None when it is too short to compare.
SignatureOf = Callable[[Sequence[str]], IndexedSignature | None]


@cache
def _candidates_query(bands: int, num_perm: int) -> TextClause:
    """The lookup, built once: each band's bucket as its own equality, OR-ed.

    Not a row-value ``(band, bucket) IN (...)``: SQLite plans that as a full table scan
    (134 ms at 20k articles) and the OR form as one index seek per band (0.3 ms);
    PostgreSQL turns it into a bitmap OR of index scans. Built as text once because
    building 37 expressions per lookup cost more than the query itself.
    """
    in_bucket = " OR ".join(f"(band = {i} AND bucket = :k{i})" for i in range(bands))
    # Only integer constants are interpolated; the buckets are bound parameters.
    sql = (
        "SELECT s.article_id, s.signature FROM article_signatures s "  # noqa: S608
        "JOIN articles a ON a.id = s.article_id "
        "JOIN (SELECT article_id, count(*) AS shared FROM minhash_bands "
        f"WHERE {in_bucket} GROUP BY article_id ORDER BY shared DESC, article_id "
        f"LIMIT {MAX_CANDIDATES}) c ON c.article_id = s.article_id "
        f"WHERE a.superseded_by_id IS NULL AND s.num_perm = {num_perm}"
    )
    return text(sql)


def candidates(
    session: Session, signature: IndexedSignature, *, exclude: Collection[int] = ()
) -> list[tuple[int, bytes]]:
    """Canonical articles sharing an LSH bucket with ``signature``, with their stored
    signatures (as bytes), in one query."""
    params = {f"k{band}": bucket for band, bucket in signature.buckets}
    rows = session.execute(_candidates_query(len(params), int(signature.num_perm)), params)
    return [(aid, raw) for aid, raw in rows if aid not in exclude]


def best_match(
    session: Session, signature: IndexedSignature, *, exclude: Collection[int] = ()
) -> Match | None:
    """The most similar verified copy among the candidates (ties: the oldest article)."""
    best: Match | None = None
    for article_id, stored in candidates(session, signature, exclude=exclude):
        found = signature.copy_of(stored)
        if found is None:
            continue
        key = (found.containment, found.jaccard, -article_id)
        if best is None or key > (best.containment, best.jaccard, -best.article_id):
            best = Match(article_id, found.jaccard, found.containment)
    return best


def find_copy_of(
    session: Session, signature: IndexedSignature, *, exclude: Collection[int] = ()
) -> int | None:
    """The canonical article ``signature`` is a near-copy of, or None."""
    found = best_match(session, signature, exclude=exclude)
    return found.article_id if found else None


def index_article(session: Session, article_id: int, signature: IndexedSignature) -> None:
    """Add an article to the index (a no-op when it is already there)."""
    if session.get(ArticleSignature, article_id) is not None:
        return
    session.flush()  # the article row first (the index rows refer to it)
    # Core inserts: the unit of work's bookkeeping for one signature and its band rows
    # cost more than the statements themselves, on every new article of an ingest.
    session.execute(
        insert(ArticleSignature),
        [
            {
                "article_id": article_id,
                "num_perm": signature.num_perm,
                "signature": signature.to_bytes(),
            }
        ],
    )
    session.execute(
        insert(MinHashBand),
        [
            {"band": band, "bucket": bucket, "article_id": article_id}
            for band, bucket in signature.buckets
        ],
    )


def lock_buckets(session: Session, signature: IndexedSignature) -> None:
    """PostgreSQL: hold an advisory lock on each bucket until this transaction ends.

    Keys are taken in sorted order, so two writers never wait on each other in a cycle.
    On SQLite ``BEGIN IMMEDIATE`` already serialises writers: nothing to do.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({bucket for _, bucket in signature.buckets})
    session.execute(
        text(
            "SELECT count(pg_advisory_xact_lock(k)) "
            "FROM unnest(CAST(:keys AS bigint[])) WITH ORDINALITY AS t(k, n)"
        ),
        {"keys": keys},
    )


def unindexed_articles(session: Session, *, limit: int | None = None) -> list[tuple[int, str]]:
    """``(id, body)`` of stored articles with no signature yet, oldest id first."""
    query = (
        select(Article.id, Article.body)
        .outerjoin(ArticleSignature, ArticleSignature.article_id == Article.id)
        .where(ArticleSignature.article_id.is_(None))
        .order_by(Article.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [(article_id, body) for article_id, body in session.execute(query).all()]


__all__ = [
    "MAX_CANDIDATES",
    "IndexedSignature",
    "Match",
    "SignatureOf",
    "best_match",
    "candidates",
    "find_copy_of",
    "index_article",
    "lock_buckets",
    "unindexed_articles",
]
