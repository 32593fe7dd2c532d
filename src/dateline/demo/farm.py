"""Synthetic content-farm copies of demo articles, so the demo shows what the enrich stage sees.

The seeds are real farm pages, but only two and of AP text we cannot ship. This module
writes a small, deterministic, **clearly labelled synthetic** set in the same template
(breadcrumb "Current:Home > {Category}{Title} -{Site}", headline, "View", "Date:…", body
lines, "veryGood! (N)", Related/Ranking/Recommendation lists) from Wikinews articles of the
bundled corpus (CC BY 2.5): invented site names that say "(synthetic)" in the name itself,
dates years after the original, categories that are wrong ("Markets", "Contact" for a news
story) and filler link lists (headlines of unrelated corpus articles). The files are
ingested by the normal pipeline, so provenance, date flags, category correction and
source scores appear on the site out of the box; the sources are marked
``kind="synthetic-farm"`` and the about page lists them (:func:`synthetic_sources`).

Most copies carry the body verbatim (what farms do); every ``NEAR_COPY_EVERY``-th copy of
a long article drops its last paragraph, a near-copy for the duplicate detector.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dateline.demo.corpus import demo_corpus_path
from dateline.pipeline import IngestReport, ingest_many
from dateline.settings import Settings
from dateline.store.db import Store
from dateline.store.models import Source

SYNTHETIC_KIND = "synthetic-farm"
# Invented names; the "(synthetic)" suffix is part of the name, so no page pretends to be
# a real site anywhere it is shown.
# Each farm's house style for headlines ("{}" is the original). Farms do restyle
# headlines; here it also keeps every copy a distinct page: the store identifies a page
# without a URL by the hash of its title and body, so two farms carrying the same title
# and body would otherwise be read as two versions of one page.
HEADLINE_STYLES = {
    "Aspire Wealth Daily (synthetic)": "{}",
    "Prime Ledger Digest (synthetic)": "{} - Latest Update",
    "Golden Hour Bulletin (synthetic)": "Breaking: {}",
    "Bright Harbor Living (synthetic)": "{} (Full Story)",
    "Summit Money Insider (synthetic)": "Must Read: {}",
}
SYNTHETIC_FARMS = tuple(HEADLINE_STYLES)
# Categories a farm files news under: finance verticals, navigation, lifestyle.
FAKE_CATEGORIES = ("Markets", "Contact", "Lifestyle", "Personal Finance", "Wealth", "Deals")
DEFAULT_SEED = 20250426
ARTICLES = 20
# Copies per article: most have one or two, some are carried by three or four farms.
COPIES_WEIGHTS = {1: 4, 2: 4, 3: 2, 4: 1}
# Source articles: long enough to be worth copying, short enough to read in the demo.
MIN_PARAGRAPHS, MAX_PARAGRAPHS = 4, 12
NEAR_COPY_EVERY = 4
NEAR_COPY_MIN_PARAGRAPHS = 6
# Farm dates: this many years (and some days) after the original.
FAKE_YEARS = (3, 4, 5)
LIST_SIZES = {"Related": 10, "Ranking": 8, "Recommendation": 8}
# Paragraphs that end like a sentence never read as link-list headings in the template.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*$")


def is_synthetic_source(name: str | None, kind: str | None = None) -> bool:
    """Whether a source is one of the demo's synthetic farms (by kind or by name)."""
    return kind == SYNTHETIC_KIND or (name is not None and name in SYNTHETIC_FARMS)


def synthetic_sources() -> list[str]:
    """The synthetic site names, for the about page."""
    return list(SYNTHETIC_FARMS)


def _corpus_rows(corpus: Path | None) -> list[dict[str, Any]]:
    if corpus is None:
        corpus = demo_corpus_path()
    with gzip.open(corpus, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return sorted(rows, key=lambda row: str(row["id"]))


def _paragraphs(body: str) -> list[str]:
    return [" ".join(p.split()) for p in body.split("\n\n") if p.strip()]


def _copyable(row: dict[str, Any]) -> bool:
    paragraphs = _paragraphs(row["body"])
    return (
        MIN_PARAGRAPHS <= len(paragraphs) <= MAX_PARAGRAPHS
        and all(_SENTENCE_END.search(p) for p in paragraphs)
        and len(str(row.get("published", ""))) >= 10
    )


def _fake_date(published: str, rng: random.Random) -> datetime:
    original = date.fromisoformat(published[:10])
    day = original + timedelta(days=365 * rng.choice(FAKE_YEARS) + rng.randrange(0, 120))
    seconds = rng.randrange(0, 86_400)
    return datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)


def _page_text(
    row: dict[str, Any], site: str, paragraphs: list[str], rng: random.Random, titles: list[str]
) -> str:
    category = rng.choice(FAKE_CATEGORIES)
    original = " ".join(row["title"].split())
    title = HEADLINE_STYLES[site].format(original)
    lines = [
        f"Current:Home > {category}{title} -{site}",
        title,
        "View",
        f"Date:{_fake_date(row['published'], rng):%Y-%m-%d %H:%M:%S}",
        *paragraphs,
        f"veryGood! ({rng.randrange(100, 60_000)})",
    ]
    for heading, size in LIST_SIZES.items():
        lines.append(heading)
        bullet = "" if heading == "Recommendation" else "- "
        lines.extend(bullet + t for t in rng.sample([t for t in titles if t != original], size))
    return "\n".join(lines) + "\n"


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("(synthetic)", "")).strip("-")


def generate_farm_pages(
    out_dir: Path, seed: int = DEFAULT_SEED, *, corpus: Path | None = None
) -> list[Path]:
    """Write the synthetic farm pages to ``out_dir`` (same seed, same bytes); their paths."""
    rows = _corpus_rows(corpus)
    rng = random.Random(seed)
    titles = sorted({" ".join(r["title"].split()) for r in rows})
    chosen = rng.sample([r for r in rows if _copyable(r)], ARTICLES)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("farm-*.txt"):
        stale.unlink()
    paths: list[Path] = []
    copy_index = 0
    sizes, weights = zip(*COPIES_WEIGHTS.items(), strict=True)
    for number, row in enumerate(chosen, start=1):
        copies = rng.choices(sizes, weights=weights)[0]
        for site in rng.sample(SYNTHETIC_FARMS, copies):
            copy_index += 1
            paragraphs = _paragraphs(row["body"])
            if copy_index % NEAR_COPY_EVERY == 0 and len(paragraphs) >= NEAR_COPY_MIN_PARAGRAPHS:
                paragraphs = paragraphs[:-1]
            path = out_dir / f"farm-{number:02d}-{_slug(site)}.txt"
            path.write_text(_page_text(row, site, paragraphs, rng, titles), encoding="utf-8")
            paths.append(path)
    return paths


def load_farm_copies(store: Store, settings: Settings, seed: int = DEFAULT_SEED) -> IngestReport:
    """Generate the synthetic pages under the data folder, ingest them, label their sources.

    Run after ``load_demo`` (the copies attach to the Wikinews articles) and before the
    enrich stage, which flags their dates and scores their sites. Idempotent.
    """
    paths = generate_farm_pages(settings.data_path / "demo-farm", seed)
    report = ingest_many([str(p) for p in paths], store, settings)
    with store.write() as session:
        for source in session.scalars(select(Source).where(Source.name.in_(SYNTHETIC_FARMS))):
            source.kind = SYNTHETIC_KIND
    return report
