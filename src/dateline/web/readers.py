"""Who is reading: the anonymous reader cookie, bots, and the key a view is counted under.

The cookie is first-party, HttpOnly and SameSite=Lax and holds only a random id. A client
without it is counted once per IP and User-Agent (a keyed hash, never the raw values) and
is offered a cookie; a known bot is neither counted nor given one.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import Request, Response

from dateline.readers.identity import (
    cookieless_key,
    is_bot,
    new_reader_id,
    reader_key,
    valid_reader_id,
)
from dateline.web.viewer import ReaderContext

__all__ = [
    "COOKIE",
    "COOKIE_MAX_AGE_DAYS",
    "ReaderContext",
    "ReaderSite",
    "cookie_value",
    "reader_context",
    "with_reader_cookie",
]

COOKIE = "dl_reader"
# How long the reader cookie lives; the privacy page states it.
COOKIE_MAX_AGE_DAYS = 365


class ReaderSite(Protocol):
    """What reading the cookie needs from the site (``Site`` has both): a protocol, so this
    module does not import the site's services, which take a ``ReaderContext`` in turn."""

    @property
    def secret(self) -> bytes: ...

    @property
    def secure_cookies(self) -> bool: ...


def reader_context(request: Request, site: ReaderSite) -> ReaderContext:
    cached = request.scope.get("dateline.reader")
    if cached is not None:
        return cached
    user_agent = request.headers.get("user-agent")
    bot = is_bot(user_agent)
    raw = request.cookies.get(COOKIE)
    ip = request.client.host if request.client else ""
    if raw and valid_reader_id(raw):
        ctx = ReaderContext(raw, False, reader_key(raw), bot, site.secure_cookies, ip)
    else:
        key = cookieless_key(ip, user_agent, site.secret)
        ctx = ReaderContext(
            None if bot else new_reader_id(), not bot, key, bot, site.secure_cookies, ip
        )
    request.scope["dateline.reader"] = ctx
    return ctx


def with_reader_cookie(response: Response, reader: ReaderContext) -> Response:
    if reader.new and reader.reader_id:
        response.set_cookie(
            COOKIE,
            reader.reader_id,
            max_age=COOKIE_MAX_AGE_DAYS * 86400,
            httponly=True,
            samesite="lax",
            path="/",
            secure=reader.secure,
        )
    return response


def cookie_value(header: str, name: str = COOKIE) -> str | None:
    """The last ``name`` value in a Cookie header, as Starlette's parser reads it."""
    if name not in header:
        return None
    found = None
    for chunk in header.split(";"):
        key, sep, value = chunk.partition("=")
        if not sep:
            key, value = "", chunk
        if key.strip() == name:
            found = value.strip()
    return found
