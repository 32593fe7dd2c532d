"""One error hierarchy, so the CLI and (later) the web layer render every failure the same way.

Each error carries a short stable ``code`` (for JSON and summaries), an HTTP status for the
web layer, and a message written for the person who fed us the input.
"""

from __future__ import annotations


class DatelineError(Exception):
    """Base of every error Dateline raises on purpose."""

    code = "error"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(DatelineError):
    """A setting has an invalid value; the message names the key."""

    code = "config"


class InputError(DatelineError):
    """An input could not be turned into an article. Base of the specific input errors."""

    code = "bad_input"
    http_status = 422


class InputTooLarge(InputError):
    code = "too_large"
    http_status = 413


class EmptyInput(InputError):
    code = "empty"


class UnsupportedInput(InputError):
    """We cannot tell what kind of document this is, or it is binary junk."""

    code = "unsupported"
    http_status = 415


class MalformedInput(InputError):
    """The input claims a format but breaks it (bad JSON line, broken feed, bomb...)."""

    code = "malformed"


class DecodingError(InputError):
    code = "encoding"


class NoArticle(InputError):
    """The document parsed, but holds no article body (a page of navigation, a stub)."""

    code = "no_article"


class FetchError(InputError):
    """A URL could not be fetched (network error, HTTP error status, redirect loop)."""

    code = "fetch"
    http_status = 502


class FetchStatus(FetchError):
    """The server answered with an HTTP error status. ``retry_after`` is its Retry-After in
    seconds (None when absent or unreadable): a crawler must wait at least that long."""

    code = "http_status"

    def __init__(self, message: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class FetchRefused(FetchError):
    """A fetch refused before connecting: the address is not on the public internet
    (private, loopback, link-local, shared, multicast or reserved) nor allow-listed."""

    code = "fetch_refused"
    http_status = 403


class NotFound(DatelineError):
    code = "not_found"
    http_status = 404


class SchemaOutOfDate(DatelineError):
    """The database schema is behind the code; migrate before serving or ingesting."""

    code = "schema"
