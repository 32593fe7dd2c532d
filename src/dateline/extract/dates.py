"""Parse the dates pages claim, keeping exactly the precision and time zone they gave.

"2025-04-26 04:00:14" has no zone: it stays naive (we never invent UTC). "2020-12-28" is a
day: it stays a ``date``. For sorting, the store reads naive values as UTC (documented).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

from dateline.extract.model import ClaimedDate

_DAY_ONLY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
# Earliest plausible claim: anything before this is a parsing accident, not a news date.
MIN_YEAR = 1800


def parse_claimed_date(raw: str | None) -> ClaimedDate | None:
    """A ClaimedDate for ``raw``, or None when it holds no recognisable date."""
    if not raw or not raw.strip():
        return None
    text = " ".join(raw.split())
    value = _parse(text)
    if value is None or value.year < MIN_YEAR:
        return None
    return ClaimedDate(value=value, raw=text)


def _parse(text: str) -> datetime | date | None:
    if _DAY_ONLY.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)  # RFC 2822, as feeds write dates
    except (TypeError, ValueError, IndexError):
        pass
    try:
        parsed = dateutil_parser.parse(text, fuzzy=False)
    except (ValueError, OverflowError, TypeError):
        return None
    if not _HAS_TIME.search(text):
        return parsed.date()
    return parsed


def to_utc_naive(value: datetime | date) -> datetime:
    """Sort key for the store: aware values converted to UTC, naive and day values read as UTC."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
