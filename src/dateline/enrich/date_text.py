"""Dates a text implies ("on Tuesday", "last week", "earlier this month"), read against a day.

News copy dates its events relative to when it was filed, so the text is evidence about
the publication date that no page template can fake: a wire story whose lead says
"on Tuesday" was filed on a Tuesday or a day or two after it, never the following
Saturday. This module finds those phrases and resolves them against a day; ``dates.py``
decides what they mean for an article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The lead is where a news story names the day of the event it reports; a weekday deeper
# in the text is background ("Lavrov made a two-day trip … this week") and proves little.
LEAD_PARAGRAPHS = 2
# Days between the weekday a *wire* lead names and the (local) day the copy claims, that
# are consistent: 0 (filed the same day), 1 and 2 (overnight filing, next-day pickup),
# 6 (the claim's zone is a day behind the event's). Wire style (AP, Reuters) names the
# event day in the lead and files at once, so a lag of 3–5 days means the claim is not
# the story's date. Not applied to other text: the Wikinews demo corpus, written
# days after the events, has leads whose weekday lags its date by 3 days in 110 of 203
# articles and by 4–5 in 15.
WIRE_LEAD_LAGS = frozenset({0, 1, 2, 6})
# At most this many resolved phrases are kept as evidence (the first ones in the text).
MAX_RESOLVED = 6

_DAY_ALT = "|".join(WEEKDAYS)
_WEEKDAY = re.compile(
    rf"(?:(?P<prefix>\b(?i:on|last|next|this|every|since|until|by|black|good|super|cyber|"
    rf"ash|holy|easter|bloody|patriots?|giving)\s+))?\b(?P<day>{_DAY_ALT})(?P<plural>s)?\b"
)
# Weekday names that are not the day of an event: holidays and recurring days.
_NOT_EVENT_PREFIX = frozenset(
    {"every", "since", "until", "by", "next", "black", "good", "super", "cyber", "ash",
     "holy", "easter", "bloody", "patriot", "patriots", "giving"}
)  # fmt: skip
_PHRASES = {
    "yesterday": re.compile(r"\byesterday\b", re.IGNORECASE),
    "last week": re.compile(r"\blast week\b", re.IGNORECASE),
    "earlier this week": re.compile(r"\bearlier this week\b", re.IGNORECASE),
    "earlier this month": re.compile(r"\bearlier this month\b", re.IGNORECASE),
    "last month": re.compile(r"\blast month\b", re.IGNORECASE),
}


@dataclass(frozen=True)
class Mention:
    """One relative date phrase: what it says, where, and for weekdays which day."""

    phrase: str
    kind: str  # "weekday" or one of the _PHRASES keys
    paragraph: int
    weekday: int | None = None
    prefix: str | None = None

    @property
    def is_event_day(self) -> bool:
        """A plain "on Tuesday"/"Tuesday": the day something happened, not a recurrence."""
        return self.kind == "weekday" and self.prefix in (None, "on", "this")


def find_mentions(body: str) -> list[Mention]:
    """Relative date phrases in reading order (paragraph by paragraph)."""
    found: list[Mention] = []
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    for index, paragraph in enumerate(paragraphs):
        hits: list[tuple[int, Mention]] = []
        for match in _WEEKDAY.finditer(paragraph):
            prefix = (match.group("prefix") or "").strip().lower() or None
            if match.group("plural") or prefix in _NOT_EVENT_PREFIX:
                continue
            day = match.group("day")
            phrase = f"{prefix} {day}" if prefix in ("on", "last", "this") else day
            weekday = WEEKDAYS.index(day)
            hits.append((match.start(), Mention(phrase, "weekday", index, weekday, prefix)))
        for kind, pattern in _PHRASES.items():
            for match in pattern.finditer(paragraph):
                hits.append((match.start(), Mention(match.group(0), kind, index)))
        found.extend(mention for _, mention in sorted(hits, key=lambda hit: hit[0]))
    return found


def lead_weekday(mentions: list[Mention]) -> Mention | None:
    """The first event-day weekday of the lead, or None."""
    for mention in mentions:
        if mention.paragraph >= LEAD_PARAGRAPHS:
            return None
        if mention.is_event_day:
            return mention
    return None


def contradiction(mentions: list[Mention], claimed: date, *, wire: bool) -> str | None:
    """Why the text cannot have been published on ``claimed`` (its local day), or None.

    Two rules, both cheap and documented: a wire lead's weekday must lag the claimed day
    by one of ``WIRE_LEAD_LAGS``; "earlier this month" cannot be written on the 1st.
    """
    lead = lead_weekday(mentions)
    if wire and lead is not None and lead.weekday is not None:
        lag = (claimed.weekday() - lead.weekday) % 7
        if lag not in WIRE_LEAD_LAGS:
            return f"says '{lead.phrase}' but claims a {WEEKDAYS[claimed.weekday()]}"
    if claimed.day == 1 and any(m.kind == "earlier this month" for m in mentions):
        return "says 'earlier this month' but claims the 1st of a month"
    return None


def resolve(mention: Mention, day: date) -> str:
    """What the phrase means if the text was written on ``day``: an ISO day, week or month."""
    if mention.kind == "weekday" and mention.weekday is not None:
        back = (day.weekday() - mention.weekday) % 7
        if mention.prefix == "last" and back == 0:
            back = 7
        return (day - timedelta(days=back)).isoformat()
    if mention.kind == "yesterday":
        return (day - timedelta(days=1)).isoformat()
    monday = day - timedelta(days=day.weekday())
    if mention.kind == "last week":
        return f"week of {(monday - timedelta(days=7)).isoformat()}"
    if mention.kind == "earlier this week":
        return f"week of {monday.isoformat()}"
    if mention.kind == "earlier this month":
        return f"{day:%Y-%m}"
    previous = day.replace(day=1) - timedelta(days=1)
    return f"{previous:%Y-%m}"  # last month


def resolve_all(mentions: list[Mention], day: date) -> list[dict[str, str]]:
    """The first distinct phrases resolved against ``day``, as JSON-ready evidence."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for mention in mentions:
        if mention.phrase.lower() in seen or (
            mention.kind == "weekday" and not mention.is_event_day and mention.prefix != "last"
        ):
            continue
        seen.add(mention.phrase.lower())
        out.append({"kind": "text", "phrase": mention.phrase, "resolves_to": resolve(mention, day)})
        if len(out) >= MAX_RESOLVED:
            break
    return out
