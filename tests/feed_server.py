"""Feed hosts on loopback for crawler tests: RSS feeds with validators, robots.txt, latency,
scripted failures, and a log of every request with its start and end.

Each :class:`FeedHost` is a real HTTP server on its own loopback address (127.0.0.x), so
"per host" means what it means on the internet. The log lets a test prove that no host
ever had two requests in flight and that requests started the host delay apart.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import itertools
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

WORDS = (
    "harbour council budget river bridge school hospital museum railway festival election "
    "harvest flood drought market library stadium airport tunnel factory orchestra parliament "
    "vaccine telescope glacier volcano satellite pipeline reservoir vineyard lighthouse"
).split()


def item_text(feed: int, item: int) -> tuple[str, str]:
    """A distinct headline and body per (feed, item): no two near-copies of each other."""
    digest = hashlib.sha256(f"{feed}/{item}".encode()).digest()
    words = [WORDS[b % len(WORDS)] for b in digest]
    title = f"Report {feed}-{item}: {' '.join(words[:4])}"
    sentences = [
        f"The {words[i]} {words[i + 1]} story number {feed * 1000 + item} concerns the "
        f"{words[i + 2]} and the {words[i + 3]} near station {feed}-{item}-{i}."
        for i in range(0, 24, 4)
    ]
    return title, " ".join(sentences)


@dataclass
class Feed:
    """A feed's items, newest last; ``published`` is each item's date (RFC 2822)."""

    number: int
    items: int = 3
    title: str = ""
    day: str = "Sat, 05 Dec 2026"

    def body(self, base: str) -> bytes:
        entries = []
        for i in range(self.items):
            title, text = item_text(self.number, i)
            link = f"{base}/a/{self.number}/{i}"
            when = f"{self.day} {i % 24:02d}:00:00 GMT"
            entries.append(
                f"<item><title>{escape(title)}</title><link>{link}</link>"
                f"<guid>{link}</guid><pubDate>{when}</pubDate>"
                f"<description>{escape(text)}</description></item>"
            )
        name = escape(self.title or f"Feed {self.number}")
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{name}</title><link>{base}/</link><description>test</description>"
            + "".join(entries)
            + "</channel></rss>"
        ).encode()


@dataclass
class Request:
    path: str
    start: float
    end: float
    status: int


@dataclass
class FeedHost:
    """One host: its feeds by path, robots.txt, latency, and scripted answers."""

    address: str = "127.0.0.1"
    feeds: dict[str, Feed] = field(default_factory=dict)
    pages: dict[str, bytes] = field(default_factory=dict)  # other paths: raw HTML/XML
    robots: str | None = None
    latency: float = 0.0
    # path -> latencies for its next requests, one used per request (then ``latency``)
    slow: dict[str, list[float]] = field(default_factory=dict)
    # path -> (status, headers) answered instead of the document
    scripted: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    base: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]

    def overlaps(self) -> int:
        """Pairs of requests whose [start, end] intervals intersect."""
        spans = sorted((r.start, r.end) for r in self.log)
        return sum(1 for a, b in itertools.pairwise(spans) if b[0] < a[1])

    def min_gap(self, skip_robots: bool = False) -> float:
        """The shortest time between two request starts."""
        starts = sorted(r.start for r in self.log if not (skip_robots and r.path == "/robots.txt"))
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        return min(gaps) if gaps else float("inf")


def _handler(host: FeedHost) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            start = time.monotonic()
            with host._lock:
                host.in_flight += 1
                host.max_in_flight = max(host.max_in_flight, host.in_flight)
            status = 500
            try:
                with host._lock:
                    queued = host.slow.get(self.path)
                    wait = queued.pop(0) if queued else host.latency
                if wait:
                    time.sleep(wait)
                status = self._answer()
            finally:
                with host._lock:
                    host.in_flight -= 1
                    host.log.append(Request(self.path, start, time.monotonic(), status))

        def _answer(self) -> int:
            if self.path in host.scripted:
                status, headers = host.scripted[self.path]
                return self._send(status, b"", "text/plain", headers)
            if self.path == "/robots.txt":
                if host.robots is None:
                    return self._send(404, b"no robots here", "text/plain")
                return self._send(200, host.robots.encode(), "text/plain")
            if self.path in host.feeds:
                body = host.feeds[self.path].body(host.base)
                return self._send(200, body, "application/rss+xml", conditional=True)
            if self.path in host.pages:
                data = host.pages[self.path]
                kind = "application/xml" if data.lstrip().startswith(b"<?xml") else "text/html"
                return self._send(200, data, kind, conditional=True)
            return self._send(404, b"not found", "text/plain")

        def _send(
            self,
            status: int,
            body: bytes,
            kind: str,
            headers: dict[str, str] | None = None,
            conditional: bool = False,
        ) -> int:
            extra = dict(headers or {})
            if conditional:
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                modified = email.utils.formatdate(1_700_000_000, usegmt=True)
                extra.update({"ETag": etag, "Last-Modified": modified})
                if self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)
            return status

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A crawler killed mid-request, or a client closing a kept-alive connection, is
        part of these tests; anything else is still printed."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextlib.contextmanager
def serving(*hosts: FeedHost) -> Iterator[list[FeedHost]]:
    """Start every host's server (each on its address, a free port); stop them after."""
    servers = []
    try:
        for host in hosts:
            server = _Server((host.address, 0), _handler(host))
            host.base = f"http://{host.address}:{server.server_address[1]}"
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
            thread.start()
            servers.append((server, thread))
        yield list(hosts)
    finally:
        for server, thread in servers:
            server.shutdown()
            server.server_close()
            thread.join(5)
