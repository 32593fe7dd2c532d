"""The Recommendation benchmark's quick mode end to end (``bench/recommend.py --quick``).

It reads the stories dev half and the News Category subset from ../shared (skipped
without them), builds the corpus through ingest + enrich, simulates the readers through
the real Site and scores the logs: about 1.5 minutes on two cores.
"""

from __future__ import annotations

import json
import sys

import pytest

from conftest import REPO, shared_path

sys.path.insert(0, str(REPO / "bench"))


@pytest.mark.slow
def test_quick_run_scores_every_ranker_and_recommends_nothing_read(tmp_path, monkeypatch):
    stories = shared_path("benchmarks/stories/dev.csv")
    news = shared_path("corpora/news-category/news_category_subset.jsonl.gz")
    import recommend
    import recommend_scores

    # "random" gets a run of its own, served by the very rankers the default run uses:
    # two runs of one seed must then see the same readers do the same things.
    monkeypatch.setattr(
        recommend, "rankers_for", lambda name, site: site.rankers if name == "random" else None
    )
    out = tmp_path / "recommend.json"
    argv = ["--quick", "--stories", str(stories), "--news", str(news), "--json", str(out)]
    # every ranker offered a run (the hook gives one to random only), in this process
    argv += ["--serve", "all", "--offline-log", "random", "--jobs", "1"]
    assert recommend.main([*argv, "--work", str(tmp_path / "work")]) == 0

    result = json.loads(out.read_text(encoding="utf-8"))
    rows = {row["name"]: row for row in result["rows"]}
    assert set(rows) == set(recommend.RANKER_NAMES)
    for name, row in rows.items():
        missing = [k for k in recommend_scores.METRICS if k not in row]
        assert not missing, f"{name} lacks {missing}"
        assert row["read_recommended"] == 0, name
        assert row["pages"] > 0 and row["reco_impressions"] > 0, name
    assert rows["random"]["served_by"] == "random"
    assert {rows[n]["served_by"] for n in rows if n != "random"} == {recommend.DEFAULT_RUN}
    online = ("pages", "sessions", "reco_impressions", "reco_clicks", "reco_in_interest", "ild")
    assert {k: rows["random"][k] for k in online} == {k: rows["popularity"][k] for k in online}
    assert result["corpus"]["articles"] > 500
    assert result["offline_lines"]["test"] > 0
    read = next(t for t in result["targets"] if t["target"].startswith("read items"))
    assert read["met"] is True  # nothing read recommended
