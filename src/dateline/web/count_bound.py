"""How much one client address can add to one article's counts, whatever cookies it shows.

A reader cookie is an id the browser keeps; a script can mint a fresh one per request and
look like a crowd. Views and reactions are counted per reader, so such a script could
inflate them at will. This bounds what one address adds to one article: at most
``views_per_ip_hour`` views per clock hour and ``reactions_per_ip_day`` reaction toggles
per day, per web worker (with N workers, N times that: docs/security.md). Past the bound a
view is served but not counted, and a reaction is refused with 429.

Addresses in ``limit_exempt_networks`` are not bounded (see :mod:`.ratelimit`). Memory is
bounded: at most ``MAX_KEYS`` (address, article, window) counters, oldest dropped first.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict

from dateline.errors import DatelineError

MAX_KEYS = 100_000


class TooManyRequests(DatelineError):
    """Over a rate limit or a count bound; ``retry_after`` seconds until it may go."""

    code = "too_many_requests"
    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Networks:
    """Comma-separated CIDRs (a setting's value); ``address in networks``."""

    def __init__(self, spec: str) -> None:
        self.networks = [
            ipaddress.ip_network(n.strip(), strict=False) for n in spec.split(",") if n.strip()
        ]

    def __contains__(self, address: object) -> bool:
        try:
            ip = ipaddress.ip_address(str(address))
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


class CountBound:
    def __init__(self, limit: int, window_seconds: float, exempt_networks: str = "") -> None:
        self.limit = limit  # 0: no bound
        self.window = window_seconds
        self.exempt = Networks(exempt_networks)
        self._counts: OrderedDict[tuple[str, int, int], int] = OrderedDict()

    def allow(self, address: str, article_id: int, at: float) -> bool:
        """Whether one more count from ``address`` for ``article_id`` at ``at`` (epoch
        seconds) is within the bound; if so it is counted."""
        if not self.limit or not address or address in self.exempt:
            return True
        key = (address, article_id, int(at // self.window))
        count = self._counts.pop(key, 0)
        self._counts[key] = count + (count < self.limit)
        while len(self._counts) > MAX_KEYS:
            self._counts.popitem(last=False)
        return count < self.limit

    def retry_after(self, at: float) -> int:
        """Seconds until the current window ends (a refused client's Retry-After)."""
        return max(1, int(self.window - at % self.window))
