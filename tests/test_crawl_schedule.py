"""The crawler's schedule: adaptive intervals within bounds, jitter, back-off, Retry-After,
items per day, and the --every forms (pure functions, hand-computed cases)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from dateline.crawl.schedule import (
    DAY,
    MAX_BACKOFF,
    Bounds,
    backoff_seconds,
    base_interval,
    next_after_error,
    next_after_success,
    parse_every,
    rate_from_dates,
    smoothed_rate,
)
from dateline.errors import ConfigError

BOUNDS = Bounds(300.0, DAY)
NOW = datetime(2026, 12, 6, 12, 0)


@pytest.mark.parametrize(
    ("per_day", "expected"),
    [
        (48.0, 1_800.0),  # one item's worth of time: 30 min
        (1.0, DAY),
        (1_000.0, 300.0),  # never under 5 min
        (0.1, DAY),  # never over 24 h
        (0.0, DAY),
        (None, 3_600.0),  # not known yet: hourly
    ],
)
def test_adaptive_interval_is_one_items_worth_within_bounds(per_day, expected):
    assert base_interval(per_day, None, BOUNDS) == pytest.approx(expected)


def test_the_operators_interval_wins_over_the_rate():
    assert base_interval(1_000.0, 7_200, BOUNDS) == 7_200


def test_jitter_adds_zero_to_a_quarter():
    rng = random.Random(1)
    gaps = [
        (next_after_success(NOW, 48.0, None, BOUNDS, rng) - NOW).total_seconds() for _ in range(500)
    ]
    assert min(gaps) >= 1_800 and max(gaps) <= 1_800 * 1.25
    assert max(gaps) - min(gaps) > 1_800 * 0.2  # it does spread


def test_backoff_doubles_per_failure_up_to_seven_days():
    assert [backoff_seconds(n, 48.0, None, BOUNDS) for n in (1, 2, 3)] == [1_800, 3_600, 7_200]
    assert backoff_seconds(30, 48.0, None, BOUNDS) == MAX_BACKOFF


def test_retry_after_longer_than_the_backoff_wins_and_is_capped():
    rng = random.Random(2)
    due = next_after_error(NOW, 1, 48.0, None, BOUNDS, rng, retry_after=10 * 3_600)
    assert due == NOW + timedelta(hours=10)
    capped = next_after_error(NOW, 1, 48.0, None, BOUNDS, rng, retry_after=10**9)
    assert capped == NOW + timedelta(seconds=MAX_BACKOFF)
    short = next_after_error(NOW, 1, 48.0, None, BOUNDS, rng, retry_after=5)
    assert short >= NOW + timedelta(seconds=1_800)  # the back-off still applies


def test_rate_from_entry_dates():
    hourly = [NOW - timedelta(hours=h) for h in range(25)]  # 24 gaps over a day
    assert rate_from_dates(hourly) == pytest.approx(24.0)
    # a burst of 5 in an hour reads as 4 a day (spans count as at least a day), not 96
    burst = [NOW - timedelta(minutes=m) for m in range(0, 60, 12)]
    assert rate_from_dates(burst) == pytest.approx(4.0)
    # entries from months ago do not dilute this week's rate
    old = [NOW - timedelta(days=90 + d) for d in range(10)]
    assert rate_from_dates([*hourly, *old]) == pytest.approx(24.0)
    assert rate_from_dates([NOW]) is None


def test_rate_without_dates_is_smoothed_new_items_per_day():
    assert smoothed_rate(None, 12, NOW - timedelta(hours=12), NOW) == pytest.approx(24.0)
    assert smoothed_rate(10.0, 0, NOW - timedelta(days=1), NOW) == pytest.approx(7.0)
    assert smoothed_rate(10.0, 5, None, NOW) == 10.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1_800),
        ("2h", 7_200),
        ("1d", 86_400),
        ("1w", 604_800),
        ("600", 600),
        ("1.5h", 5_400),
    ],
)
def test_every_forms(text, seconds):
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "often", "10 parsecs", "30s", "8d", "-5m"])
def test_every_refuses_nonsense_and_out_of_range(text):
    with pytest.raises(ConfigError, match="--every"):
        parse_every(text)
