"""What the ingest stage hands to extraction: bytes plus where they came from."""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)


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
    # the whole input's hash when ``data`` is a part of it (a backfill splits big JSONL
    # files into parts; each page still records the file it came from)
    digest: str | None = None

    @property
    def transport_charset(self) -> str | None:
        """The charset the transport declared (media type or a Content-Type header), if any.

        Readers weigh it against what the document itself declares; short single-byte texts
        are ambiguous to detection, so a declaration, when the fetcher kept one, decides.
        """
        content_types = [v for k, v in self.headers.items() if k.casefold() == "content-type"]
        for value in (self.media_type, *content_types):
            match = _CHARSET.search(value or "")
            if match:
                return match.group(1)
        return None

    @functools.cached_property
    def sha256(self) -> str:
        """The input's hash, computed once: every item of a big JSON-lines file records it,
        and hashing 20 MB per item made ingest quadratic in the file's length."""
        return self.digest or hashlib.sha256(self.data).hexdigest()
