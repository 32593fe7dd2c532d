"""Copy detection on the test set: the real ingest path, its score, and the baselines.

Every document goes through ``dateline.store.repository.save_article`` — shingling,
MinHash, the persisted LSH on a real SQLite file, verification — one transaction per
document as ``dateline ingest`` does; that is also the ingest rate the benchmark reports.
Baselines on the same stream: an exact hash of the normalised body (what the store did
before), and datasketch's in-memory ``MinHashLSH`` over plain word 5-shingles with its own
Jaccard threshold. Each baseline's rate is timed twice: as it ingests (look up, then keep
the document when it is new) and as a lookup alone over the documents it has kept.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from dateline.enrich import dedup
from dateline.enrich.shingles import shingles
from dateline.extract.model import ClaimedDate, ExtractedArticle, normalise_for_hash
from dateline.ingest.raw import InputKind, RawDocument
from dateline.store.db import Store
from dateline.store.repository import save_article
from dedup_corpus import VERBATIM, Doc

# datasketch MinHashLSH baseline: its threshold is the Jaccard similarity it is built for.
BASELINE_LSH_THRESHOLD = 0.5

Predicted = dict[str, str | None]  # document key -> the original it attached to (None: new)


def extracted(doc: Doc) -> ExtractedArticle:
    return ExtractedArticle(
        title=doc.title,
        paragraphs=doc.paragraphs,
        url=f"https://{doc.site.replace(' ', '').lower()}.example/{doc.key}",
        site_name=doc.site,
        claimed_date=ClaimedDate(doc.claimed),
    )


def ingest(store: Store, docs: Iterable[Doc], owner: dict[int, str]) -> Predicted:
    """Save each doc; the original key it attached to (None when it made a new article)."""
    predicted: Predicted = {}
    for doc in docs:
        raw = RawDocument(data=doc.key.encode(), origin=doc.key, kind=InputKind.JSONL)
        with store.write() as session:
            result = save_article(session, extracted(doc), raw, signature_of=dedup.signature_of)
        if result.article_id in owner:
            predicted[doc.key] = owner[result.article_id]
        else:
            owner[result.article_id] = doc.key
            predicted[doc.key] = None
    return predicted


def timed_ingest(store: Store, docs: list[Doc]) -> tuple[Predicted, float]:
    """:func:`ingest` on a new store, and its rate: lookup + insert + commit per document."""
    start = time.perf_counter()
    predicted = ingest(store, docs, {})
    return predicted, len(docs) / (time.perf_counter() - start)


def _recall(docs: list[Doc], predicted: Predicted) -> float:
    return sum(predicted[d.key] == d.truth for d in docs) / len(docs) if docs else 1.0


def score(docs: list[Doc], predicted: Predicted) -> dict[str, float]:
    """Precision and recall over all of ``docs``; recall also on verbatim and edited copies."""
    tp = fp = fn = 0
    for doc in docs:
        guess = predicted[doc.key]
        if guess is not None and guess == doc.truth:
            tp += 1
        else:
            fp += guess is not None
            fn += doc.truth is not None
    verbatim = [d for d in docs if VERBATIM in d.ops]
    edited = [d for d in docs if d.truth is not None and VERBATIM not in d.ops]
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "recall_verbatim": _recall(verbatim, predicted),
        "recall_edited": _recall(edited, predicted),
    }


# --- baselines ---------------------------------------------------------------------------------


def exact_hash_baseline(stream: list[Doc]) -> tuple[Predicted, float, float]:
    """(predictions, ingest docs/s, lookup docs/s) of an exact normalised-body hash."""
    seen: dict[str, str] = {}
    predicted: Predicted = {}
    start = time.perf_counter()
    for doc in stream:
        h = normalise_for_hash("\n\n".join(doc.paragraphs))
        predicted[doc.key] = seen.get(h)
        seen.setdefault(h, doc.key)
    ingest_rate = len(stream) / (time.perf_counter() - start)
    start = time.perf_counter()
    for doc in stream:
        seen.get(normalise_for_hash("\n\n".join(doc.paragraphs)))
    return predicted, ingest_rate, len(stream) / (time.perf_counter() - start)


def plain_shingles(doc: Doc, k: int = 5) -> set[bytes]:
    ws = " ".join(doc.paragraphs).casefold().split()
    return {" ".join(ws[i : i + k]).encode() for i in range(max(1, len(ws) - k + 1))}


def datasketch_baseline(stream: list[Doc]) -> tuple[Predicted, float, float]:
    """datasketch's in-memory MinHashLSH: query, keep the best estimated Jaccard, else insert.

    (predictions, ingest docs/s, lookup docs/s): the lookup pass sketches and queries each
    document again, on the filled index, and inserts nothing.
    """
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=BASELINE_LSH_THRESHOLD, num_perm=dedup.NUM_PERM)
    sketches: dict[str, MinHash] = {}

    def best(doc: Doc) -> tuple[float, str | None, MinHash]:
        m = MinHash(num_perm=dedup.NUM_PERM, seed=dedup.SEED)
        m.update_batch(list(plain_shingles(doc)))
        scored = [(m.jaccard(sketches[c]), c) for c in lsh.query(m)]
        return (*max(scored, default=(0.0, None)), m)

    predicted: Predicted = {}
    start = time.perf_counter()
    for doc in stream:
        similarity, key, m = best(doc)
        if key is not None and similarity >= BASELINE_LSH_THRESHOLD:
            predicted[doc.key] = key
        else:
            predicted[doc.key] = None
            lsh.insert(doc.key, m)
            sketches[doc.key] = m
    ingest_rate = len(stream) / (time.perf_counter() - start)
    start = time.perf_counter()
    for doc in stream:
        best(doc)
    return predicted, ingest_rate, len(stream) / (time.perf_counter() - start)


# --- calibration aid ---------------------------------------------------------------------------


def pair_stats(a: set[bytes], b: set[bytes]) -> tuple[float, float]:
    inter = len(a & b)
    return inter / max(1, len(a | b)), inter / max(1, min(len(a), len(b)))


def sweep_k(
    originals: list[Doc], copies: list[Doc], pairs: list[tuple[Doc, Doc]]
) -> list[dict[str, float]]:
    """For each k: the weakest true copies vs the strongest negatives (exact set stats)."""
    rows = []
    for k in (3, 4, 5, 6, 7, 8):
        sets = {d.key: shingles(d.paragraphs, k) for d in originals}
        true = [
            pair_stats(sets[c.truth], shingles(c.paragraphs, k))
            for c in copies
            if c.truth and VERBATIM not in c.ops  # calibrates on what copying sites change
        ]
        negatives = [
            pair_stats(shingles(a.paragraphs, k), shingles(b.paragraphs, k)) for a, b in pairs
        ]
        stories = defaultdict(list)
        for d in originals:
            if d.story:
                stories[d.story].append(d.key)
        for keys in stories.values():
            negatives += [
                pair_stats(sets[x], sets[y]) for i, x in enumerate(keys) for y in keys[i + 1 :]
            ]
        true_c = np.array([c for _, c in true])
        neg_c = np.array([c for _, c in negatives])
        rows.append(
            {
                "k": k,
                "copies_containment_p1": float(np.percentile(true_c, 1)),
                "copies_containment_min": float(true_c.min()),
                "negatives_containment_max": float(neg_c.max()),
                "negatives_containment_p99_9": float(np.percentile(neg_c, 99.9)),
                "gap_p1_vs_max": float(np.percentile(true_c, 1) - neg_c.max()),
            }
        )
    return rows
