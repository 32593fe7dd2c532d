"""Rate limits on what is cheap to ask and costly to answer: reactions, search, the API and
the reader controls. Per reader cookie and per client address, 429 with Retry-After.

Each class of request has a budget per minute for one reader and for one address
(settings ``limit_reactions``, ``limit_search``, ``limit_api``, ``limit_controls``), kept
as token buckets: a client may spend a minute's budget at once, then one request per
``60 / budget`` seconds. Buckets live in the worker's memory, so with N web workers a
client that reaches all of them gets at most N times a budget: that is the documented
total (docs/security.md). A page view is never limited; ``views_per_ip_hour`` bounds what
views from one address can add instead (:mod:`dateline.web.count_bound`).

Addresses in ``limit_exempt_networks`` (default: 127.0.0.1 and ::1, where a reverse proxy
that does not forward the client's address would show every reader) skip the per-address
budget; the per-reader one still applies to them.

Memory is bounded: at most ``MAX_KEYS`` buckets per class, the least recently used
dropped first (a dropped bucket comes back full, which only forgives).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from dateline.readers.identity import valid_reader_id
from dateline.web.count_bound import Networks
from dateline.web.readers import cookie_value
from dateline.web.security import ASGIApp, Receive, Scope, Send

MAX_KEYS = 50_000

# (class, methods, path pattern), first match wins
_RULES: tuple[tuple[str, frozenset[str], re.Pattern[str]], ...] = (
    (
        "reactions",
        frozenset({"POST"}),
        re.compile(r"^/(?:a/\d+/react|api/v1/articles/\d+/reaction)$"),
    ),
    (
        "controls",
        frozenset({"POST", "PUT", "DELETE"}),
        re.compile(r"^/(?:me/|api/v1/reader/(?:controls|pause|reset)$)"),
    ),
    ("search", frozenset({"GET", "HEAD"}), re.compile(r"^/(?:search|api/v1/search)$")),
    ("api", frozenset({"GET", "HEAD", "POST", "PUT", "DELETE"}), re.compile(r"^/api/v1/")),
)


def classify(method: str, path: str) -> str | None:
    """The budget a request spends from, or None (pages, static files, feeds)."""
    for name, methods, pattern in _RULES:
        if method in methods and pattern.match(path):
            return name
    return None


@dataclass(frozen=True)
class Budget:
    per_reader: int  # requests per minute; 0: unlimited
    per_address: int

    @classmethod
    def parse(cls, value: str) -> Budget:
        reader, address = (int(p) for p in value.split(","))
        return cls(reader, address)


class TokenBuckets:
    """Token buckets by key for one budget per minute, in bounded memory."""

    def __init__(self, per_minute: int, max_keys: int = MAX_KEYS) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    def take(self, key: str, now: float) -> float:
        """0 when a request may go now (and it is counted), else seconds until one may."""
        tokens, at = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


class RateLimits:
    """Pure ASGI middleware: a request over budget gets 429 and never reaches the routes."""

    def __init__(
        self,
        app: ASGIApp,
        budgets: dict[str, Budget],
        exempt_networks: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.clock = clock
        self.readers = {n: TokenBuckets(b.per_reader) for n, b in budgets.items() if b.per_reader}
        self.addresses = {
            n: TokenBuckets(b.per_address) for n, b in budgets.items() if b.per_address
        }
        self.exempt = Networks(exempt_networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        name = classify(scope["method"], scope["path"])
        wait = self._wait(name, scope) if name is not None else 0.0
        if wait <= 0.0:
            await self.app(scope, receive, send)
            return
        await _too_many(scope, send, name or "", wait)

    def _wait(self, name: str, scope: Scope) -> float:
        now = self.clock()
        wait = 0.0
        reader = _reader_id(scope)
        if reader is not None and name in self.readers:
            wait = self.readers[name].take(reader, now)
        address = (scope.get("client") or ("", 0))[0]
        if wait <= 0.0 and name in self.addresses and address not in self.exempt:
            wait = self.addresses[name].take(address, now)
        return wait


def _reader_id(scope: Scope) -> str | None:
    """The reader cookie's id, read as the site reads it (:func:`.readers.cookie_value`)."""
    for name, value in scope["headers"]:
        if name == b"cookie":
            raw = cookie_value(value.decode("latin-1"))
            return raw if raw is not None and valid_reader_id(raw) else None
    return None


async def _too_many(scope: Scope, send: Send, name: str, wait: float) -> None:
    retry = max(1, math.ceil(wait))
    message = f"Too many {name} requests from this reader or address: try again in {retry} s."
    if scope["path"].startswith("/api/"):
        body = json.dumps({"error": {"code": "too_many_requests", "message": message}})
        kind = b"application/json"
    else:
        body = (
            "<!doctype html><html lang=en><meta charset=utf-8><title>Too many requests</title>"
            f"<h1>Too many requests</h1><p>{message}</p><p><a href=/>Home</a></p></html>"
        )
        kind = b"text/html; charset=utf-8"
    data = body.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(data)).encode()),
                (b"retry-after", str(retry).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


def budgets_from(settings: object) -> dict[str, Budget]:
    return {
        name: Budget.parse(getattr(settings, f"limit_{name}"))
        for name in ("reactions", "search", "api", "controls")
    }
