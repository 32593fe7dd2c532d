"""The text-dump reader, end to end through ``extract_document`` (reader + finishing step).

The two AP seed pages are read in place from ../shared (never copied into the repo). The
template variants are invented local-news texts under tests/data/text_dumps/, one
``<case>.expected.json`` golden file per input, looped by one parametrised test.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from dateline.errors import EmptyInput, InputError, NoArticle, UnsupportedInput
from dateline.extract import extract_document
from dateline.extract.model import ExtractedArticle
from dateline.extract.readers.text_dump import looks_like_text_dump
from dateline.ingest.raw import InputKind, RawDocument

DUMPS = Path(__file__).resolve().parent / "data" / "text_dumps"
GOLDEN = sorted(DUMPS.glob("*.expected.json"))
ERRORS: dict[str, type[InputError]] = {
    "NoArticle": NoArticle,
    "EmptyInput": EmptyInput,
    "UnsupportedInput": UnsupportedInput,
}
CHROME_LINES = {"View", "Related", "Ranking", "Recommendation"}


def extract_bytes(data: bytes, origin: str = "test.txt", **kwargs: Any) -> ExtractedArticle:
    items = list(
        extract_document(RawDocument(data=data, origin=origin, kind=InputKind.TEXT_DUMP, **kwargs))
    )
    assert len(items) == 1
    article = items[0]
    assert isinstance(article, ExtractedArticle), article
    return article


def extract_path(path: Path) -> ExtractedArticle:
    return extract_bytes(path.read_bytes(), origin=str(path))


# --- the seed pages ------------------------------------------------------------------------

SEEDS: dict[str, dict[str, Any]] = {
    "seed_000": {
        "title": "North Korea’s top diplomat in Moscow for talks on ties amid concerns over "
        "alleged arms deal",
        "site_name": "Aspire Money Growth",
        "category": "Markets",
        "date": datetime(2025, 4, 26, 4, 0, 14),
        "reactions": 7359,
        "paragraphs": 9,
        "last_paragraph_end": "dismissed accusations of North Korean arms transfers to Russia.",
        "links": {
            "Related": (
                10,
                "IRS recovers $4.7 billion in back taxes and braces for cuts with Trump and GOP "
                "in power",
                "In a surprise, the job market grew strongly in April despite high interest rates",
            ),
            "Ranking": (
                8,
                "Meta donates $1 million to Trump’s inauguration fund",
                "Anthropologie 4th of July Deals: Here’s How To Save 85% On Clothes, Home Decor, "
                "and More",
            ),
            "Recommendation": (
                8,
                "NHL in ASL returns, delivering American Sign Language analysis for Deaf "
                "community at Winter Classic",
                "Maryland and Baltimore Agree to Continue State Supervision of the Deeply "
                "Troubled Back River Wastewater Treatment Plant",
            ),
        },
        "absent": [
            "IRS recovers $4.7 billion in back taxes",
            "Meta donates $1 million to Trump’s inauguration fund",
            "Jamie Foxx gets stitches",
            "Average rate on 30",
        ],
    },
    "seed_004": {
        "title": "Russian foreign minister dismisses US claims of North Korea supplying munitions "
        "to Moscow as rumors",
        "site_name": "Prime Capital Blueprint",
        "category": "Contact",
        "date": datetime(2025, 4, 26, 16, 36, 17),
        "reactions": 52816,
        "paragraphs": 13,
        "last_paragraph_end": "with North Korea and China.",
        "links": {
            "Related": (
                10,
                "Who are the most valuable sports franchises? Forbes releases new list of top 50 "
                "teams",
                "Official concedes 8-year-old who died in U.S. custody could have been saved as "
                "devastated family recalls final days",
            ),
            "Ranking": (
                8,
                "US appeals court rejects Nasdaq’s diversity rules for company boards",
                "UNEP Chief Inger Andersen Says it’s Easy to Forget all the Environmental Progress "
                "Made Over the Past 50 Years. Climate Change Is Another Matter",
            ),
            "Recommendation": (
                8,
                "Alex Murdaugh’s murder appeal cites biased clerk and prejudicial evidence",
                "Penalty pain: Players converted just 4 of the first 8 penalty kicks at the "
                "Women’s World Cup",
            ),
        },
        "absent": [
            "US appeals court rejects Nasdaq’s diversity rules",
            "Jamie Foxx gets stitches",
            "Banks gone wild",
        ],
    },
}


@pytest.fixture(params=sorted(SEEDS))
def seed(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any]]:
    return request.getfixturevalue(request.param), SEEDS[request.param]


def test_seed_header_and_claims(seed: tuple[Path, dict[str, Any]]) -> None:
    path, want = seed
    article = extract_path(path)
    assert article.title == want["title"]
    assert article.site_name == want["site_name"]
    assert article.claimed_category == want["category"]
    assert article.claimed_date is not None
    assert article.claimed_date.value == want["date"]
    assert not article.claimed_date.has_timezone  # the page gave none; we invent none
    assert article.claimed_views is None  # the counter says only "View"
    assert article.claimed_reactions == want["reactions"]
    assert article.claimed_reaction_label == "veryGood!"
    assert article.dateline == "MOSCOW"
    assert article.agency == "AP"
    assert article.language == "en"


def test_seed_body_is_exactly_the_article(seed: tuple[Path, dict[str, Any]]) -> None:
    path, want = seed
    article = extract_path(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert article.paragraphs[0].startswith("MOSCOW (AP) —")
    assert article.paragraphs[-1].endswith(want["last_paragraph_end"])
    assert len(article.paragraphs) == want["paragraphs"]
    # The body is the page's own lines, unaltered and contiguous from the dateline line.
    start = next(i for i, line in enumerate(lines) if line.startswith("MOSCOW (AP)"))
    assert article.paragraphs == lines[start : start + want["paragraphs"]]


def test_seed_no_chrome_in_body(seed: tuple[Path, dict[str, Any]]) -> None:
    path, want = seed
    article = extract_path(path)
    for paragraph in article.paragraphs:
        assert paragraph not in CHROME_LINES
        assert not paragraph.startswith(("veryGood", "Date:", "- ", "Current:"))
        assert want["site_name"] not in paragraph
    for headline in want["absent"]:
        assert headline not in article.body
    for headlines in article.claimed_links.values():
        for headline in headlines:
            assert headline not in article.body
    assert article.title not in article.paragraphs


def test_seed_claimed_links(seed: tuple[Path, dict[str, Any]]) -> None:
    path, want = seed
    links = extract_path(path).claimed_links
    assert list(links) == ["Related", "Ranking", "Recommendation"]  # page order
    for heading, (count, first, last) in want["links"].items():
        assert len(links[heading]) == count
        assert links[heading][0] == first
        assert links[heading][-1] == last
        assert not any(item.startswith(("- ", "-")) for item in links[heading])


def test_seed_sniffed_as_text_dump(seed: tuple[Path, dict[str, Any]]) -> None:
    path, _ = seed
    assert looks_like_text_dump(path.read_text(encoding="utf-8"))


# --- golden files: invented variants of the template ---------------------------------------


def _article_fields(article: ExtractedArticle) -> dict[str, Any]:
    return {
        "title": article.title,
        "site_name": article.site_name,
        "claimed_category": article.claimed_category,
        "claimed_views": article.claimed_views,
        "claimed_date": article.claimed_date.isoformat() if article.claimed_date else None,
        "claimed_reactions": article.claimed_reactions,
        "claimed_reaction_label": article.claimed_reaction_label,
        "dateline": article.dateline,
        "agency": article.agency,
        "language": article.language,
        "claimed_links": article.claimed_links,
        "paragraphs": article.paragraphs,
    }


def _golden_cases() -> list[Any]:
    cases = []
    for path in GOLDEN:
        spec = json.loads(path.read_text(encoding="utf-8"))
        marks = [pytest.mark.xfail(reason=spec["xfail"], strict=True)] if "xfail" in spec else []
        cases.append(pytest.param(spec, id=path.name.removesuffix(".expected.json"), marks=marks))
    return cases


def test_golden_files_exist() -> None:
    assert len(GOLDEN) >= 12
    for path in GOLDEN:
        assert (DUMPS / json.loads(path.read_text(encoding="utf-8"))["input"]).exists()


@pytest.mark.parametrize("spec", _golden_cases())
def test_golden(spec: dict[str, Any]) -> None:
    path = DUMPS / spec["input"]
    doc = RawDocument(
        data=path.read_bytes(),
        origin=path.name,
        kind=InputKind.TEXT_DUMP,
        media_type=spec.get("media_type"),
    )
    if "error" in spec:
        with pytest.raises(ERRORS[spec["error"]["type"]]) as caught:
            list(extract_document(doc))
        assert str(caught.value) == spec["error"]["message"]
        return
    [article] = extract_document(doc)
    assert isinstance(article, ExtractedArticle)
    assert _article_fields(article) == spec["article"]


def test_golden_inputs_have_the_bytes_they_claim() -> None:
    """Guards the fixtures themselves (an editor or git's autocrlf could normalise them)."""
    assert b"\r\n" in (DUMPS / "crlf_blank_lines.txt").read_bytes()
    for name in ("cp1252.txt", "cp1252_declared.txt"):
        with pytest.raises(UnicodeDecodeError):
            (DUMPS / name).read_bytes().decode("utf-8")
    assert (DUMPS / "empty.txt").read_bytes() == b""
    assert b"\x00" in (DUMPS / "junk.bin").read_bytes()


def test_timezone_is_kept_when_the_page_gives_one() -> None:
    article = extract_path(DUMPS / "guillemet_prefix_views_tz.txt")
    assert article.claimed_date is not None
    assert article.claimed_date.has_timezone
    assert article.claimed_date.value.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


def test_day_only_date_stays_a_date() -> None:
    article = extract_path(DUMPS / "crumb_without_title.txt")
    assert article.claimed_date is not None
    assert type(article.claimed_date.value) is date


@pytest.mark.parametrize("path", sorted(DUMPS.glob("*.txt")), ids=lambda p: p.stem)
def test_sniffer_on_golden_inputs(path: Path) -> None:
    data = path.read_bytes()
    text = data.decode("utf-8", errors="replace")
    template = path.stem not in {"plain_text", "empty"}
    assert looks_like_text_dump(text) is template


# --- header / meta / reaction / heading variants, built from one small template ------------

BODY = (
    "MILLBROOK — The Millbrook town council met on Monday to discuss the harbour plan.\n"
    "The vote is expected next month, the mayor said.\n"
)


def dump(
    crumb: str = "Current:Home > CityCouncil meets on harbour plan -Millbrook Courier",
    meta: str = "View\nDate:2025-04-26 04:00:14",
    reaction: str = "veryGood! (7)",
    tail: str = "Related\n- Ferry service resumes\n- Bakery wins bread contest",
    title: str | None = "Council meets on harbour plan",
) -> bytes:
    parts = [crumb, title, meta, BODY.rstrip("\n"), reaction, tail]
    return "\n".join(p for p in parts if p).encode("utf-8")


@pytest.mark.parametrize(
    ("crumb", "site", "category"),
    [
        (
            "Current:Home > CityCouncil meets on harbour plan -Millbrook Courier",
            "Millbrook Courier",
            "City",
        ),
        (
            "Location: Home » City » Council meets on harbour plan - Millbrook Courier",
            "Millbrook Courier",
            "City",
        ),
        (
            "You are here: Home › City › Council meets on harbour plan | Millbrook Courier",
            "Millbrook Courier",
            "City",
        ),
        (
            "Home / CityCouncil meets on harbour plan -Millbrook Courier",
            "Millbrook Courier",
            "City",
        ),
        ("Where am I: Home > City > Council meets on harbour plan", None, "City"),
        (
            "Current:Home > Council meets on harbour plan -Millbrook Courier",
            "Millbrook Courier",
            None,
        ),
        ("Location: Home > News > City", None, "City"),
        ("Location: Home > News > City -Millbrook Courier", "Millbrook Courier", "City"),
        ("Home » City » Council meets on harb… -Millbrook Courier", "Millbrook Courier", "City"),
    ],
)
def test_breadcrumb_variants(crumb: str, site: str | None, category: str | None) -> None:
    article = extract_bytes(dump(crumb=crumb))
    assert article.title == "Council meets on harbour plan"
    assert article.site_name == site
    assert article.claimed_category == category
    assert article.paragraphs == BODY.strip().split("\n")


@pytest.mark.parametrize(
    ("line", "views"),
    [
        ("View", None),
        ("Views", None),
        ("Views: 1,234", 1234),
        ("Views：1234", 1234),
        ("Hits 88", 88),
        ("👁 1234", 1234),
        ("👁️ 12", 12),
        ("1,234 views", 1234),
        ("Reads: 2.5k", 2500),
    ],
)
def test_view_counter_variants(line: str, views: int | None) -> None:
    article = extract_bytes(dump(meta=f"{line}\nDate:2025-04-26 04:00:14"))
    assert article.claimed_views == views
    assert article.paragraphs == BODY.strip().split("\n")


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Date:2025-04-26 04:00:14", "2025-04-26T04:00:14"),
        ("Date: 2025-04-26 04:00:14", "2025-04-26T04:00:14"),
        ("Published: 2025-04-26 04:00", "2025-04-26T04:00:00"),
        ("Time：2025-04-26 04:00:14 +08:00", "2025-04-26T04:00:14+08:00"),
        ("Time:2025-04-26T04:00:14+08:00", "2025-04-26T04:00:14+08:00"),
        ("Posted on 2025-04-26", "2025-04-26"),
        ("2025-04-26 04:00:14", "2025-04-26T04:00:14"),
    ],
)
def test_date_line_variants(line: str, iso: str) -> None:
    article = extract_bytes(dump(meta=f"View\n{line}"))
    assert article.claimed_date is not None
    assert article.claimed_date.isoformat() == iso
    assert article.paragraphs == BODY.strip().split("\n")


