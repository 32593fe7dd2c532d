"""The cheap gates CI runs: two benchmarks end to end, gated, inside ``make test``.

``make bench`` runs every gate at full size; these two are cheap enough for every CI run
and guard the figures a code change most easily moves: body extraction on the extraction
dev half (one timed pass instead of three) and story clustering on one seeded arrival
order (seed 1, held to its own pinned floor, not the eight orders' mean). Each calls the
benchmark's own ``main`` with ``--gate``, so a floor missed here is a floor missed there.
"""

from __future__ import annotations

import json
import sys

import pytest

from conftest import REPO, shared_path

sys.path.insert(0, str(REPO / "bench"))

FLOORS = json.loads((REPO / "bench" / "baseline.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_extraction_on_the_dev_half_passes_its_gate(tmp_path):
    import extraction

    data = shared_path("benchmarks/extraction")
    out = tmp_path / "extraction.json"
    argv = ["--data", str(data), "--json", str(out), "--passes", "1", "--gate"]
    assert extraction.main(argv) == 0

    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert rows[0]["name"] == "dateline"
    assert rows[0]["f1"] >= FLOORS["extraction"]["f1_floor"]
    assert all(rows[0]["f1"] > other["f1"] for other in rows[1:])


@pytest.mark.slow
def test_stories_on_one_seed_order_passes_its_gate(tmp_path):
    import stories

    data = shared_path("benchmarks/stories/dev.csv")
    out = tmp_path / "stories.json"
    argv = ["--data", str(data), "--json", str(out), "--seeds", "1"]
    assert stories.main([*argv, "--no-minilm-reference", "--gate"]) == 0

    streaming = json.loads(out.read_text(encoding="utf-8"))["rows"][0]
    assert set(streaming["per_seed_f1"]) == {"1"}
    assert streaming["per_seed_f1"]["1"] >= FLOORS["stories"]["per_seed_f1_floor"]["1"]
