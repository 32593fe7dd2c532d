"""What a backfill's workers do: extract, shingle and MinHash, embed; nothing is decided here.

:class:`ModelsPlugin` loads the embedding model once per worker when the plugin is
registered (``Client.register_plugin``), instead of shipping it with every task; the task
function finds it on its worker. A task returns plain, picklable data: the extracted
articles, each one's MinHash signature and, when it can be embedded, its text and vector.
Every decision (copy or new, which carrier leads, which story) is the single writer's, in
input order (:mod:`.write`), so the store ends up as a one-process ingest would leave it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from dateline.backfill.units import Unit
from dateline.enrich import dedup
from dateline.enrich.embed import (
    EmbedModel,
    article_embedding_status,
    article_text_for_embedding,
    embed_texts,
    load_model,
    resolve_model,
    vector_to_bytes,
)
from dateline.errors import InputError
from dateline.extract import extract_document
from dateline.extract.model import ExtractedArticle, ItemFailure

PLUGIN_NAME = "dateline-models"
_LINE = re.compile(r":(\d+)$")


class ModelsPlugin(WorkerPlugin):
    """Loads the embedding model (and warms MinHash) once on each worker."""

    idempotent = True

    def __init__(self, embed_spec: str) -> None:
        self.embed_spec = embed_spec
        self.model: EmbedModel | None = None

    def setup(self, worker: Any) -> None:
        self.model = resolve_model(self.embed_spec)
        load_model(self.model)
        dedup.signature_of("warm up the MinHash permutations once")


@dataclass(frozen=True)
class Prepared:
    """One article ready for the writer."""

    article: ExtractedArticle
    signature: bytes | None
    embed_text: str | None = None
    vector: bytes | None = None


@dataclass
class UnitResult:
    index: int
    items: list[Prepared] = field(default_factory=list)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # where, code, message
    seconds: float = 0.0
    worker: str = ""


def process_unit(unit: Unit) -> UnitResult:
    """The task: runs on a worker, with the models its plugin loaded."""
    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN_NAME)
    model = plugin.model if isinstance(plugin, ModelsPlugin) else None
    return prepare(unit, model, worker=str(worker.address))


def prepare(unit: Unit, model: EmbedModel | None, *, worker: str = "") -> UnitResult:
    """Extract, sign and embed one unit (also what the tests compare with)."""
    started = time.perf_counter()
    result = UnitResult(unit.index, worker=worker)
    articles: list[ExtractedArticle] = []
    try:
        for item in extract_document(unit.document()):
            if isinstance(item, ItemFailure):
                where = _shifted(item.where, unit.first_line - 1)
                result.failures.append((where, item.error.code, item.error.message))
            else:
                articles.append(item)
    except InputError as exc:
        result.failures.append((unit.origin, exc.code, exc.message))
    texts: dict[int, str] = {}
    for n, article in enumerate(articles):
        text = article_text_for_embedding(article.title, article.body)
        if article_embedding_status(article.language, text) is None:
            texts[n] = text
    vectors = embed_texts(list(texts.values()), model=model) if texts else None
    rows = dict(zip(texts, vectors, strict=True)) if vectors is not None else {}
    for n, article in enumerate(articles):
        signature = dedup.signature_of(article.paragraphs)
        vector = rows.get(n)
        result.items.append(
            Prepared(
                article,
                signature.to_bytes() if signature is not None else None,
                texts.get(n),
                vector_to_bytes(vector) if vector is not None else None,
            )
        )
    result.seconds = time.perf_counter() - started
    return result


def _shifted(where: str, offset: int) -> str:
    """``origin:line`` of a part, as the line of the whole file."""
    if not offset:
        return where
    return _LINE.sub(lambda m: f":{int(m.group(1)) + offset}", where)
