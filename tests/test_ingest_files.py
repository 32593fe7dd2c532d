"""Local file reading: size limits before and while reading, capped gunzip, clear errors."""

from __future__ import annotations

import gzip
import os
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

from dateline.errors import InputError, InputTooLarge, MalformedInput, UnsupportedInput
from dateline.ingest import files
from dateline.ingest.files import gunzip_capped, read_file, strip_compression_suffix

MB = 1000**2  # SI, as the settings read sizes


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("news.tsv.gz", "news.tsv"),
        ("feed.XML.GZ", "feed.XML"),
        ("page.html", "page.html"),
        (".gz", ".gz"),
        ("archive.tar.gz", "archive.tar"),
    ],
)
def test_strip_compression_suffix(name: str, expected: str) -> None:
    assert strip_compression_suffix(name) == expected


def test_plain_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "story.txt"
    path.write_bytes(b"MOSCOW (AP) \xe2\x80\x94 text")
    assert read_file(path, 1000) == b"MOSCOW (AP) \xe2\x80\x94 text"


def test_file_at_exactly_the_limit_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "exact.txt"
    path.write_bytes(b"x" * 100)
    assert len(read_file(path, 100)) == 100


def test_over_limit_is_refused_from_stat_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as f:
        f.truncate(int(25.3 * MB))  # sparse: no disk used
    opened: list[Path] = []
    real_open = Path.open

    def spy(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        opened.append(self)
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", spy)
    with pytest.raises(InputTooLarge) as info:
        read_file(path, 20 * MB)
    assert opened == []
    assert str(info.value) == (
        f"{path}: too large: 25.3 MB > limit 20.0 MB (DATELINE_MAX_INPUT_BYTES)"
    )


def test_one_byte_over_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sparse.txt"
    with path.open("wb") as f:
        f.truncate(1001)
    with pytest.raises(InputTooLarge, match="too large: 1001 bytes > limit 1000 bytes"):
        read_file(path, 1000)


def test_gz_is_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "news.tsv.gz"
    path.write_bytes(gzip.compress(b"N1\tnews\n" * 100))
    assert read_file(path, 10_000) == b"N1\tnews\n" * 100


def test_gzip_signature_without_gz_name_is_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(gzip.compress(b"<rss></rss>"))
    assert read_file(path, 1000) == b"<rss></rss>"


def test_concatenated_gzip_members_are_all_read(tmp_path: Path) -> None:
    path = tmp_path / "two.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"a": 1}\n') + gzip.compress(b'{"b": 2}\n') + b"\0\0\0")
    assert read_file(path, 1000) == b'{"a": 1}\n{"b": 2}\n'


def test_empty_gz_file_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt.gz"
    path.write_bytes(b"")
    assert read_file(path, 1000) == b""


def test_decompressed_size_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "big.txt.gz"
    path.write_bytes(gzip.compress(b"a" * 2001))
    assert read_file(path, 2001) == b"a" * 2001
    with pytest.raises(
        InputTooLarge, match=r"big\.txt\.gz: too large: over 2000 bytes decompressed, limit"
    ):
        read_file(path, 2000)


def _zeros_gzip(path: Path, size: int) -> None:
    """Write ``size`` zero bytes gzipped, without holding them in memory."""
    block = b"\0" * MB
    with gzip.open(path, "wb", compresslevel=9) as f:
        for _ in range(size // MB):
            f.write(block)


def test_gzip_bomb_is_refused_quickly_and_memory_light(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.html.gz"
    _zeros_gzip(bomb, 50 * MB)
    assert bomb.stat().st_size < 100_000  # ~50 KB that inflates to 50 MB
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(InputTooLarge, match=r"too large: over 1\.0 MB decompressed"):
            read_file(bomb, 1 * MB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 2.0
    assert peak < 5 * MB  # the cap, a chunk and a copy: never the 50 MB


def test_gunzip_capped_produces_at_most_cap_plus_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bound holds inside: every zlib call is limited, so no step can overshoot."""
    produced: list[int] = []
    real = zlib.decompressobj

    class Spy:
        def __init__(self, wbits: int) -> None:
            self._inner = real(wbits)

        def decompress(self, data: bytes, max_length: int = 0) -> bytes:
            assert max_length > 0
            out = self._inner.decompress(data, max_length)
            produced.append(len(out))
            return out

        def __getattr__(self, name: str) -> object:
            return getattr(self._inner, name)

    monkeypatch.setattr(files.zlib, "decompressobj", Spy)
    data = gzip.compress(b"\0" * (10 * MB))
    with pytest.raises(InputTooLarge):
        gunzip_capped([data], 1000, "x.gz")
    assert sum(produced) == 1001


def test_gzip_fed_in_tiny_chunks(tmp_path: Path) -> None:
    data = gzip.compress(b"hello world " * 500) + gzip.compress(b"!")
    chunks = [data[i : i + 3] for i in range(0, len(data), 3)]
    assert gunzip_capped(chunks, 10_000, "x") == b"hello world " * 500 + b"!"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"just text, not gzip", "does not start with the gzip signature"),
        (gzip.compress(b"x" * 5000)[:-20], "truncated"),
        (b"\x1f\x8b\x08\x00garbagegarbagegarbage", "Error"),
        (gzip.compress(b"x") + b"trailing junk", "Error"),
    ],
    ids=["not-gzip", "truncated", "corrupt", "trailing-junk"],
)
def test_corrupt_gz_is_malformed(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt.gz"
    path.write_bytes(content)
    with pytest.raises(MalformedInput, match=r"bad\.txt\.gz: not a valid gzip file: ") as info:
        read_file(path, 100_000)
    assert reason in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.txt: no such file or directory"):
        read_file(tmp_path / "missing.txt", 1000)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedInput, match="is a directory"):
        read_file(tmp_path, 1000)


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs are POSIX")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(UnsupportedInput, match="not a regular file"):
        read_file(fifo, 1000)


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root reads unreadable files"
)
def test_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_bytes(b"x")
    path.chmod(0)
    try:
        with pytest.raises(InputError, match=r"secret\.txt: permission denied"):
            read_file(path, 1000)
    finally:
        path.chmod(0o600)


def test_permission_denied_on_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same message when only open() fails (runs as root too, unlike the chmod test)."""
    path = tmp_path / "locked.txt"
    path.write_bytes(b"x")

    def deny(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(InputError, match=r"locked\.txt: permission denied"):
        read_file(path, 1000)


def test_file_that_grows_after_stat_is_still_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "growing.txt"
    path.write_bytes(b"x" * 10)
    real_stat = Path.stat

    def stale_stat(self: Path, **kwargs: bool) -> os.stat_result:
        result = real_stat(self, **kwargs)
        if self == path:
            path.write_bytes(b"x" * 5000)  # grows between stat() and read()
        return result

    monkeypatch.setattr(Path, "stat", stale_stat)
    with pytest.raises(InputTooLarge, match="grew while being read"):
        read_file(path, 1000)
