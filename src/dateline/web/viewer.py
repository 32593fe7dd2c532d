"""Who is reading one request, as a plain value (:class:`ReaderContext`).

It sits at the bottom of ``dateline.web`` and imports nothing from it: the cookie logic
(:mod:`dateline.web.readers`, :mod:`dateline.web.fastpath`) makes these values and the
services that count views (:mod:`dateline.web.site_views`,
:mod:`dateline.web.site_articles`) take them, so neither side has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReaderContext:
    """One request's reader: the cookie's id (None for a bot), whether that id is new (the
    response sets the cookie), the key a view is counted under, and whether it is a bot."""

    reader_id: str | None
    new: bool
    viewer_key: str
    bot: bool
    secure: bool = False
    address: str = ""  # the client's address: what one address adds is bounded
