"""Every regex that sees untrusted text grows near-linearly with its input.

For each pattern (found by ``regex_cases.cases``), the inputs crafted to slow it down are
tried at 2,000 characters; the two slowest are then timed at a size where they take a
few milliseconds, and at 8 times that size. Linear work takes about 8 times as long;
quadratic backtracking, 64 times. The test fails above 24, a margin wide enough for a
noisy machine, and far below what backtracking costs. This is a ratio, not a timing: the
absolute seconds per MB are in ``bench/regex_growth.py``.
"""

from __future__ import annotations

import pytest

from regex_cases import Case, cases, seconds, shapes

GROWTH = 8
MAX_RATIO = 24.0
START = 2_000
ENOUGH_SECONDS = 0.002  # timer noise is small from here
MAX_SIZE = 250_000  # then 8 times that: 2 MB of text

CASES = cases()


def test_the_patterns_are_found():
    names = {c.name for c in CASES}
    assert len(CASES) > 60
    assert "dateline.extract.readers.text_dump._SEPARATOR" in names
    assert "dateline.store.search._CHUNK" in names


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", CASES, ids=[c.name.removeprefix("dateline.") for c in CASES])
def test_growth_is_near_linear(case: Case):
    timed = [
        (seconds(case.pattern, s.text(START), repeat=1), s) for s in shapes(case.pattern.pattern)
    ]
    timed.sort(key=lambda pair: pair[0], reverse=True)
    for _, shape in timed[:2]:
        size = START
        while seconds(case.pattern, shape.text(size)) < ENOUGH_SECONDS and size * 4 <= MAX_SIZE:
            size *= 4
        small = seconds(case.pattern, shape.text(size), repeat=3)
        large = seconds(case.pattern, shape.text(size * GROWTH), repeat=3)
        ratio = large / max(small, 1e-9)
        assert ratio < MAX_RATIO, (
            f"{case.name} {case.pattern.pattern!r} on {shape.label}: {size:,} chars took "
            f"{small * 1000:.1f} ms, {size * GROWTH:,} took {large * 1000:.1f} ms "
            f"({ratio:.0f}x for {GROWTH}x the input)"
        )