def test_meta_lines_in_any_order_with_a_source_line() -> None:
    article = extract_bytes(dump(meta="Date:2025-04-26 04:00:14\nSource: Harbor Wire\nViews: 5"))
    assert article.claimed_views == 5
    assert article.claimed_date is not None
    assert article.extra["claimed_meta"] == {"source": "Harbor Wire"}
    assert article.paragraphs == BODY.strip().split("\n")


def test_unparseable_date_is_kept_raw_not_in_body() -> None:
    article = extract_bytes(dump(meta="View\nDate: sometime last week"))
    assert article.claimed_date is None
    assert article.extra["claimed_date_raw"] == "sometime last week"
    assert article.paragraphs == BODY.strip().split("\n")


@pytest.mark.parametrize(
    ("line", "label", "count"),
    [
        ("veryGood! (7359)", "veryGood!", 7359),
        ("Like (12)", "Like", 12),
        ("good (5)", "good", 5),
        ("👍 (34)", "👍", 34),
        ("Thumbs up(8)", "Thumbs up", 8),
        ("Like（1,024）", "Like", 1024),
    ],
)
def test_reaction_variants(line: str, label: str, count: int) -> None:
    article = extract_bytes(dump(reaction=line))
    assert article.claimed_reaction_label == label
    assert article.claimed_reactions == count
    assert article.paragraphs == BODY.strip().split("\n")


