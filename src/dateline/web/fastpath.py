"""A lean path for the two hottest pages when their shared bytes are cached.

``GET /a/{id}/{slug}`` and ``GET /`` without a query string are answered here, before
FastAPI's routing, dependency and response machinery: the cookie and User-Agent are read
straight from the ASGI headers, the cached shared page gets the counts, the Ranking list
and the reader's parts spliced in (``Site.serve_article``), the view and the lists'
impressions are queued in the event buffer, and a new reader gets the cookie (and, on an
article, the first-view cookie naming that view: ``first_view.py``). Nothing
here reads the database or renders a template (it runs on the event loop): stale parts
are rebuilt in the background (``cache.py``). The bytes are exactly what the FastAPI
routes in ``pages.py`` send (tested).

While the worker's event buffer is far behind (more views than the database can write),
answers wait a little before they go (``EventBuffer.delay``), so the writes catch up.

Anything else falls through to FastAPI unchanged: another method or path, a query string
(JSON twins, list clicks), a page or part not cached (or older than page_cache_seconds) in
this worker, a wrong slug (the route
redirects), a cookie that is present but not a valid reader id, or any error here.
"""

from __future__ import annotations

import asyncio
import logging

from dateline.readers.identity import (
    cookieless_key,
    is_bot,
    new_reader_id,
    reader_key,
    valid_reader_id,
)
from dateline.web.first_view import first_view_cookie
from dateline.web.readers import COOKIE, COOKIE_MAX_AGE_DAYS, ReaderContext, cookie_value
from dateline.web.security import SECURITY_HEADERS, ASGIApp, Receive, Scope, Send
from dateline.web.site import Site

log = logging.getLogger(__name__)

HTML_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"private, no-cache"),
    *SECURITY_HEADERS,
]
# User-Agents remembered by the bot check (a load of real traffic has few distinct ones).
UA_CACHE_MAX = 4096
# The longest article id the fast path parses (64-bit ids have at most 19 digits).
MAX_ID_DIGITS = 18


class FastPath:
    """Pure ASGI middleware in front of the app; see the module docstring."""

    def __init__(self, app: ASGIApp, site: Site) -> None:
        self.app = app
        self.site = site
        self._bots: dict[str, bool] = {}
        self._cookie_tail = (
            f"; HttpOnly; Max-Age={COOKIE_MAX_AGE_DAYS * 86400}; Path=/; SameSite=lax"
            + ("; Secure" if site.secure_cookies else "")
        ).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["query_string"]:
            try:
                answer = self._answer(scope)
            except Exception:  # never worse than the normal path: let it handle the request
                log.exception("fast path failed; falling back", extra={"path": scope["path"]})
                answer = None
            if answer is not None:
                body, cookies = answer
                headers = [(b"content-length", str(len(body)).encode()), *HTML_HEADERS]
                headers.extend((b"set-cookie", cookie) for cookie in cookies)
                delay = self.site.events.delay()  # backpressure while writes fall behind
                if delay > 0:
                    await asyncio.sleep(delay)
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: Scope) -> tuple[bytes, list[bytes]] | None:
        path: str = scope["path"]
        site = self.site
        if path == "/":
            reader = self._reader(scope)
            if reader is None:
                return None
            known = reader.reader_id is not None and not reader.new
            home = site.home_for(reader.reader_id, known, block=False)
            return (home, self._cookies(reader)) if home is not None else None
        if not path.startswith("/a/"):
            return None
        digits, sep, slug = path[3:].partition("/")
        if not sep or not digits.isascii() or not digits.isdigit() or len(digits) > MAX_ID_DIGITS:
            return None
        article_id = int(digits)
        cached = site.peek_article(article_id)
        if cached is None or cached.slug != slug:
            return None
        reader = self._reader(scope)
        if reader is None:
            return None
        # Never blocks: None when a part is not cached, and the route builds it.
        at = site.now()
        body = site.serve_article(cached, article_id, reader, block=False, at=at)
        if body is None:
            return None
        first = first_view_cookie(site.secret, reader, article_id, at)
        return body, self._cookies(reader, first)

    def _reader(self, scope: Scope) -> ReaderContext | None:
        """Like ``readers.reader_context``; None for a cookie this path does not handle."""
        cookie_header = user_agent = None
        for name, value in scope["headers"]:
            if name == b"cookie":
                cookie_header = value.decode("latin-1")
            elif name == b"user-agent":
                user_agent = value.decode("latin-1")
        bot = self._is_bot(user_agent)
        site = self.site
        raw = cookie_value(cookie_header) if cookie_header else None
        client = scope.get("client")
        ip = client[0] if client else ""
        if raw is not None:
            # The only shape new_reader_id makes: anything else (quoted, forged) goes the
            # normal way, which ignores it exactly as it always did.
            if not valid_reader_id(raw):
                return None
            return ReaderContext(raw, False, reader_key(raw), bot, site.secure_cookies, ip)
        key = cookieless_key(ip, user_agent, site.secret)
        return ReaderContext(
            None if bot else new_reader_id(), not bot, key, bot, site.secure_cookies, ip
        )

    def _is_bot(self, user_agent: str | None) -> bool:
        if not user_agent:
            return False
        known = self._bots.get(user_agent)
        if known is None:
            if len(self._bots) >= UA_CACHE_MAX:
                self._bots.clear()
            known = self._bots[user_agent] = is_bot(user_agent)
        return known

    def _cookies(self, reader: ReaderContext, first_view: str = "") -> list[bytes]:
        if not (reader.new and reader.reader_id):
            return []
        cookie = f"{COOKIE}={reader.reader_id}".encode() + self._cookie_tail
        return [cookie, first_view.encode()] if first_view else [cookie]
