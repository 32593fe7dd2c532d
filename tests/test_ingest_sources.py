"""Expanding targets (URLs, files, folders, globs) and loading one as a RawDocument."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from dateline.errors import EmptyInput, InputError, InputTooLarge, UnsupportedInput
from dateline.ingest.raw import InputKind
from dateline.ingest.sources import expand_inputs, is_url, load
from dateline.settings import Settings, load_settings
from news_pages import serving

PAGE = b"<!doctype html><html><body><p>Story</p></body></html>"
MIND_LINE = b"N1\tnews\tworld\tTitle\tAbstract\thttps://example.org/a\t[]\t[]\n"


def settings(**overrides: Any) -> Settings:
    # the pages are served on loopback, which a fetch refuses unless allow-listed
    values = {"fetch_timeout": 2.0, "fetch_allow_networks": "127.0.0.0/8", **overrides}
    return load_settings(environ={}, overrides=values)


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A dataset-like folder; the tests run inside it so targets stay short."""
    files = {
        "b.txt": b"text",
        "a.html": PAGE,
        "README.md": b"# not news",
        "notes": b"no extension",
        "feeds/z.xml": b"<rss/>",
        "feeds/y.rss.gz": gzip.compress(b"<rss/>"),
        "feeds/deep/x.jsonl": b'{"a": 1}\n',
        "feeds/image.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        "mind/news.tsv": MIND_LINE,
        "mind/behaviors.tsv": b"1\tU1\t11/11/2019 9:05:58 AM\tN1\tN1-1\n",
        "mind/entity_embedding.vec": b"Q1\t0.1",
        ".git/config.txt": b"hidden",
        ".hidden.txt": b"hidden",
        "empty/nothing.bin": b"\0",
    }
    for name, data in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_directory_is_walked_recursively_sorted_and_filtered(tree: Path) -> None:
    found, errors = expand_inputs(["."])
    assert errors == []
    assert found == [
        "a.html",
        "b.txt",
        "feeds/deep/x.jsonl",
        "feeds/y.rss.gz",
        "feeds/z.xml",
        "mind/news.tsv",  # behaviors.tsv and the .vec embeddings are not news
    ]


def test_directory_paths_keep_the_given_prefix(tree: Path) -> None:
    found, _ = expand_inputs([str(tree / "feeds")])
    assert found == [
        str(tree / "feeds/deep/x.jsonl"),
        str(tree / "feeds/y.rss.gz"),
        str(tree / "feeds/z.xml"),
    ]


def test_explicit_file_is_always_tried(tree: Path) -> None:
    found, errors = expand_inputs(["README.md", "notes", "mind/behaviors.tsv", ".hidden.txt"])
    assert found == ["README.md", "notes", "mind/behaviors.tsv", ".hidden.txt"]
    assert errors == []


def test_globs_are_sorted_and_filtered(tree: Path) -> None:
    found, errors = expand_inputs(["feeds/*", "**/*.tsv"])
    assert errors == []
    assert found == [
        "feeds/deep/x.jsonl",  # a folder matched by the glob is walked
        "feeds/y.rss.gz",
        "feeds/z.xml",  # image.png is skipped
        "mind/news.tsv",
    ]


def test_recursive_glob(tree: Path) -> None:
    found, _ = expand_inputs(["**/*.jsonl"])
    assert found == ["feeds/deep/x.jsonl"]


def test_duplicates_are_dropped_keeping_first_order(tree: Path) -> None:
    found, errors = expand_inputs(
        ["b.txt", "./b.txt", str(tree / "b.txt"), "*.txt", ".", "http://a/x", "http://a/x"]
    )
    assert errors == []
    assert found == [
        "b.txt",
        "a.html",
        "feeds/deep/x.jsonl",
        "feeds/y.rss.gz",
        "feeds/z.xml",
        "mind/news.tsv",
        "http://a/x",
    ]


def test_urls_are_kept_as_given(tree: Path) -> None:
    found, errors = expand_inputs(["https://example.org/feed?x=1", "HTTP://Example.org/"])
    assert found == ["https://example.org/feed?x=1", "HTTP://Example.org/"]
    assert errors == []


def test_errors_come_back_beside_what_was_found(tree: Path) -> None:
    found, errors = expand_inputs(
        ["b.txt", "missing.txt", "*.nothing", "feeds/*.png", "empty", "ftp://host/feed.xml"]
    )
    assert found == ["b.txt"]
    messages = {target: str(error) for target, error in errors}
    assert messages == {
        "missing.txt": "missing.txt: no such file or directory",
        "*.nothing": "*.nothing: pattern matched no files",
        "feeds/*.png": messages["feeds/*.png"],
        "empty": messages["empty"],
        "ftp://host/feed.xml": (
            "ftp://host/feed.xml: unsupported URL scheme 'ftp' (only http and https)"
        ),
    }
    assert "pattern matched 1 path(s), none a file we read" in messages["feeds/*.png"]
    assert "directory holds no files we read" in messages["empty"]
    assert all(isinstance(error, InputError) for _, error in errors)
    assert isinstance(dict(errors)["ftp://host/feed.xml"], UnsupportedInput)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_folders_are_not_followed(tree: Path) -> None:
    (tree / "feeds" / "loop").symlink_to(tree, target_is_directory=True)
    found, errors = expand_inputs(["feeds"])
    assert errors == []
    assert found == ["feeds/deep/x.jsonl", "feeds/y.rss.gz", "feeds/z.xml"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("http://a", True),
        ("https://a/b", True),
        ("ftp://a", True),
        ("news.tsv", False),
        ("/abs/path.txt", False),
        ("C:\\news.txt", False),
    ],
)
def test_is_url(target: str, expected: bool) -> None:
    assert is_url(target) is expected


def test_load_file(tree: Path) -> None:
    doc = load("a.html", settings())
    assert doc.data == PAGE
    assert doc.kind is InputKind.HTML
    assert doc.origin == "a.html"
    assert doc.url is None
    assert doc.media_type is None
    assert doc.fetched_at is None


def test_load_gz_file_detects_the_inner_kind(tree: Path) -> None:
    doc = load("feeds/y.rss.gz", settings())
    assert doc.data == b"<rss/>"
    assert doc.kind is InputKind.FEED


def test_load_file_errors(tree: Path) -> None:
    (tree / "blank.txt").write_bytes(b"")
    with pytest.raises(EmptyInput):
        load("blank.txt", settings())
    with pytest.raises(UnsupportedInput, match="PNG image"):
        load("feeds/image.png", settings())
    with pytest.raises(InputTooLarge):
        load("a.html", settings(max_input_bytes=10))
    with pytest.raises(InputError, match="no such file"):
        load("missing.html", settings())


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        body, ctype = (
            (MIND_LINE, "text/tab-separated-values")
            if "tsv" in self.path
            else (
                PAGE,
                "text/html",
            )
        )
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def base_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with serving(_Handler) as url:
        yield url


def test_load_url(base_url: str) -> None:
    doc = load(f"{base_url}/story", settings())
    assert doc.kind is InputKind.HTML
    assert doc.url == doc.origin == f"{base_url}/story"
    assert doc.media_type == "text/html"
    assert doc.fetched_at is not None
    assert load(f"{base_url}/news.tsv", settings()).kind is InputKind.MIND


def test_load_refuses_other_schemes() -> None:
    with pytest.raises(UnsupportedInput, match="unsupported URL scheme"):
        load("ftp://127.0.0.1/news.txt", settings())