def test_several_reaction_buttons() -> None:
    article = extract_bytes(dump(reaction="Like (3) Dislike (1)"))
    assert (article.claimed_reaction_label, article.claimed_reactions) == ("Like", 3)
    assert article.extra["claimed_reaction_buttons"] == {"Like": 3, "Dislike": 1}
    assert article.paragraphs == BODY.strip().split("\n")


def test_reaction_line_after_the_lists() -> None:
    article = extract_bytes(dump(reaction="", tail="Related\n- Ferry service resumes\ngood (5)"))
    assert (article.claimed_reaction_label, article.claimed_reactions) == ("good", 5)
    assert article.claimed_links == {"Related": ["Ferry service resumes"]}


@pytest.mark.parametrize(
    "heading",
    [
        "Related",
        "Ranking",
        "Recommendation",
        "Popular",
        "Most Read",
        "Trending",
        "Hot",
        "Latest",
        "You may also like",
        "Editor's Picks",
        "Editor’s Picks",
        "Recommended",
        "Related:",
        "【Related】",
        "Related (2)",
        "More from Millbrook Courier",
    ],
)
@pytest.mark.parametrize("bullet", ["- ", "• ", "* ", ""])
def test_list_heading_and_bullet_variants(heading: str, bullet: str) -> None:
    tail = f"{heading}\n{bullet}Ferry service resumes\n{bullet}Bakery wins bread contest"
    article = extract_bytes(dump(tail=tail))
    assert list(article.claimed_links.values()) == [
        ["Ferry service resumes", "Bakery wins bread contest"]
    ]
    assert article.paragraphs == BODY.strip().split("\n")


