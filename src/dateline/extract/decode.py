"""Bytes → text, for every reader, with one policy for encodings.

Order of trust: a byte-order mark, then strict UTF-8 (most of the web), then the charset
the document or transport declares, then charset-normalizer's guess.  Text that is mostly
control characters is refused as binary junk rather than stored as mojibake.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import TypeVar

import charset_normalizer

from dateline.errors import DecodingError, EmptyInput, InputError, UnsupportedInput
from dateline.extract.model import ItemFailure

T = TypeVar("T")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Share of control characters (other than tab/newline/CR) above which text is binary junk.
# Real text, even badly decoded, stays well under 1 %.
MAX_CONTROL_SHARE = 0.05
# How close to the detector's best guess windows-1252 must be to win a tie (chaos and
# coherence are charset-normalizer's 0..1 scores).
CP1252_TIE_CHAOS = 0.01
CP1252_TIE_COHERENCE = 0.1
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_bytes(data: bytes, declared: str | None = None, *, what: str = "input") -> str:
    """Decode ``data`` to text or raise a specific error saying why it cannot be read."""
    if not data.strip():
        raise EmptyInput(f"{what} is empty")
    text = _decode(data, declared, what)
    if _looks_binary(text):
        raise UnsupportedInput(f"{what} looks like binary data, not text")
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def read_items_by_line(
    data: bytes, origin: str, parse: Callable[[str, int], T]
) -> Iterator[T | ItemFailure]:
    """Line-per-item formats (JSONL, MIND): one item per non-blank line, a bad line is an
    ItemFailure at ``origin:line`` and reading goes on."""
    text = decode_bytes(data, what=origin)
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield parse(line, lineno)
        except InputError as exc:
            yield ItemFailure(where=f"{origin}:{lineno}", error=exc)


def _decode(data: bytes, declared: str | None, what: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DecodingError(
                    f"{what} has a {encoding} byte-order mark but is not "
                    f"valid {encoding}: {exc.reason} at byte {exc.start}"
                ) from exc
    if b"\x00" in data[:4096] and not _looks_utf16(data):
        raise UnsupportedInput(f"{what} looks like binary data, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(_canonical(declared))
        except (LookupError, UnicodeDecodeError, ValueError):
            # a wrong declaration is common (a NUL in a name is a ValueError, not a
            # LookupError, to the codec registry); fall through to detection
            pass
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        raise DecodingError(
            f"{what}: could not detect the text encoding (not UTF-8, and no other encoding fits)"
        )
    for match in matches:
        # On short, mostly-ASCII text the detector often cannot tell windows-1252 from
        # Baltic or Central European code pages: about as clean, about as coherent. Then
        # windows-1252, the most common legacy encoding of Latin-script news (and the
        # WHATWG default), wins the tie; a real Polish or Czech text decodes differently
        # in its own code page and keeps it.
        if (
            "cp1252" in match.could_be_from_charset
            and match.chaos <= best.chaos + CP1252_TIE_CHAOS
            and match.coherence >= best.coherence - CP1252_TIE_COHERENCE
        ):
            return data.decode("cp1252")
    return str(best)


def _canonical(name: str) -> str:
    name = name.strip().strip("\"'").lower()
    # Browsers decode "latin-1"/"iso-8859-1" as windows-1252 (WHATWG); so do we.
    return (
        "cp1252"
        if name in {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "ascii", "us-ascii"}
        else name
    )


def _looks_utf16(data: bytes) -> bool:
    sample = data[:4096]
    return sample.count(b"\x00") > len(sample) // 4 and b"\x00\x00" not in sample


def _looks_binary(text: str) -> bool:
    sample = text[:20000]
    if not sample:
        return False
    controls = len(_CONTROL.findall(sample))
    replacement = sample.count("\ufffd")
    return (controls + replacement) / len(sample) > MAX_CONTROL_SHARE
