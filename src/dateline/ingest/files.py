"""Reading local files as bytes, with the input size limit enforced before and while reading.

The limit (``DATELINE_MAX_INPUT_BYTES``) protects one process that also serves pages: a stray
10 GB dump or a 50 KB gzip that inflates to 50 GB must be refused, not swapped in. So sizes are
checked with ``stat()`` before opening, reads are capped in case the file grows, and ``.gz``
input is inflated in bounded steps: a bomb costs at most ``max_bytes + 1`` decompressed bytes.
The capped gunzip here is shared with the URL fetcher, so both paths refuse bombs the same way.
"""

from __future__ import annotations

import stat
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from dateline.errors import InputError, InputTooLarge, MalformedInput, UnsupportedInput

GZIP_MAGIC = b"\x1f\x8b"
COMPRESSION_SUFFIXES = (".gz",)
# Read and inflate in 64 KiB steps: large enough to be fast, small enough that one step of a
# bomb (zlib can expand ~1000x) never allocates more than the cap allows.
CHUNK_BYTES = 64 * 1024
# zlib ``wbits`` for "gzip header and trailer required" (16 + max window).
_GZIP_WBITS = 16 + zlib.MAX_WBITS
LIMIT_SETTING = "DATELINE_MAX_INPUT_BYTES"


def format_size(n: int) -> str:
    """Human sizes for messages, in the SI units the settings read (1 MB = 1,000,000 bytes)."""
    if n >= 1000**3:
        return f"{n / 1000**3:.1f} GB"
    if n >= 1000**2:
        return f"{n / 1000**2:.1f} MB"
    if n >= 10_000:
        return f"{n / 1000:.1f} kB"
    return f"{n} bytes"  # exact below 10 kB, where one decimal would hide the difference


def too_large(label: str, max_bytes: int, size: int | None = None, what: str = "") -> InputTooLarge:
    """The one wording of a size refusal; ``size`` is None when we stopped reading early."""
    if size is not None:
        return InputTooLarge(
            f"{label}: too large: {format_size(size)} > limit {format_size(max_bytes)} "
            f"({LIMIT_SETTING})"
        )
    return InputTooLarge(
        f"{label}: too large: over {format_size(max_bytes)}{' ' + what if what else ''}, "
        f"limit {format_size(max_bytes)} ({LIMIT_SETTING})"
    )


def strip_compression_suffix(name: str) -> str:
    """``news.tsv.gz`` -> ``news.tsv``: the kind is decided by what is inside the gzip."""
    for suffix in COMPRESSION_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def is_compressed_name(name: str) -> bool:
    return strip_compression_suffix(name) != name


def gunzip_capped(chunks: Iterable[bytes], max_bytes: int, label: str) -> bytes:
    """Inflate a gzip stream fed as chunks, refusing it once output passes ``max_bytes``.

    ``max_length`` bounds every zlib call, so at most ``max_bytes + 1`` bytes are ever
    produced. Concatenated members (``cat a.gz b.gz``) are read like ``gzip`` does; zero
    padding after the last member is ignored, other trailing bytes are malformed.
    """
    out = bytearray()
    inflater = zlib.decompressobj(_GZIP_WBITS)
    started = False  # any compressed byte seen yet
    try:
        for chunk in chunks:
            data = chunk
            while data:
                if inflater.eof:  # one member done: skip zero padding, then start the next
                    data = data.lstrip(b"\x00")
                    if not data:
                        break
                    inflater = zlib.decompressobj(_GZIP_WBITS)
                if not started:
                    started = True
                    if not data.startswith(GZIP_MAGIC[: len(data)]):
                        raise _not_gzip(label, "it does not start with the gzip signature")
                out += inflater.decompress(data, max_bytes + 1 - len(out))
                if len(out) > max_bytes:
                    raise too_large(label, max_bytes, what="decompressed")
                data = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
    except zlib.error as exc:
        raise _not_gzip(label, str(exc)) from exc
    if started and not inflater.eof:
        raise _not_gzip(label, "truncated (the compressed data ends too early)")
    return bytes(out)


def _not_gzip(label: str, reason: str) -> MalformedInput:
    return MalformedInput(f"{label}: not a valid gzip file: {reason}")


def _file_chunks(handle: BinaryIO, first: bytes) -> Iterator[bytes]:
    yield first
    yield from iter(lambda: handle.read(CHUNK_BYTES), b"")


def read_file(path: Path, max_bytes: int) -> bytes:
    """The file's bytes (inflated when gzip), or an :class:`InputError` saying why not.

    Gzip is recognised by the ``.gz`` suffix (which then must be gzip) or by the signature, so
    a compressed file saved under another name still reads.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or directory") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise UnsupportedInput(f"{path}: is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        # FIFOs and devices can block forever or never end; news comes in regular files.
        raise UnsupportedInput(f"{path}: not a regular file")
    if info.st_size > max_bytes:
        raise too_large(str(path), max_bytes, info.st_size)
    try:
        with path.open("rb") as handle:
            head = handle.read(len(GZIP_MAGIC))
            if is_compressed_name(path.name) or head == GZIP_MAGIC:
                return gunzip_capped(_file_chunks(handle, head), max_bytes, str(path))
            data = head + handle.read(max_bytes + 1 - len(head))
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # it grew between stat() and read()
        raise too_large(str(path), max_bytes, what="(the file grew while being read)")
    return data
