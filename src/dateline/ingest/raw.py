"""What the ingest stage hands to extraction: bytes plus where they came from."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class InputKind(StrEnum):
    """The formats we read; one reader module each under ``dateline.extract.readers``."""

    TEXT_DUMP = "text"
    HTML = "html"
    FEED = "feed"
    JSONL = "jsonl"
    MIND = "mind"


@dataclass(frozen=True)
class RawDocument:
    """One input as bytes, never decoded here: decoding is extraction's job (it knows the kind).

    ``origin`` is the path or URL the bytes came from; ``url`` is the document's own web
    address when known (the final URL after redirects, for a fetch).
    """

    data: bytes
    origin: str
    kind: InputKind
    url: str | None = None
    media_type: str | None = None
    fetched_at: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()
