"""Fetching one URL as a :class:`RawDocument`, politely and within hard limits.

Everything a hostile or broken server can do is bounded: time (per operation and in total),
redirects (counted by us, each hop's scheme checked), and size (``Content-Length`` refused
before the body is read, the body capped while it streams, gzip inflated in capped steps).
Redirects are followed by hand rather than by httpx so the limits hold even with a client
the caller built, and so a redirect to ``file:`` or ``ftp:`` is refused like a typed one.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from dateline.errors import FetchError, FetchRefused, FetchStatus, UnsupportedInput
from dateline.ingest.detect import SNIFF_BYTES, detect_kind
from dateline.ingest.files import GZIP_MAGIC, gunzip_capped, too_large
from dateline.ingest.guard import GuardedTransport
from dateline.ingest.raw import RawDocument
from dateline.settings import Settings

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Response headers worth keeping: the media type, and the validators a later conditional GET
# (If-Modified-Since / If-None-Match) needs.
KEPT_HEADERS = ("content-type", "last-modified", "etag")
# The status of a conditional GET whose document has not changed: no body follows.
NOT_MODIFIED = 304
# httpx's timeout is per operation: a server trickling a byte every few seconds never trips
# it. The whole fetch must also end within this many fetch timeouts.
TOTAL_TIMEOUT_FACTOR = 3
# We inflate gzip ourselves under the size cap, so we ask for gzip only: httpx's own decoders
# inflate each network chunk without a bound.
ACCEPT_ENCODING = "gzip"
ACCEPT = (
    "text/html, application/xhtml+xml, application/rss+xml, application/atom+xml, "
    "application/xml;q=0.9, text/plain;q=0.8, */*;q=0.5"
)
_GZIP_ENCODINGS = frozenset({"gzip", "x-gzip"})
_IDENTITY_ENCODINGS = frozenset({"", "identity"})


def check_url(url: str) -> None:
    """Refuse anything but an absolute http(s) URL, before any network traffic."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        shown = f"'{parts.scheme}'" if parts.scheme else "none"
        raise UnsupportedInput(f"{url}: unsupported URL scheme {shown} (only http and https)")
    if not parts.netloc:
        raise UnsupportedInput(f"{url}: not a valid URL (no host)")


def request_headers(settings: Settings) -> dict[str, str]:
    return {
        "User-Agent": settings.user_agent,
        "Accept": ACCEPT,
        "Accept-Encoding": ACCEPT_ENCODING,
    }


