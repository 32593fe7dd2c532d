"""The first-view cookie: the page that issued the reader cookie, adopted when it returns.

The article page that offers a new reader the cookie also sets ``dl_first``, a signed
name of the view it just counted under the client hash (``first_view_cookie``; why this
design: ``dateline.readers.first_view``). The next request that carries both cookies
passes through ``FirstViews`` (pure ASGI, outermost, so before the fast path and every
route, /me included): it gives that view to the reader in one transaction and clears the
cookie on that response. When the view is not in the database yet (another worker holds
it for up to ``event_flush_seconds``), this worker's own buffer is flushed and the
question asked again; still missing, the cookie stays and the next request asks again,
until the view's hour is over. Requests without ``dl_first`` cost one substring test.
"""

from __future__ import annotations

import logging
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from dateline.readers.events import naive_utc
from dateline.readers.first_view import (
    FirstView,
    adopt_first_view,
    first_view_token,
    read_first_view_token,
)
from dateline.readers.flush import hour_bucket
from dateline.readers.identity import valid_reader_id
from dateline.web.readers import COOKIE, cookie_value
from dateline.web.security import ASGIApp, Message, Receive, Scope, Send
from dateline.web.site import Site
from dateline.web.viewer import ReaderContext

log = logging.getLogger(__name__)

FIRST_VIEW_COOKIE = "dl_first"
# The cookie's life: the view's hour is what it names (the privacy page states it).
FIRST_VIEW_MAX_AGE = 3600
# Hours after the view's own after which a view still missing is given up on.
GIVE_UP_HOURS = 1


def first_view_cookie(secret: bytes, reader: ReaderContext, article_id: int, at: datetime) -> str:
    """The ``Set-Cookie`` value naming a new reader's view of ``article_id`` at ``at`` (the
    time it was recorded with); "" for anyone else."""
    if not (reader.new and reader.reader_id) or reader.bot:
        return ""
    view = FirstView(article_id, naive_utc(at), reader.viewer_key)
    token = first_view_token(reader.reader_id, view, secret)
    life = f"HttpOnly; Max-Age={FIRST_VIEW_MAX_AGE}"
    return f"{FIRST_VIEW_COOKIE}={token}; {life}; {_tail(reader.secure)}"


def _tail(secure: bool) -> str:
    return "Path=/; SameSite=lax" + ("; Secure" if secure else "")


class FirstViews:
    """Pure ASGI middleware: adopt the view a ``dl_first`` cookie names; see the module."""

    def __init__(self, app: ASGIApp, site: Site) -> None:
        self.app = app
        self.site = site
        self._clear = (
            f"{FIRST_VIEW_COOKIE}=; HttpOnly; Max-Age=0; {_tail(site.secure_cookies)}".encode()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        claim = self._claim(scope) if scope["type"] == "http" else None
        if claim is None:
            await self.app(scope, receive, send)
            return
        reader_id, view = claim
        settled = True
        if reader_id is not None and view is not None:
            settled = await run_in_threadpool(self._adopt, reader_id, view)
        if not settled:
            await self.app(scope, receive, send)
            return

        async def send_clearing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", self._clear)]
            await send(message)

        await self.app(scope, receive, send_clearing)

    def _claim(self, scope: Scope) -> tuple[str | None, FirstView | None] | None:
        """None without a ``dl_first`` cookie; else the reader id and the view it names
        (either None when the pair is not valid: the cookie is then just cleared)."""
        if scope["path"].startswith("/static/"):
            return None  # shared, cacheable answers never carry a Set-Cookie
        header = None
        for name, value in scope["headers"]:
            if name == b"cookie" and b"dl_first=" in value:
                header = value.decode("latin-1")
                break
        if header is None:
            return None
        token = cookie_value(header, FIRST_VIEW_COOKIE)
        reader_id = cookie_value(header, COOKIE)
        if not token or not reader_id or not valid_reader_id(reader_id):
            return None, None
        return reader_id, read_first_view_token(token, reader_id, self.site.secret)

    def _adopt(self, reader_id: str, view: FirstView) -> bool:
        """True once settled; False to ask again on the reader's next request."""
        site = self.site
        try:
            now = site.now()
            settled = adopt_first_view(site.store, reader_id, view, now)
            if not settled:
                # the view may still be queued in this worker, or in a flush under way in
                # the background (which has taken it off the queue): flush() waits for both
                site.events.flush()
                settled = adopt_first_view(site.store, reader_id, view, now)
        except Exception:  # never fail the page for its history
            log.exception("adopting a reader's first view failed; will ask again")
            return False
        if settled:
            site.invalidate_reader(reader_id)
            return True
        return hour_bucket(now) - view.bucket > GIVE_UP_HOURS
