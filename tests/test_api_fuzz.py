"""OpenAPI fuzzing of the live API with schemathesis: no input may produce a 5xx.

schemathesis reads ``/api/openapi.json`` from the live test server (127.0.0.1 only: the
schema declares no ``servers``, so every request goes to the origin it was loaded from) and
generates valid and invalid inputs for each operation. Besides "no server error", each
answer must have a documented status, content type and body schema, which holds our one
error shape to account on every route. Bounded and deterministic: a fixed number of
examples per operation, derandomized, no example database on disk.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from http_util import BROWSER_UA

EXAMPLES_PER_OPERATION = 25
# Per example; generous for a cold PostgreSQL, still catching a runaway query.
DEADLINE_MS = 5000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def load_schema(base_url: str):
    loaded = schemathesis.openapi.from_url(f"{base_url}/api/openapi.json")
    assert urlsplit(loaded.location or "").hostname == "127.0.0.1", "local test server only"
    # Every operation under /api/v1: GETs, and the reader's POSTs (403 without a token).
    return loaded.include(path_regex=r"^/api/v1/")


def fuzz(operation, mode: GenerationMode, base_url: str) -> None:
    """Run one operation's bounded property test; Hypothesis shrinks and raises a failure."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=DEADLINE_MS,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        if any(not isinstance(v, str) for v in (case.headers or {}).values()):
            return  # a header that is an object cannot be sent over HTTP (httpx refuses it)
        response = case.call(base_url=base_url, headers={"User-Agent": BROWSER_UA})
        if case.method == "POST":
            # No reader cookie, so no valid CSRF token can exist: always refused (or, for a
            # JSON body that does not parse, 400 before the token is looked at).
            assert response.status_code in (400, 403, 422), response.text
        case.validate_response(response, checks=CHECKS)

    check()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_never_fails_with_a_server_error(live_site, mode):
    assert urlsplit(live_site.url).hostname == "127.0.0.1"
    schema = load_schema(live_site.url)
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1
        try:
            fuzz(operation, mode, live_site.url)
        except Unsatisfiable:
            # Nothing to negate: the operation takes no parameters.
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as exc:  # collect them all: one report per operation
            failures.append(f"{operation.label}: {exc}")
    assert tested >= 10, f"only {tested} operations found in the OpenAPI document"
    assert not failures, "\n\n".join(failures)