def make_client(settings: Settings) -> httpx.Client:
    """A client to share across a batch (connection reuse); :func:`fetch_url` makes one if
    none is given. Its connections go through the SSRF guard (:mod:`.guard`): only public
    addresses, or networks allow-listed in ``fetch_allow_networks``. Proxies from the
    environment are honoured, as users expect (the proxy then connects)."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.fetch_timeout),
        headers=request_headers(settings),
        follow_redirects=False,
        transport=GuardedTransport(settings.fetch_allow_networks),
    )


def fetch_url(url: str, settings: Settings, client: httpx.Client | None = None) -> RawDocument:
    """GET ``url`` and return its (decoded, capped) body with where it finally came from.

    Raises :class:`UnsupportedInput` for a non-http(s) URL, :class:`FetchError` for network
    errors, timeouts, HTTP error statuses and too many redirects, :class:`InputTooLarge` over
    ``max_input_bytes``, and what :func:`detect_kind` raises for bytes we cannot read.
    """
    fetched = fetch_bytes(url, settings, client)
    assert fetched.data is not None  # no validators sent: never Not Modified
    return fetched.document()


@dataclass(frozen=True)
class Fetched:
    """A fetch's outcome before its kind is decided: ``data`` is None for 304 Not Modified.

    The crawler reads sitemaps, which are no news document, so deciding the kind (which
    refuses what we cannot read) is a separate step: :meth:`document`.
    """

    url: str  # as asked
    final_url: str  # after redirects
    status: int
    data: bytes | None
    media_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def document(self) -> RawDocument:
        """The body as a document of its detected kind (raises what :func:`detect_kind` does)."""
        if self.data is None:
            raise FetchError(f"GET {self.url}: not modified (HTTP 304): no body to read")
        parts = urlsplit(self.final_url)
        kind = detect_kind(
            f"{parts.scheme}://{parts.netloc}{parts.path}", self.data[:SNIFF_BYTES], self.media_type
        )
        return RawDocument(
            data=self.data,
            origin=self.url,
            kind=kind,
            url=self.final_url,
            media_type=self.media_type,
            fetched_at=self.fetched_at,
            headers=self.headers,
        )


def fetch_bytes(
    url: str,
    settings: Settings,
    client: httpx.Client | None = None,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """GET ``url`` within the limits; with validators, a conditional GET that may end in 304.

    Raises as :func:`fetch_url` does; an HTTP error status raises :class:`FetchStatus`,
    which carries the status and any Retry-After.
    """
    check_url(url)
    active = make_client(settings) if client is None else client
    timeout = settings.fetch_timeout
    conditional = {}
    if etag:
        conditional["If-None-Match"] = etag
    if last_modified:
        conditional["If-Modified-Since"] = last_modified
    try:
        return _fetch(active, url, settings, conditional)
    except FetchRefused as exc:  # raised at connect time: say which URL (or redirect) led there
        raise FetchRefused(f"GET {url}: {exc}") from exc
    except httpx.TimeoutException as exc:
        raise FetchError(f"GET {url}: timed out after {timeout:g}s ({_reason(exc)})") from exc
    except httpx.HTTPError as exc:
        raise FetchError(f"GET {url}: {_reason(exc)}") from exc
    except httpx.InvalidURL as exc:
        raise UnsupportedInput(f"{url}: not a valid URL: {exc}") from exc
    finally:
        if client is None:
            active.close()


def _fetch(
    client: httpx.Client, url: str, settings: Settings, conditional: Mapping[str, str]
) -> Fetched:
    deadline = time.monotonic() + settings.fetch_timeout * TOTAL_TIMEOUT_FACTOR
    headers = {**request_headers(settings), **conditional}
    request = client.build_request("GET", url, headers=headers, timeout=settings.fetch_timeout)
    response = client.send(request, stream=True, follow_redirects=False)
    redirects = 0
    while response.next_request is not None:
        response.close()
        target = response.next_request
        if redirects >= settings.fetch_max_redirects:
            raise FetchError(
                f"GET {url}: too many redirects (more than {settings.fetch_max_redirects}, "
                "DATELINE_FETCH_MAX_REDIRECTS)"
            )
        if target.url.scheme not in ALLOWED_SCHEMES:
            raise FetchError(f"GET {url}: redirected to {target.url}, not an http(s) URL")
        redirects += 1
        # httpx builds the next request with this one's headers (validators included)
        response = client.send(target, stream=True, follow_redirects=False)
    final = str(response.url)
    kept = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
    try:
        label = f"GET {final}" if final == url else f"GET {final} (redirected from {url})"
        if response.status_code == NOT_MODIFIED and conditional:
            return Fetched(url, final, NOT_MODIFIED, None, headers=kept)
        if not response.is_success:
            raise FetchStatus(
                f"{label}: HTTP {response.status_code} {response.reason_phrase}",
                response.status_code,
                retry_after_seconds(response.headers.get("retry-after")),
            )
        data = _read_body(response, settings.max_input_bytes, label, deadline)
    finally:
        response.close()  # mid-body, this drops the connection: the rest is never read
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower() or None
    return Fetched(url, final, response.status_code, data, media_type, kept)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date (RFC 9110 10.2.3).
    None when absent or unreadable; a date in the past is 0."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _read_body(response: httpx.Response, max_bytes: int, label: str, deadline: float) -> bytes:
    """The decoded body, refused as soon as it is known to pass ``max_bytes``."""
    length = response.headers.get("content-length", "").strip()
    if length.isdigit() and int(length) > max_bytes:
        raise too_large(label, max_bytes, int(length))  # before reading a byte of the body
    encoding = response.headers.get("content-encoding", "").strip().lower()
    # No chunk_size: httpx would then hold bytes back until a chunk fills, hiding a trickle
    # from the deadline. Network reads are at most 64 KiB each anyway.
    if encoding in _GZIP_ENCODINGS:
        raw = _within(response.iter_raw(), deadline, label)
        data = gunzip_capped(raw, max_bytes, f"{label} (Content-Encoding: gzip)")
    else:
        # Unasked-for encodings (deflate, br) are decoded by httpx; the cap still applies.
        chunks = response.iter_raw if encoding in _IDENTITY_ENCODINGS else response.iter_bytes
        data = _capped(_within(chunks(), deadline, label), max_bytes, label)
    if data.startswith(GZIP_MAGIC):  # a .gz file served as-is: inflate it like a local one
        data = gunzip_capped([data], max_bytes, label)
    return data


def _within(chunks: Iterable[bytes], deadline: float, label: str) -> Iterator[bytes]:
    for chunk in chunks:
        if time.monotonic() > deadline:
            raise FetchError(
                f"{label}: timed out: the body was still arriving after "
                f"{TOTAL_TIMEOUT_FACTOR} x DATELINE_FETCH_TIMEOUT"
            )
        yield chunk


def _capped(chunks: Iterable[bytes], max_bytes: int, label: str) -> bytes:
    out = bytearray()
    for chunk in chunks:
        out += chunk
        if len(out) > max_bytes:
            raise too_large(label, max_bytes, what="received")
    return bytes(out)


def _reason(exc: httpx.HTTPError) -> str:
    """httpx messages are often empty (timeouts) or nested; always name the failure."""
    text = str(exc).strip()
    kind = type(exc).__name__
    return f"{kind}: {text}" if text else kind
