"""HTML fragments from feeds → paragraphs."""

from __future__ import annotations

import time

import pytest

from dateline.extract.html_fragment import html_to_paragraphs, html_to_text, text_to_paragraphs


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("<p>One</p><p>Two</p>", ["One", "Two"]),
        ("<p>Line one<br>line two<br/>line three</p>", ["Line one", "line two", "line three"]),
        ("<ul><li>first</li><li>second</li></ul>", ["first", "second"]),
        ("<h2>Heading</h2><blockquote>Quoted</blockquote>", ["Heading", "Quoted"]),
        ("<div>outer<div>inner</div>after</div>", ["outer", "inner", "after"]),
        ("<p>a</p>loose tail text<p>b</p>", ["a", "loose tail text", "b"]),
        ("<p>Tom <b>and</b> <i>Jerry</i>, to<em>gether</em></p>", ["Tom and Jerry, together"]),
        ("<table><tr><td>cell a</td><td>cell b</td></tr></table>", ["cell a cell b"]),
    ],
)
def test_block_elements_become_paragraphs(fragment: str, expected: list[str]) -> None:
    assert html_to_paragraphs(fragment) == expected


def test_script_style_iframe_and_form_are_dropped_but_their_tail_is_kept() -> None:
    fragment = (
        "<p>Before<script>alert('x')</script> after</p>"
        "<style>p { color: red }</style>"
        "<iframe src='https://ads.example'>frame text</iframe>"
        "<form><input name='q'>Search</form>kept tail"
    )
    assert html_to_paragraphs(fragment) == ["Before after", "kept tail"]


def test_entities_are_decoded_and_whitespace_collapsed() -> None:
    fragment = "<p>caf&eacute;&nbsp;&amp;&#160;bar &#8212;\n\n   &#x2014;  end</p>"
    assert html_to_paragraphs(fragment) == ["café & bar — — end"]


def test_comments_and_processing_instructions_hold_no_text() -> None:
    assert html_to_paragraphs("<!-- hidden --><p>shown<!-- also hidden --></p><?php x ?>") == [
        "shown"
    ]


def test_plain_text_is_split_on_blank_lines_and_unwrapped() -> None:
    text = "First paragraph\nwrapped here.\n\n\nSecond &amp; last."
    assert html_to_paragraphs(text) == ["First paragraph wrapped here.", "Second & last."]


def test_text_that_only_looks_like_comparisons_is_not_html() -> None:
    assert html_to_paragraphs("a < b and c > d") == ["a < b and c > d"]


def test_empty_and_blank_fragments_give_no_paragraphs() -> None:
    assert html_to_paragraphs("") == []
    assert html_to_paragraphs("  \n ") == []
    assert html_to_paragraphs("<p> </p><div></div>") == []


def test_control_characters_and_lone_surrogates_are_removed_not_fatal() -> None:
    assert html_to_paragraphs("x\x00y<p>\ud800ok\x07</p>") == ["xy", "ok"]


def test_hostile_nesting_neither_crashes_nor_hangs() -> None:
    started = time.monotonic()
    html_to_paragraphs("<div>" * 50_000 + "deep")
    html_to_paragraphs("<p>" * 50_000 + "x")
    assert time.monotonic() - started < 5


def test_no_entity_or_network_resolution() -> None:
    fragment = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><p>&e;</p>'
    text = " ".join(html_to_paragraphs(fragment))
    assert "root:" not in text


def test_html_to_text_joins_on_one_line() -> None:
    assert html_to_text("Ferry <em>resumes</em><br>today") == "Ferry resumes today"


def test_text_to_paragraphs_handles_crlf() -> None:
    assert text_to_paragraphs("a\r\nb\r\n\r\nc") == ["a b", "c"]
