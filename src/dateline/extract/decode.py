"""Bytes → text, for every reader, with one policy for encodings.

Order of trust: a byte-order mark, then strict UTF-8 (most of the web), then the charset
the document or transport declares, then charset-normalizer's guess.  Text that is mostly
control characters is refused as binary junk rather than stored as mojibake.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import charset_normalizer

from dateline.errors import DecodingError, EmptyInput, UnsupportedInput

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
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_bytes(data: bytes, declared: str | None = None, *, what: str = "input") -> str:
    """Decode ``data`` to text or raise a specific error saying why it cannot be read."""
    if not data.strip():
        raise EmptyInput(f"{what} is empty")
    text = _decode(data, declared, what)
    if _looks_binary(text):
        raise UnsupportedInput(f"{what} looks like binary data, not text")
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


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
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong declaration is common; fall through to detection
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise DecodingError(
            f"{what}: could not detect the text encoding (not UTF-8, and no other encoding fits)"
        )
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
