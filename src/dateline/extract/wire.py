"""Wire-story markers at the top of a body: dateline place, agency and byline.

"MOSCOW (AP) — Russia's top diplomat…" says the story was filed from Moscow by the
Associated Press. These markers are evidence for later stages (a wire dateline marks a
wire story, whoever republished it), so they are read here for every input kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Agencies as they appear in parentheses, mapped to one canonical short name.
AGENCIES: dict[str, str] = {
    "ap": "AP",
    "associated press": "AP",
    "the associated press": "AP",
    "reuters": "Reuters",
    "thomson reuters": "Reuters",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "agence france presse": "AFP",
    "upi": "UPI",
    "bloomberg": "Bloomberg",
    "dpa": "dpa",
    "efe": "EFE",
    "ansa": "ANSA",
    "xinhua": "Xinhua",
    "kyodo": "Kyodo",
    "yonhap": "Yonhap",
    "pti": "PTI",
    "ians": "IANS",
    "tass": "TASS",
    "aap": "AAP",
    "cp": "CP",
    "the canadian press": "CP",
    "pa": "PA",
    "anadolu": "Anadolu",
    "ani": "ANI",
    "cna": "CNA",
    "kcna": "KCNA",
    "ria novosti": "RIA Novosti",
    "interfax": "Interfax",
    "jiji": "Jiji",
    "bernama": "Bernama",
    "apa": "APA",
}
_AGENCY_ALT = "|".join(sorted((re.escape(a) for a in AGENCIES), key=len, reverse=True))
_DASH = r"[—–-]{1,2}|:"
# PLACE (AGENCY) — : the place is upper case words, optionally ", Country/State" after it.
_PLACE = r"[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’.\- ]{1,40}?(?:,\s*[A-Z][\w.'’ -]{1,30}?)?"
_WIRE_LEAD = re.compile(
    rf"^\s*(?:(?P<place>{_PLACE})\s*)?\(\s*(?P<agency>(?i:{_AGENCY_ALT}))\s*\)\s*(?:{_DASH})\s*"
)
# A dateline without an agency: "BRASÍLIA, Brazil – …" (upper-case place, then a dash).
_PLACE_ONLY = re.compile(
    r"^\s*(?P<place>[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’.\- ]{2,40}"
    r"(?:,\s*[A-Z][\w.'’ -]{1,30}?)?)\s*(?:[—–]|--| - )\s+"
)
_BYLINE = re.compile(
    r"^\s*By\s+(?P<names>[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|,))*?)"
    r"(?:\s*,?\s*(?P<agency>Associated Press|AP|Reuters|AFP|Bloomberg)\b.*)?\s*$"
)
# A byline paragraph is short; a long one starting with "By" is prose.
MAX_BYLINE_CHARS = 120


@dataclass(frozen=True)
class WireMarkers:
    dateline: str | None = None
    agency: str | None = None
    byline: str | None = None
    byline_paragraph: bool = False


def canonical_agency(name: str) -> str | None:
    return AGENCIES.get(" ".join(name.split()).casefold())


def find_wire_markers(paragraphs: list[str]) -> WireMarkers:
    """Read the dateline, agency and byline from the first paragraphs of a body.

    ``byline_paragraph`` tells the caller the first paragraph is only a byline
    ("By JIM HEINTZ Associated Press"), so it can keep it out of the body text.
    """
    if not paragraphs:
        return WireMarkers()
    byline = None
    agency = None
    first = paragraphs[0]
    byline_paragraph = False
    match = _BYLINE.match(first) if len(first) <= MAX_BYLINE_CHARS else None
    if match:
        byline = " ".join(match.group("names").split()).strip(" ,")
        if match.group("agency"):
            agency = canonical_agency(match.group("agency"))
        byline_paragraph = True
    lead = paragraphs[1] if byline_paragraph and len(paragraphs) > 1 else first
    wire = _WIRE_LEAD.match(lead)
    if wire:
        place = wire.group("place")
        return WireMarkers(
            dateline=_clean_place(place) if place else None,
            agency=canonical_agency(wire.group("agency")) or agency,
            byline=byline,
            byline_paragraph=byline_paragraph,
        )
    place_only = _PLACE_ONLY.match(lead)
    dateline = _clean_place(place_only.group("place")) if place_only else None
    return WireMarkers(
        dateline=dateline, agency=agency, byline=byline, byline_paragraph=byline_paragraph
    )


def _clean_place(place: str) -> str | None:
    place = " ".join(place.split()).strip(" ,-—–")
    return place or None
