"""A newsroom's own pages for tests: HTML articles written to a folder, and a real HTTP
server on 127.0.0.1 that serves the folder (as a newsroom's staging server would)."""

from __future__ import annotations

import contextlib
import functools
import html
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def page_html(
    *,
    site: str,
    title: str,
    paragraphs: list[str],
    published: str,
    section: str,
    byline: str,
    url: str | None = None,
) -> str:
    """An article page: site name, headline, date, section and byline in its metadata;
    a canonical link only when ``url`` is given."""
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    canonical = f'<link rel="canonical" href="{url}">' if url else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)} - {html.escape(site)}</title>
{canonical}
<meta property="og:site_name" content="{html.escape(site)}">
<meta property="og:title" content="{html.escape(title)}">
<meta property="article:published_time" content="{published}">
<meta property="article:section" content="{html.escape(section)}">
<meta name="author" content="{html.escape(byline)}">
</head><body><article><h1>{html.escape(title)}</h1>
<p class="byline">By {html.escape(byline)}</p>
{body}
</article></body></html>"""


def write_pages(folder: Path, **pages: dict) -> dict[str, Path]:
    """``name=fields`` → ``folder/name.html``; the paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, fields in pages.items():
        paths[name] = folder / f"{name}.html"
        paths[name].write_text(page_html(**fields), encoding="utf-8")
    return paths


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler] | functools.partial) -> Iterator[str]:
    """Serve ``handler`` over HTTP on a free loopback port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve ``folder``'s files (as a newsroom's staging server would); yields its URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    with serving(functools.partial(Quiet, directory=folder)) as url:
        yield url
