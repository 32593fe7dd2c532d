"""Input rules of the JSON API: bounds, dates, cursors, and the errors they raise.

Kept apart from the routes so each rule is stated once. Every rule exists so that no input
reaches the database as something it would reject (an id beyond 64 bits, a NUL character,
a cursor we never issued): such input is a 4xx in the API's one error shape, never a 500.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateline.errors import DatelineError
from dateline.store.queries import Cursor
from dateline.store.search import InvalidCursor
from dateline.web.api_models import ErrorOut

# Ids are 64-bit in both engines: a larger number could only be a database error.
MAX_ID = 2**63 - 1
MAX_LIMIT = 100
MAX_TEXT = 200  # longest category name or cursor we accept


class InvalidParameter(DatelineError):
    """A query parameter that parsed as a string but means nothing (a bad date, say)."""

    code = "invalid"
    http_status = 422


class Forbidden(DatelineError):
    code = "forbidden"
    http_status = 403


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer, all in our one shape."""
    text = {
        400: "Bad request (a malformed or foreign page cursor, or a body that is not JSON).",
        403: "Missing or invalid CSRF token.",
        404: "No such article or source.",
        422: "Invalid parameter.",
        429: "Too many requests from this reader or address (see Retry-After).",
    }
    return {s: {"model": ErrorOut, "description": text[s]} for s in statuses}


def plain_text(value: str | None, name: str) -> str | None:
    """Control characters can match nothing, and PostgreSQL refuses NUL outright."""
    if value is not None and any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidParameter(f"{name}: control characters are not allowed")
    return value


def parse_when(value: str | None, name: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO date or date-time as naive UTC; a bare date in ``until`` covers that whole day."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) <= 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1 if end_of_day else 0), time())
        at = datetime.fromisoformat(text)
        return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
    except (ValueError, OverflowError):
        raise InvalidParameter(
            f"{name}: expected an ISO 8601 date or date-time, like 2020-12-01 or "
            "2020-12-01T08:00:00Z"
        ) from None


def article_cursor(token: str | None) -> Cursor | None:
    """Our own keyset token, or a 400: a tampered cursor must not silently restart paging."""
    if not token:
        return None
    cursor = Cursor.decode(token)
    if cursor is None or not 1 <= cursor.id <= MAX_ID or cursor.at.tzinfo is not None:
        raise InvalidCursor("the page token is malformed")
    return cursor
