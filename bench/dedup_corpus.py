"""The near-duplicate benchmark's test set, built from the bundled Wikinews corpus.

Deterministic for a seed. Every article is an original; each gets 1-10 copies the way
content farms republish (the seeds' template): page chrome leaked into the body (site
name, breadcrumb, fake date, view counter, reaction buttons, "Related"/"Ranking" lists of
other titles, a syndication notice), paragraphs dropped or reordered, a sentence edited,
dates changed. A share of the originals is also republished verbatim (same title, same
paragraphs, byte for byte: syndication without a template), mixed into the copies from a
random stream of its own, so the edited copies are the same for a seed with or without
them. Hard negatives: the other articles of the corpus's running stories (COVID-19,
impeachment, Hong Kong, Iran, Brexit, the templated candidate interviews), and pairs of
different articles that share one long quote (50-100 words inserted into both).
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from dateline.demo import demo_corpus_path

QUOTE_PAIRS = 150  # at most: each article is used once, so ~120 with this corpus
# Each original gets one verbatim copy (no chrome, no edit) with this probability: about
# 100 of the ~1,850 copies, the only ones an exact body hash can find.
VERBATIM_SHARE = 0.3
VERBATIM = "verbatim"  # the op of a verbatim copy

STORIES = {
    "covid-19": r"covid|coronavirus|pandemic|sars-cov|vaccin",
    "impeachment": r"impeach|trump",
    "hong kong": r"hong kong",
    "iran": r"\biran|soleimani",
    "brexit": r"brexit|\beu\b.*\buk\b|european union",
    "interviews": r"interview",
}


@dataclass
class Doc:
    key: str
    title: str
    paragraphs: list[str]
    site: str
    claimed: datetime
    truth: str | None = None  # key of the original this is a copy of
    story: str | None = None
    ops: list[str] = field(default_factory=list)


def load_corpus() -> list[Doc]:
    with gzip.open(demo_corpus_path(), "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    docs = []
    for row in rows:
        text = (row["title"] + " " + row["body"][:600]).casefold()
        story = next((name for name, rx in STORIES.items() if re.search(rx, text)), None)
        paragraphs = [p.strip() for p in row["body"].split("\n\n") if p.strip()]
        claimed = datetime.fromisoformat(row["published"])
        docs.append(Doc(row["id"], row["title"], paragraphs, "Wikinews", claimed, story=story))
    return docs


_ADJ = "Aspire Prime Global Daily Smart Bright Golden Rapid True Urban Future Grand".split()
_NOUN = "Money Capital News Wire Post Times Report Herald Digest Insider Ledger Beacon".split()
_END = "Growth Blueprint Today Now Hub Central Network Journal Online Weekly".split()
_CATEGORIES = "Markets Contact Lifestyle Tech Business Home Sports Entertainment".split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_FILLER = (
    "reportedly officially recently notably publicly quickly widely strongly formally "
    "nearly initially also still already"
).split()
_SPEAKERS = ["a senior official", "the spokesperson", "the minister", "an analyst", "the expert"]


def site_names(rng: random.Random, n: int = 60) -> list[str]:
    names = {f"{rng.choice(_ADJ)} {rng.choice(_NOUN)} {rng.choice(_END)}" for _ in range(n * 3)}
    return sorted(names)[:n]


def chrome(rng: random.Random, site: str, title: str, titles: list[str]) -> tuple[list, list]:
    """(header lines, footer lines) in the seeds' template, a random share of each part."""
    fake = datetime(2025, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23))
    header = [
        f"Current:Home > {rng.choice(_CATEGORIES)}{title} -{site}",
        title,
        "View",
        f"Date:{fake:%Y-%m-%d %H:%M:%S}",
    ]
    footer = [f"veryGood! ({rng.randint(10, 90000)})", f"{rng.randint(100, 99999):,} views"]
    for label, n in (("Related", 10), ("Ranking", 8), ("Recommendation", 8)):
        if rng.random() < 0.7:
            footer.append(label)
            footer.extend(
                ("- " if label != "Recommendation" else "") + t for t in rng.sample(titles, n)
            )
    if rng.random() < 0.5:
        footer.append(
            f"This article was republished by {site}. All rights reserved; reproduction "
            "without written permission is prohibited. Prices and information are subject "
            "to change without notice and are provided for general information only."
        )
    if rng.random() < 0.5:
        footer.extend(["Share on Facebook", "Share on X", "Like", "Comment"])
    return header[: rng.randint(0, len(header))], footer


def change_dates(rng: random.Random, text: str) -> str:
    text = re.sub(r"\b(" + "|".join(_WEEKDAYS) + r")\b", lambda _: rng.choice(_WEEKDAYS), text)
    text = re.sub(r"\b(" + "|".join(_MONTHS) + r")\b", lambda _: rng.choice(_MONTHS), text)
    text = re.sub(r"\b(19|20)\d\d\b", lambda _: str(rng.randint(2019, 2025)), text)
    return re.sub(r"\b([1-9]|[12]\d|3[01])\b", lambda _: str(rng.randint(1, 28)), text)


def edit_sentence(rng: random.Random, paragraphs: list[str], vocabulary: list[str]) -> None:
    """Edit one sentence the way a copy editor does: 1-3 words swapped, cut or added."""
    i = rng.randrange(len(paragraphs))
    sentences = re.split(r"(?<=[.!?])\s+", paragraphs[i])
    j = rng.randrange(len(sentences))
    ws = sentences[j].split()
    for _ in range(rng.randint(1, 3)):
        action = rng.choice(("swap", "cut", "add")) if len(ws) > 4 else "add"
        k = rng.randrange(len(ws))
        if action == "swap":
            ws[k] = rng.choice(vocabulary)
        elif action == "cut":
            del ws[k]
        else:
            ws.insert(k, rng.choice(_FILLER))
    sentences[j] = " ".join(ws)
    paragraphs[i] = " ".join(sentences)


