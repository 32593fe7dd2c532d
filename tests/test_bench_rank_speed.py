"""The rank stage's speed and memory benchmark in quick mode (``bench/rank_speed.py --quick``).

It generates its data (the demo corpus, 5,000 articles with vectors, stories, entities and
Related lists, 500 readers, 50,000 events) into the test's own folder, then runs every
measurement once: about a minute on two cores. The timing targets are the benchmark's
business, not this test's: it checks that every figure is reported, and that a read
shows in the reader's next Recommendation (left out, and followed in its story), both
through the worker's recent reads and through a flushed view.
"""

from __future__ import annotations

import json
import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))


@pytest.mark.slow
def test_quick_run_reports_every_figure_and_a_read_shows_at_once(tmp_path):
    import rank_speed

    out = tmp_path / "rank_speed.json"
    argv = ["--quick", "--cache", str(tmp_path / "cache"), "--json", str(out)]
    assert rank_speed.main(argv) == 0  # no --gate: a slow machine does not fail it

    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["config"]["quick"] is True
    assert result["data"]["events"] == rank_speed.QUICK["events"]
    for case in ("recommendation", "recommendation_baseline", "related", "ranking", "page"):
        figures = result["latency"][case]
        assert {"n", "p50_ms", "p99_ms", "max_ms"} <= set(figures), case
        assert figures["n"] == result["config"]["samples"] > 0
    assert result["latency"]["page_baseline"]["n"] == result["config"]["samples"]
    assert result["retrain"]["fitted"] is True
    assert result["retrain"]["reads"] > 0 and result["retrain"]["seconds"] > 0
    assert {"index_traced_mb", "index_arrays_mb", "model_mb", "total_mb"} <= set(result["memory"])
    assert result["reload"]["with_vector"] == rank_speed.QUICK["articles"]
    assert result["enrich_related"]["lists"] == result["reload"]["articles"]
    assert "refresh_ms" in result["engagement"]
    assert {t["name"] for t in result["targets"]} == {
        "recommendation",
        "page",
        "retrain",
        "memory",
        "freshness",
    }
    assert "| Recommendation, one reader |" in result["table"]

    fresh = result["freshness"]
    for way in ("recent", "flushed"):
        check = fresh[way]
        assert check["excluded"], way
        assert check["article"] not in check["after"], way
        assert check["reflected"], (way, check["reasons_after"])
    assert fresh["recent"]["reader"] != fresh["flushed"]["reader"]
    assert fresh["holds"] is True
