"""Source behaviour scores (enrich/sources.py) on both engines, and the rules behind them."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from dateline.enrich import dates, source_signals, sources
from dateline.pipeline import ingest_many
from dateline.store.models import Article, Source
from http_util import read_seed

NOW = datetime(2026, 6, 1)
# What the wire's own site dated each seed's story (by its content: Lavrov's Pyongyang
# trip in October 2023; Choe Son Hui in Moscow on Tuesday, 16 January 2024).
WIRE_DATES = {"000": "2024-01-16", "004": "2023-10-20"}


def enrich(store, *, classified: str | None) -> dict[str, Source]:
    """Dates, then scores, then dates again (the documented order); sources by name."""
    with store.write() as s:
        if classified:  # stands in for the category classifier
            for article in s.scalars(select(Article)):
                article.category = classified
        dates.apply_all(s, NOW)
        sources.score_sources(s, NOW)
        dates.apply_all(s, NOW)
    with store.read() as s:
        found = {src.name: src for src in s.scalars(select(Source))}
        for src in found.values():
            s.expunge(src)
        return found


@pytest.fixture
def seeds_with_wire_originals(store, settings, seed_000, seed_004, tmp_path):
    """The wire's own pages (apnews.com, dated) for both seeds, a clean paper, the seeds."""
    records = []
    for key, path in (("000", seed_000), ("004", seed_004)):
        seed = read_seed(path, settings)
        records.append(
            {"title": seed.title, "body": seed.body, "published": WIRE_DATES[key],
             "url": f"https://apnews.com/article/seed-{key}"}
        )  # fmt: skip
    records.append(
        {"title": "Council approves budget", "url": "https://gazette.example/budget",
         "body": "The city council approved the budget on Monday.\n\nIt passed 7 to 2.",
         "published": "2024-03-05", "site_name": "Example Gazette", "category": "Politics"}
    )  # fmt: skip
    path = tmp_path / "originals.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    report = ingest_many([str(path), str(seed_000), str(seed_004)], store, settings)
    assert report.ok
    return store


def test_farm_copying_wire_text_scores_low_and_says_why(seeds_with_wire_originals):
    found = enrich(seeds_with_wire_originals, classified="politics")
    farm = found["Aspire Money Growth"]
    assert farm.score == 0.0
    assert farm.score_details is not None
    signals = farm.score_details["signals"]
    assert {name: (s["count"], s["of"]) for name, s in signals.items()} == {
        "fake_dates": (1, 1),
        "wrong_category": (1, 1),  # "Markets" for a politics story
        "unrelated_links": (1, 1),
        "wire_copy": (1, 1),
    }
    assert farm.score_details["reasons"] == [
        "1 of 1 dated pages claim a date far from the evidence or impossible",
        "1 of 1 claimed categories disagree with the classifier",
        "1 of 1 pages show link lists unrelated to the article",
        "1 of 1 pages are republished wire copy",
    ]
    assert found["Prime Capital Blueprint"].score == 0.0  # "Contact" is navigation
    wire = found["AP News"]
    assert (wire.kind, wire.score) == ("wire", 1.0)
    assert wire.score_details is not None
    assert wire.score_details["reasons"] == ["no bad behaviour measured"]
    clean = found["Example Gazette"]
    assert clean.score == 1.0
    assert clean.scored_at == NOW
    assert sources.demotion(farm.score) == sources.DEMOTION_FLOOR
    assert sources.demotion(clean.score) == sources.demotion(None) == 1.0


def test_category_signal_waits_for_the_classifier(seeds_with_wire_originals):
    found = enrich(seeds_with_wire_originals, classified=None)
    farm = found["Aspire Money Growth"]
    assert farm.score_details is not None
    wrong = farm.score_details["signals"]["wrong_category"]
    assert (wrong["of"], wrong["reason"]) == (
        0,
        "no claimed category could be checked against the classifier",
    )
    # Unmeasured counts as clean: only fake dates, links and wire copy weigh.
    assert farm.score == pytest.approx(0.25)


def test_scoring_is_idempotent(seeds_with_wire_originals):
    first = enrich(seeds_with_wire_originals, classified="world")
    second = enrich(seeds_with_wire_originals, classified="world")
    assert {n: (s.score, s.score_details) for n, s in first.items()} == {
        n: (s.score, s.score_details) for n, s in second.items()
    }


# --- the per-page rules --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "classified", "wrong"),
    [
        ("Markets", "politics", True),
        ("Markets", "business", False),
        ("Contact", "world", True),
        ("Home", "politics", True),
        ("Politics and conflicts", "world", False),
        ("Lifestyle", "politics", True),
        ("Science and technology", "technology", False),
        ("United States", "politics", None),  # a place, not a category: not judged
        ("News", "sports", None),
        ("Markets", None, None),  # classifier not run yet
        (None, "world", None),
    ],
)
def test_claimed_category_mapping(claim, classified, wrong):
    assert source_signals.category_is_wrong(claim, classified) is wrong


def test_link_lists_unrelated_by_the_lexical_rule(seed_000, settings):
    seed = read_seed(seed_000, settings)
    unrelated, total = source_signals.unrelated_share(seed.claimed_links, seed.title, seed.body)
    assert (unrelated, total) == (25, 26)
    assert source_signals.links_unrelated(seed.claimed_links, seed.title, seed.body) is True
    honest = {"Related": ["Lavrov meets Choe in Moscow", "Kim Jong Un visits Russia"]}
    assert source_signals.links_unrelated(honest, seed.title, seed.body) is False
    assert source_signals.links_unrelated({}, seed.title, seed.body) is None


def test_demotion_is_monotonic_with_a_floor():
    values = [sources.demotion(x / 10) for x in range(11)]
    assert values == sorted(values)
    assert values[0] == sources.DEMOTION_FLOOR and values[-1] == 1.0
    assert sources.demotion(sources.TRUSTED_SCORE) == 1.0