def test_unknown_heading_over_bulleted_items() -> None:
    tail = "Around Town\n- Ferry service resumes\n- Bakery wins bread contest"
    article = extract_bytes(dump(tail=tail))
    assert article.claimed_links == {
        "Around Town": ["Ferry service resumes", "Bakery wins bread contest"]
    }
    assert article.paragraphs == BODY.strip().split("\n")


def test_numbered_ranking_is_unnumbered_only_when_numbered_throughout() -> None:
    numbered = extract_bytes(dump(tail="Ranking\n1. Ferry resumes\n2. 1. FC Millbrook wins"))
    assert numbered.claimed_links == {"Ranking": ["Ferry resumes", "1. FC Millbrook wins"]}
    mixed = extract_bytes(dump(tail="Ranking\n1. FC Millbrook wins\nFerry resumes"))
    assert mixed.claimed_links == {"Ranking": ["1. FC Millbrook wins", "Ferry resumes"]}


def test_crlf_and_blank_lines_everywhere() -> None:
    data = dump().decode("utf-8").replace("\n", "\r\n\r\n").encode("utf-8")
    article = extract_bytes(data)
    assert article.title == "Council meets on harbour plan"
    assert article.paragraphs == BODY.strip().split("\n")
    assert article.claimed_reactions == 7
    assert article.claimed_links == {
        "Related": ["Ferry service resumes", "Bakery wins bread contest"]
    }