def make_copy(
    rng: random.Random, orig: Doc, n: int, sites: list[str], titles: list[str], vocab: list[str]
) -> Doc:
    paragraphs = list(orig.paragraphs)
    ops = []
    roll = rng.random()
    words = sum(len(p.split()) for p in paragraphs)
    if len(paragraphs) >= 3 and roll < 0.6:
        # Drop up to a quarter of the paragraphs (content farms cut the tail or a middle
        # paragraph), keeping at least 60% of the words.
        for _ in range(rng.randint(1, max(1, len(paragraphs) // 4))):
            k = rng.randrange(1, len(paragraphs))
            left = sum(len(p.split()) for p in paragraphs) - len(paragraphs[k].split())
            if left >= 0.6 * words:
                del paragraphs[k]
                ops.append("drop")
    if len(paragraphs) >= 2 and roll >= 0.3:
        k = rng.randrange(len(paragraphs))
        paragraphs.insert(rng.randrange(len(paragraphs)), paragraphs.pop(k))
        ops.append("reorder")
    if rng.random() < 0.8:
        edit_sentence(rng, paragraphs, vocab)
        ops.append("edit")
    if rng.random() < 0.8:
        paragraphs = [change_dates(rng, p) for p in paragraphs]
        ops.append("dates")
    site = rng.choice(sites)
    header, footer = chrome(rng, site, orig.title, titles)
    if header or footer:
        ops.append("chrome")
    claimed = datetime(2025, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23))
    return Doc(
        f"{orig.key}~{n}",
        orig.title,
        header + paragraphs + footer,
        site,
        claimed,
        truth=orig.key,
        story=orig.story,
        ops=ops,
    )


def quote_pairs(rng: random.Random, originals: list[Doc], n: int) -> list[tuple[Doc, Doc]]:
    """Two different articles (same story when possible) sharing one long quote each.

    Each article is used once: two quote-bearing versions of one article would be true
    copies of each other (one article, one paragraph added), not a shared quote.
    """
    long = [d for d in originals if sum(len(p.split()) for p in d.paragraphs) >= 200]
    by_story: dict[str | None, list[Doc]] = defaultdict(list)
    for d in long:
        by_story[d.story].append(d)
    bases: list[tuple[Doc, Doc]] = []
    leftover: list[Doc] = []
    for story in sorted(by_story, key=str):
        group = by_story[story]
        rng.shuffle(group)
        if story is None:
            leftover.extend(group)
            continue
        bases.extend(zip(group[0::2], group[1::2], strict=False))
        leftover.extend(group[len(group) // 2 * 2 :])
    rng.shuffle(leftover)
    bases.extend(zip(leftover[0::2], leftover[1::2], strict=False))
    pairs = []
    for i, (a, b) in enumerate(bases[:n]):
        source = rng.choice([d for d in long if d not in (a, b)])
        sentences = re.split(r"(?<=[.!?])\s+", " ".join(source.paragraphs))
        start = rng.randrange(max(1, len(sentences) - 6))
        quote: list[str] = []
        while start < len(sentences) and sum(len(s.split()) for s in quote) < 50:
            quote.append(sentences[start])
            start += 1
        text = " ".join(" ".join(quote).split()[:100])
        line = f"{rng.choice(_SPEAKERS).capitalize()} said: “{text}”"
        docs = []
        for side, base in (("a", a), ("b", b)):
            paragraphs = list(base.paragraphs)
            paragraphs.insert(rng.randrange(1, len(paragraphs) + 1), line)
            docs.append(
                Doc(f"q{i}{side}:{base.key}", base.title, paragraphs, "Quote", base.claimed)
            )
        pairs.append((docs[0], docs[1]))
    return pairs


def verbatim_copy(rng: random.Random, orig: Doc, sites: list[str]) -> Doc:
    """The original's title and paragraphs as they are, on another site with its own date."""
    claimed = datetime(2025, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23))
    return Doc(
        f"{orig.key}~v",
        orig.title,
        list(orig.paragraphs),
        rng.choice(sites),
        claimed,
        truth=orig.key,
        story=orig.story,
        ops=[VERBATIM],
    )


def mix_in_verbatim(seed: int, originals: list[Doc], copies: list[Doc], sites: list[str]) -> None:
    """Insert verbatim copies of a share of the originals at random places among the copies.

    Their random stream is their own: the edited copies, their order and the quote pairs
    are those of the same seed without verbatim copies.
    """
    rng = random.Random(f"{VERBATIM}-{seed}")
    for orig in originals:
        if rng.random() < VERBATIM_SHARE:
            copies.insert(rng.randrange(len(copies) + 1), verbatim_copy(rng, orig, sites))


def build(seed: int) -> tuple[list[Doc], list[Doc], list[tuple[Doc, Doc]]]:
    """(originals, copies, quote pairs), each list in the order it is ingested."""
    rng = random.Random(seed)
    originals = load_corpus()
    titles = [d.title for d in originals]
    vocab = sorted({w for d in originals for p in d.paragraphs for w in p.split() if w.isalpha()})
    sites = site_names(rng)
    copies = [
        make_copy(rng, orig, n, sites, titles, vocab)
        for orig in originals
        for n in range(rng.randint(1, 10))
    ]
    rng.shuffle(originals)
    rng.shuffle(copies)
    pairs = quote_pairs(rng, originals, QUOTE_PAIRS)
    mix_in_verbatim(seed, originals, copies, sites)
    return originals, copies, pairs
