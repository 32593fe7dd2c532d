"""Coverage-guided fuzzing of Dateline's parsers with atheris, for as long as asked.

Usage::

    .venv/bin/python fuzz/fuzz_parsers.py TARGET [--seconds 60] [libFuzzer flags...]

TARGET is one of: text, jsonl, mind, feed, html, decode, dates, api, search, safetext, or
``all`` (each input goes to a target chosen by its first byte). ``--seconds`` bounds the
run (libFuzzer's ``-max_total_time``); other flags go to libFuzzer as they are, such as a
corpus folder to keep what it learns (``fuzz/corpus/feed``) or ``-runs=N``.

The rule is the suite's (``tests/test_fuzz.py``): a parser returns, or raises one of our
own errors (:class:`dateline.errors.DatelineError`). Anything else is a crash: libFuzzer
prints the traceback, writes the input to ``crash-…`` and exits non-zero. Reproduce one
with ``fuzz/fuzz_parsers.py TARGET crash-…``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import date

import atheris

with atheris.instrument_imports(include=["dateline"]):
    from dateline.errors import DatelineError
    from dateline.extract import extract_document
    from dateline.extract.dates import parse_claimed_date
    from dateline.extract.decode import decode_bytes
    from dateline.extract.stated_dates import states_day
    from dateline.ingest.detect import detect_kind
    from dateline.ingest.raw import InputKind, RawDocument
    from dateline.safetext import clean_label, lookalikes
    from dateline.store.queries import Cursor
    from dateline.store.search import SearchCursor, parse_query
    from dateline.web.api_params import article_cursor, parse_when


def _document(kind: InputKind) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        for _ in extract_document(RawDocument(data=data, origin="fuzz", kind=kind)):
            pass

    return run


def _decode(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    declared = provider.ConsumeUnicodeNoSurrogates(16) or None
    rest = provider.ConsumeBytes(provider.remaining_bytes())
    decode_bytes(rest, declared)
    detect_kind("fuzz.bin", rest, declared)


def _dates(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    day = date.fromordinal(provider.ConsumeIntInRange(1, date.max.toordinal()))
    text = provider.ConsumeUnicode(provider.remaining_bytes())
    parse_claimed_date(text)
    states_day(text, day)


def _api(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicode(len(data))
    parse_when(text, "since")
    parse_when(text, "until", end_of_day=True)
    article_cursor(text)
    Cursor.decode(text)


def _search(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicode(len(data))
    query = parse_query(text)
    SearchCursor.decode(text, query)


def _safetext(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicode(len(data))
    clean_label(text)
    lookalikes(text)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "text": _document(InputKind.TEXT_DUMP),
    "jsonl": _document(InputKind.JSONL),
    "mind": _document(InputKind.MIND),
    "feed": _document(InputKind.FEED),
    "html": _document(InputKind.HTML),
    "decode": _decode,
    "dates": _dates,
    "api": _api,
    "search": _search,
    "safetext": _safetext,
}
ORDER = list(TARGETS)


def _all(data: bytes) -> None:
    if data:
        TARGETS[ORDER[data[0] % len(ORDER)]](data[1:])


def one_input(target: Callable[[bytes], None]) -> Callable[[bytes], None]:
    def test_one_input(data: bytes) -> None:
        with contextlib.suppress(DatelineError):  # a clear, specific refusal is an answer
            target(data)

    return test_one_input


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in [*TARGETS, "all"]:
        sys.exit(__doc__)
    name, rest = argv[1], argv[2:]
    if "--seconds" in rest:
        at = rest.index("--seconds")
        rest[at : at + 2] = [f"-max_total_time={int(float(rest[at + 1]))}"]
    target = _all if name == "all" else TARGETS[name]
    atheris.Setup([argv[0], *rest], one_input(target))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
