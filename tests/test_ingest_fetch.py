"""URL fetching against a real HTTP server on 127.0.0.1 (never any other address)."""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from dateline.errors import (
    EmptyInput,
    FetchError,
    FetchRefused,
    InputTooLarge,
    UnsupportedInput,
)
from dateline.ingest.fetch import fetch_url, make_client
from dateline.ingest.raw import InputKind
from dateline.settings import Settings, load_settings

MB = 1000**2  # SI, as the settings read sizes
PAGE = (
    b"<!DOCTYPE html><html><head><title>Story</title></head><body><p>MOSCOW (AP)</p></body></html>"
)
MIND_LINE = b"N1\tnews\tworld\tTitle\tAbstract\thttps://example.org/a\t[]\t[]\n"


# The server under test listens on loopback, which a fetch refuses unless allow-listed.
LOOPBACK = "127.0.0.0/8"


def settings(**overrides: Any) -> Settings:
    values = {
        "fetch_timeout": 2.0,
        "max_input_bytes": 1 * MB,
        "fetch_max_redirects": 5,
        "fetch_allow_networks": LOOPBACK,
    }
    values.update(overrides)
    return load_settings(environ={}, overrides=values)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LocalServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on what the server saw instead."""

    def do_GET(self) -> None:
        self.server.seen.append((self.path, dict(self.headers)))
        route = ROUTES.get(self.path.split("?")[0])
        try:
            if route is None:
                self.reply(404, b"not here", "text/plain")
            else:
                route(self)
        except (BrokenPipeError, ConnectionResetError):
            self.server.aborted.set()  # the client hung up on us, as it should

    def reply(self, status: int, body: bytes, ctype: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never wait on a handler a test left sleeping

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.aborted = threading.Event()
        self.release = threading.Event()  # set at teardown: sleeping handlers give up

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (our fetcher refusing a body) is expected, not a server bug."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def _story(h: Handler) -> None:
    h.reply(
        200,
        PAGE,
        "text/html; charset=utf-8",
        ETag='"abc"',
        Last_Modified="Tue, 26 Apr 2025 04:00:14 GMT",
        X_Ignored="1",
    )


def _redirect_chain(h: Handler) -> None:
    left = int(h.path.rsplit("/", 1)[1])
    h.redirect("/story" if left == 0 else f"/redirect/{left - 1}")


def _declared_huge(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", str(10 * MB))
    h.end_headers()
    h.wfile.flush()
    h.server.release.wait(10)  # the body only comes if the client waits for it
    h.wfile.write(b"x" * (10 * MB))


def _endless_chunked(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"news " * 13_000
    for _ in range(200 * MB // len(chunk)):
        h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    h.wfile.write(b"0\r\n\r\n")


def _gzip_encoded(h: Handler) -> None:
    h.reply(200, gzip.compress(PAGE * 50), "text/html", Content_Encoding="gzip")


def _gzip_bomb(h: Handler) -> None:
    h.reply(200, BOMB, "text/html", Content_Encoding="gzip")


def _gz_file(h: Handler) -> None:
    h.reply(200, gzip.compress(MIND_LINE * 3), "application/gzip")


def _slow_headers(h: Handler) -> None:
    h.server.release.wait(3)
    h.reply(200, PAGE, "text/html")


def _drip(h: Handler) -> None:
    """One byte every 0.2 s: never idle long enough for a read timeout, never finished."""
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.send_header("Content-Length", "100")
    h.end_headers()
    for _ in range(100):
        h.wfile.write(b"x")
        h.wfile.flush()
        if h.server.release.wait(0.2):
            return


ROUTES: dict[str, Callable[[Handler], None]] = {
    "/story": _story,
    "/page.html": lambda h: h.reply(200, PAGE, "application/octet-stream"),
    "/feed": lambda h: h.reply(200, b"<?xml version='1.0'?><rss></rss>", "text/xml"),
    "/loop": lambda h: h.redirect("/loop", 301),
    "/to-ftp": lambda h: h.redirect("ftp://127.0.0.1/file.txt"),
    "/to-file": lambda h: h.redirect("file:///etc/passwd"),
    "/to-broken": lambda h: h.redirect("/broken", 307),
    "/gone": lambda h: h.reply(410, b"gone", "text/plain"),
    "/broken": lambda h: h.reply(500, b"oops", "text/plain"),
    "/empty": lambda h: h.reply(200, b"", "text/html"),
    "/photo": lambda h: h.reply(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "text/html"),
    "/declared-huge": _declared_huge,
    "/endless": _endless_chunked,
    "/gzip": _gzip_encoded,
    "/bomb": _gzip_bomb,
    "/dump/news.tsv.gz": _gz_file,
    "/slow": _slow_headers,
    "/drip": _drip,
    **{f"/redirect/{n}": _redirect_chain for n in range(10)},
    "/to-metadata": lambda h: h.redirect("http://169.254.169.254/latest/meta-data/"),
}
BOMB = gzip.compress(b"\0" * (50 * MB), compresslevel=9)


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loopback traffic must not be routed through a proxy configured on the machine."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield srv
    finally:
        srv.release.set()
        srv.shutdown()
        srv.server_close()
        thread.join(5)


def test_html_page(server: LocalServer) -> None:
    before = datetime.now(UTC)
    doc = fetch_url(f"{server.base}/story", settings())
    assert doc.data == PAGE
    assert doc.kind is InputKind.HTML
    assert doc.origin == doc.url == f"{server.base}/story"
    assert doc.media_type == "text/html"
    assert doc.headers == {
        "content-type": "text/html; charset=utf-8",
        "etag": '"abc"',
        "last-modified": "Tue, 26 Apr 2025 04:00:14 GMT",
    }
    assert doc.fetched_at is not None
    assert doc.fetched_at.tzinfo is not None
    assert before <= doc.fetched_at <= datetime.now(UTC)


def test_user_agent_and_accept_encoding_are_sent(server: LocalServer) -> None:
    config = settings(user_agent="DatelineTest/9 (+https://example.org/bot)")
    fetch_url(f"{server.base}/story", config)
    ((_, headers),) = server.seen
    assert headers["User-Agent"] == "DatelineTest/9 (+https://example.org/bot)"
    assert headers["Accept-Encoding"] == "gzip"


def test_extension_in_url_path_decides_kind(server: LocalServer) -> None:
    assert fetch_url(f"{server.base}/page.html", settings()).kind is InputKind.HTML
    assert fetch_url(f"{server.base}/feed", settings()).kind is InputKind.FEED


def test_redirects_are_followed_and_final_url_recorded(server: LocalServer) -> None:
    doc = fetch_url(f"{server.base}/redirect/3", settings(fetch_max_redirects=4))
    assert doc.url == f"{server.base}/story"
    assert doc.origin == f"{server.base}/redirect/3"
    assert doc.data == PAGE
    assert [path for path, _ in server.seen] == [
        "/redirect/3",
        "/redirect/2",
        "/redirect/1",
        "/redirect/0",
        "/story",
    ]
    # every hop carries our User-Agent, not httpx's
    assert {h["User-Agent"] for _, h in server.seen} == {settings().user_agent}


def test_too_many_redirects(server: LocalServer) -> None:
    with pytest.raises(FetchError, match="too many redirects"):
        fetch_url(f"{server.base}/redirect/3", settings(fetch_max_redirects=3))
    assert len(server.seen) == 4  # the original request and three redirects, no more


def test_zero_redirects_allowed(server: LocalServer) -> None:
    with pytest.raises(FetchError, match=r"too many redirects \(more than 0"):
        fetch_url(f"{server.base}/redirect/0", settings(fetch_max_redirects=0))


def test_redirect_loop(server: LocalServer) -> None:
    with pytest.raises(FetchError, match="too many redirects"):
        fetch_url(f"{server.base}/loop", settings())


def test_limits_hold_with_a_callers_permissive_client(server: LocalServer) -> None:
    with httpx.Client(follow_redirects=True, max_redirects=50) as client:
        with pytest.raises(FetchError, match="too many redirects"):
            fetch_url(f"{server.base}/loop", settings(fetch_max_redirects=2), client)
        assert not client.is_closed  # a caller's client is left open for reuse
        assert fetch_url(f"{server.base}/story", settings(), client).data == PAGE


@pytest.mark.parametrize("path", ["/to-ftp", "/to-file"])
def test_redirect_to_non_http_scheme_is_refused(server: LocalServer, path: str) -> None:
    with pytest.raises(FetchError, match="not an http\\(s\\) URL"):
        fetch_url(f"{server.base}{path}", settings())


@pytest.mark.parametrize(
    ("path", "status"), [("/missing", "HTTP 404 Not Found"), ("/gone", "HTTP 410 Gone")]
)
def test_http_error_status(server: LocalServer, path: str, status: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch_url(f"{server.base}{path}", settings())
    assert str(info.value) == f"GET {server.base}{path}: {status}"


def test_http_error_after_redirect_names_both_urls(server: LocalServer) -> None:
    with pytest.raises(FetchError) as info:
        fetch_url(f"{server.base}/to-broken", settings())
    assert str(info.value) == (
        f"GET {server.base}/broken (redirected from {server.base}/to-broken): "
        "HTTP 500 Internal Server Error"
    )


def test_declared_length_over_cap_is_refused_before_reading(server: LocalServer) -> None:
    started = time.perf_counter()
    with pytest.raises(InputTooLarge) as info:
        fetch_url(f"{server.base}/declared-huge", settings())
    # the server holds the body back until teardown: waiting for it would take 10 s
    assert time.perf_counter() - started < 1.5
    assert "too large: 10.0 MB > limit 1.0 MB (DATELINE_MAX_INPUT_BYTES)" in str(info.value)


def test_chunked_body_over_cap_is_refused_while_streaming(server: LocalServer) -> None:
    started = time.perf_counter()
    with pytest.raises(InputTooLarge, match=r"too large: over 1\.0 MB received"):
        fetch_url(f"{server.base}/endless", settings())
    assert time.perf_counter() - started < 5
    assert server.aborted.wait(5)  # we hung up instead of draining 200 MB


def test_gzip_content_encoding_is_decoded(server: LocalServer) -> None:
    doc = fetch_url(f"{server.base}/gzip", settings())
    assert doc.data == PAGE * 50
    assert doc.kind is InputKind.HTML


def test_gzip_content_encoding_cap_applies_to_decoded_bytes(server: LocalServer) -> None:
    assert len(BOMB) < 1 * MB  # the wire size alone would pass the cap
    with pytest.raises(InputTooLarge, match=r"Content-Encoding: gzip\).*too large: over 1\.0 MB"):
        fetch_url(f"{server.base}/bomb", settings())


def test_gz_url_is_decompressed_and_detected_by_inner_name(server: LocalServer) -> None:
    doc = fetch_url(f"{server.base}/dump/news.tsv.gz", settings())
    assert doc.data == MIND_LINE * 3
    assert doc.kind is InputKind.MIND


def test_slow_server_times_out(server: LocalServer) -> None:
    started = time.perf_counter()
    with pytest.raises(FetchError, match=r"timed out after 0.5s \(ReadTimeout"):
        fetch_url(f"{server.base}/slow", settings(fetch_timeout=0.5))
    assert time.perf_counter() - started < 2


def test_trickling_body_hits_the_total_deadline(server: LocalServer) -> None:
    started = time.perf_counter()
    with pytest.raises(FetchError, match="timed out: the body was still arriving"):
        fetch_url(f"{server.base}/drip", settings(fetch_timeout=0.5))
    assert time.perf_counter() - started < 3


def test_connection_refused() -> None:
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(FetchError, match=f"GET http://127.0.0.1:{port}/: ConnectError"):
        fetch_url(f"http://127.0.0.1:{port}/", settings())


def test_empty_body(server: LocalServer) -> None:
    with pytest.raises(EmptyInput):
        fetch_url(f"{server.base}/empty", settings())


def test_binary_body_is_refused(server: LocalServer) -> None:
    with pytest.raises(UnsupportedInput, match=r"/photo: looks like binary data \(PNG image\)"):
        fetch_url(f"{server.base}/photo", settings())


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/feed.xml", "file:///etc/passwd", "javascript:alert(1)", "127.0.0.1/x"],
)
def test_non_http_scheme_is_refused_without_traffic(url: str) -> None:
    with pytest.raises(UnsupportedInput, match="unsupported URL scheme"):
        fetch_url(url, settings())


def test_url_without_host_is_refused() -> None:
    with pytest.raises(UnsupportedInput, match="no host"):
        fetch_url("http:///path", settings())


def test_shared_client_is_reused(server: LocalServer) -> None:
    config = settings()
    with make_client(config) as client:
        first = fetch_url(f"{server.base}/story", config, client)
        second = fetch_url(f"{server.base}/gzip", config, client)
    assert first.kind is second.kind is InputKind.HTML


# --- the SSRF guard: checked where the connection is made, redirects included ---------------


def test_loopback_is_refused_unless_allow_listed(server: LocalServer) -> None:
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.1 is a loopback address: refused"):
        fetch_url(f"{server.base}/story", settings(fetch_allow_networks=""))
    with pytest.raises(FetchRefused, match="loopback"):  # an allow-list of another network
        fetch_url(f"{server.base}/story", settings(fetch_allow_networks="10.0.0.0/8"))
    assert server.seen == []  # refused before connecting: the server saw nothing
    assert fetch_url(f"{server.base}/story", settings(fetch_allow_networks="127.0.0.1/32")).data


def test_a_name_is_judged_by_the_addresses_it_resolves_to(server: LocalServer) -> None:
    port = server.base.rsplit(":", 1)[1]
    with pytest.raises(FetchRefused, match=r"localhost resolves to \S+, a loopback address"):
        fetch_url(f"http://localhost:{port}/story", settings(fetch_allow_networks=""))
    assert server.seen == []


def test_a_redirect_to_a_private_address_is_refused_at_connect_time(server: LocalServer) -> None:
    pattern = r"GET http://127\.0\.0\.1:\d+/to-metadata: 169\.254\.169\.254 is a link-local"
    with pytest.raises(FetchRefused, match=pattern):
        fetch_url(f"{server.base}/to-metadata", settings(fetch_allow_networks="127.0.0.1/32"))
    assert [path for path, _ in server.seen] == ["/to-metadata"]


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_which_addresses_are_refused(address: str, kind: str | None) -> None:
    from ipaddress import ip_address

    from dateline.ingest.guard import networks, refusal

    assert refusal(ip_address(address)) == kind
    allowed = networks("10.0.0.0/8, fe80::/10")
    assert refusal(ip_address("10.9.9.9"), allowed) is None
    assert refusal(ip_address("fe80::2"), allowed) is None


def test_an_allow_list_that_is_not_networks_is_a_config_error() -> None:
    from dateline.errors import ConfigError

    with pytest.raises(ConfigError, match="fetch_allow_networks"):
        settings(fetch_allow_networks="10.0.0.0/8, not-a-network")
    assert settings(fetch_allow_networks=" 10.1.0.0/16 ,::1 ").fetch_allow_networks == (
        "10.1.0.0/16, ::1/128"
    )