def test_footer_lines_are_dropped() -> None:
    article = extract_bytes(dump(tail="Related\n- Ferry service resumes\n© 2025 Millbrook Courier"))
    assert article.claimed_links == {"Related": ["Ferry service resumes"]}
    assert "©" not in article.body


def test_headline_repeated_as_first_body_line_is_dropped() -> None:
    data = dump(meta="View\nDate:2025-04-26 04:00:14\nCouncil meets on harbour plan")
    assert extract_bytes(data).paragraphs == BODY.strip().split("\n")


def test_charset_from_content_type_header() -> None:
    data = (DUMPS / "cp1252_declared.txt").read_bytes()
    article = extract_bytes(data, headers={"Content-Type": "text/plain; charset=windows-1252"})
    assert article.title == "Naïve painters fill the Riverside gallery"


# --- errors -------------------------------------------------------------------------------


def test_only_meta_lines_is_no_article() -> None:
    with pytest.raises(NoArticle, match="no headline"):
        extract_bytes(b"View\nDate:2025-04-26 04:00:14\n")


def test_headline_without_body_is_no_article() -> None:
    with pytest.raises(NoArticle, match="no article body"):
        extract_bytes(dump(reaction="", tail="").replace(BODY.strip().encode(), b""))


@pytest.mark.parametrize("data", [b"", b"   \r\n\n\t"])
def test_empty_input(data: bytes) -> None:
    with pytest.raises(EmptyInput):
        extract_bytes(data)


def test_binary_input() -> None:
    with pytest.raises(UnsupportedInput):
        extract_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)


# --- sniffing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (dump().decode("utf-8"), True),
        ("Title\nView\nDate: 2025-04-26 04:00:14\nBody text.\nLike (3)\n", True),
        ("Title\nDate: 2025-04-26\nBody.\nRelated\n- Other story\n", True),
        ("Some headline\nA paragraph.\nAnother paragraph.\n", False),
        ("Date: 2025/04/26\nA paragraph.\n", False),
        ("<!doctype html><html><body><p>Home > News</p></body></html>", False),
        ('{"title": "Home > News", "body": "x"}', False),
        ("", False),
    ],
)
def test_looks_like_text_dump(text: str, expected: bool) -> None:
    assert looks_like_text_dump(text) is expected
