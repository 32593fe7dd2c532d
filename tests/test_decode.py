"""One decoding policy for every reader: BOM, UTF-8, declared charset, then detection."""

from __future__ import annotations

import codecs

import pytest

from dateline.errors import EmptyInput, UnsupportedInput
from dateline.extract.decode import decode_bytes

SAMPLES = {
    "cp1252": "Café — naïve résumé in the old town, said the “owner”.",
    "cp1251": "Российский министр иностранных дел встретился с северокорейским коллегой",
    "cp1250": "Zażółć gęślą jaźń — polski tekst o mieście i ludziach",
    "latin-1": "Der Außenminister traf sich mit seinem Kollegen in München",
}


@pytest.mark.parametrize("encoding", sorted(SAMPLES))
def test_undeclared_legacy_encodings_are_detected(encoding):
    assert decode_bytes(SAMPLES[encoding].encode(encoding)) == SAMPLES[encoding]


def test_utf8_wins_and_boms_are_honoured():
    text = "Kim Jong Un — “talks” in Pyongyang"
    assert decode_bytes(text.encode("utf-8")) == text
    assert decode_bytes(codecs.BOM_UTF8 + text.encode("utf-8")) == text
    assert decode_bytes(text.encode("utf-16")) == text


def test_a_wrong_declaration_does_not_win_over_valid_utf8():
    text = "Señor Müller’s café"
    assert decode_bytes(text.encode("utf-8"), declared="iso-8859-1") == text


def test_declared_charset_is_used_when_not_utf8():
    text = "Crème brûlée à la carte"
    assert decode_bytes(text.encode("cp1252"), declared="windows-1252") == text


def test_line_ends_are_normalised():
    assert decode_bytes(b"one\r\ntwo\rthree") == "one\ntwo\nthree"


@pytest.mark.parametrize("data", [b"", b"   \n\t "])
def test_empty_input_is_refused(data):
    with pytest.raises(EmptyInput, match="empty"):
        decode_bytes(data, what="x.txt")


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,
        b"\x00\x01\x02\x03" * 500,
        b"\x89PNG\r\n\x1a\n" + bytes(range(32)) * 50,
    ],
)
def test_binary_junk_is_refused(data):
    with pytest.raises(UnsupportedInput, match="binary"):
        decode_bytes(data, what="junk")
