"""Offline evaluation on MIND-format logs (rank/offline.py, ``dateline eval recs``): the
no-look-ahead guard, the rankers' definitions, bad lines, and the real command."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from dateline.rank import offline
from dateline.readers.history import MIND_TIME_FORMAT
from test_cli import run

T0 = datetime(2026, 11, 2, 9, 0, 0)


def line(n: int, user: str, at: datetime, history: str, shown: str) -> str:
    return f"{n}\t{user}\t{at.strftime(MIND_TIME_FORMAT)}\t{history}\t{shown}\n"


def write_log(
    tmp_path: Path, lines: list[str], news_ids=("N1", "N2", "N3", "N4")
) -> tuple[Path, Path]:
    news = tmp_path / "news.tsv"
    news.write_text(
        "".join(f"{n}\t{'sports' if i % 2 else 'news'}\tsub\tTitle {n}\tAbstract\t\t[]\t[]\n"
                for i, n in enumerate(news_ids)),
        encoding="utf-8",
    )  # fmt: skip
    behaviors = tmp_path / "behaviors.tsv"
    behaviors.write_text("".join(lines), encoding="utf-8")
    return news, behaviors


class Spy:
    """A ranker that records, for each line it scores, the times of the lines it had
    learned by then."""

    name = "spy"

    def __init__(self) -> None:
        self.learned: list[datetime] = []
        self.seen: list[tuple[datetime, list[datetime]]] = []

    def score(self, impression):
        self.seen.append((impression.at, list(self.learned)))
        return [0.0] * len(impression.items)

    def learn(self, impression) -> None:
        self.learned.append(impression.at)


def test_no_event_at_or_after_a_line_is_used_to_score_it(tmp_path):
    lines = [
        line(3, "u3", T0 + timedelta(hours=2), "N1", "N2-1 N3-0"),
        line(1, "u1", T0, "", "N1-1 N2-0"),
        line(2, "u2", T0, "N3", "N1-0 N2-1"),  # the same second as line 1
        line(4, "u4", T0 + timedelta(hours=1), "", "N4-1 N1-0"),
    ]
    news, behaviors = write_log(tmp_path, lines)
    log = offline.read_behaviors(behaviors)
    spy = Spy()
    offline.evaluate(offline.read_news(news), log.impressions, spy)
    assert [at for at, _ in spy.seen] == sorted(at for at, _ in spy.seen), "time order"
    for at, learned in spy.seen:
        assert all(t < at for t in learned), f"a line at {at} saw one at or after it"
    assert len(spy.learned) == 4


def test_popularity_counts_only_earlier_clicks_and_halves_each_half_life(tmp_path):
    lines = [
        line(1, "u1", T0, "", "N1-1 N2-0"),
        line(2, "u2", T0, "", "N1-0 N2-1"),
        line(3, "u3", T0 + timedelta(hours=24), "", "N1-1 N2-0 N3-0"),
    ]
    _, behaviors = write_log(tmp_path, lines)
    ranker = offline.PopularityRanker(half_life_hours=24)
    first, second, third = offline.read_behaviors(behaviors).impressions
    assert ranker.score(first) == [0.0, 0.0]
    ranker.learn(first)
    ranker.learn(second)
    assert ranker.score(third) == pytest.approx([0.5, 0.5, 0.0])
    ranker.learn(third)
    later = offline.Impression(9, "u", T0 + timedelta(hours=48), (), ("N1", "N2"), (1, 0))
    assert ranker.score(later) == pytest.approx([0.25 + 0.5, 0.25])


def test_content_scores_by_the_readers_reads_and_earlier_clicks():
    vectors = {"N1": np.array([1.0, 0.0]), "N2": np.array([0.9, 0.1]), "N3": np.array([0.0, 1.0])}
    ranker = offline.ContentRanker(vectors)
    first = offline.Impression(1, "u", T0, ("N1",), ("N2", "N3"), (0, 1))
    assert ranker.score(first) == pytest.approx([0.9, 0.0])
    ranker.learn(first)  # u clicked N3
    later = offline.Impression(2, "u", T0 + timedelta(hours=1), (), ("N2", "N3", "N9"), (0, 1, 0))
    assert ranker.score(later) == pytest.approx([0.1, 1.0, 0.0]), "N9 has no vector: 0"
    stranger = offline.Impression(3, "v", T0 + timedelta(hours=1), (), ("N2", "N3"), (1, 0))
    assert ranker.score(stranger) == [0.0, 0.0], "nothing read: no profile"


def test_bad_lines_are_reported_and_the_rest_is_read(tmp_path):
    lines = [
        line(1, "u1", T0, "", "N1-1 N2-0"),
        "2\tu2\tnot a time\t\tN1-0\n",
        "3\tu3\n",
        line(4, "u4", T0, "", "N1-7"),
        line(5, "u5", T0, "", "N2-1 N3-0"),
    ]
    _, behaviors = write_log(tmp_path, lines)
    log = offline.read_behaviors(behaviors)
    assert [i.line for i in log.impressions] == [1, 5]
    assert log.bad_count == 3
    assert log.bad[0].startswith("line 2: time data 'not a time'")
    assert log.bad[1] == "line 3: expected 5 tab-separated columns, got 2"
    assert log.bad[2] == "line 4: impression 'N1-7' is not <news id>-0 or -1"


def test_the_command_prints_a_table_and_writes_the_figures(tmp_path):
    # N1 is what everyone clicks: popularity learns it, random cannot
    lines = [
        line(i, f"u{i}", T0 + timedelta(minutes=i), "N4", f"N{2 + i % 2}-0 N1-1 N4-0")
        for i in range(1, 41)
    ]
    news, behaviors = write_log(tmp_path, lines)
    out = tmp_path / "figures.json"
    done = run("eval", "recs", "--news", str(news), "--behaviors", str(behaviors),
               "--json", str(out), env={"COLUMNS": "80"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    header = next(row for row in done.stdout.splitlines() if "ranker" in row).split()
    assert header == ["ranker", "AUC", "MRR", "nDCG@5", "nDCG@10", "ILD@8", "cover", "KL", "age"]
    rows = {row.split()[0]: row.split()[1:] for row in done.stdout.splitlines() if row.strip()}
    assert rows["popularity"][0] == "0.988", "fits 80 columns, nothing cut"
    assert len(rows["collaborative"]) == 8 and "…" not in " ".join(rows["collaborative"])
    figures = json.loads(out.read_text())["rankers"]
    assert set(figures) == {"random", "popularity", "content", "collaborative", "blend"}
    for ranker in figures.values():
        assert {"auc", "mrr", "ndcg5", "ndcg10", "impressions", "skipped", "coverage",
                "calibration_kl", "median_age_hours", "ild"} <= set(ranker)  # fmt: skip
        assert ranker["impressions"] == 40 and ranker["skipped"] == 0
    # the first line has no earlier click: all tied, AUC 0.5, N1 ranked second (numpy's
    # order of ties); every later line ranks N1 first
    assert figures["popularity"]["auc"] == pytest.approx((0.5 + 39) / 40)
    assert figures["popularity"]["mrr"] == pytest.approx((0.5 + 39) / 40)
    assert figures["random"]["auc"] < 0.8
    # every reader read N4 and clicks N1: co-reading ranks the read N4 first, N1 second
    # (and before the fit, all tie: N1 second again), above the unread N2 or N3
    assert figures["collaborative"]["auc"] == 0.5 and figures["collaborative"]["mrr"] == 0.5
    assert figures["popularity"]["coverage"] == 1.0  # every line shows all its items
    # the content ranker's titles were embedded, so every list has a diversity figure
    assert all(0 < ranker["ild"] <= 2 for ranker in figures.values())


def test_the_command_names_what_is_wrong(tmp_path):
    news, behaviors = write_log(tmp_path, [line(1, "u1", T0, "", "N1-1 N2-0")])
    unknown = run("eval", "recs", "--news", str(news), "--behaviors", str(behaviors),
                  "--rankers", "random,magic")  # fmt: skip
    assert unknown.returncode != 0 and "unknown magic" in unknown.stderr + unknown.stdout
    missing = run("eval", "recs", "--news", str(tmp_path / "no.tsv"), "--behaviors", str(behaviors))
    assert missing.returncode != 0 and "no.tsv: no such file" in missing.stderr + missing.stdout
    empty = tmp_path / "empty.tsv"
    empty.write_text("garbage\n", encoding="utf-8")
    nothing = run("eval", "recs", "--news", str(news), "--behaviors", str(empty))
    assert nothing.returncode != 0 and "no impressions to score" in nothing.stderr + nothing.stdout


def _blend_log(extra: list[offline.Impression]) -> tuple[dict, dict, list[offline.Impression]]:
    news = {
        "N1": offline.News("N1", "sports", "Arsenal beat Chelsea in the London derby"),
        "N2": offline.News("N2", "sports", "Liverpool win the Premier League title"),
        "N3": offline.News("N3", "finance", "Central bank raises interest rates again"),
        "N4": offline.News("N4", "sports", "Tottenham sign a striker from Brazil"),
    }
    vectors = {
        "N1": np.array([1.0, 0.1, 0.0]),
        "N2": np.array([0.9, 0.2, 0.0]),
        "N3": np.array([0.0, 0.1, 1.0]),
        "N4": np.array([0.95, 0.0, 0.1]),
    }
    base = [
        offline.Impression(1, "u", T0, ("N1",), ("N2", "N3"), (1, 0)),
        offline.Impression(2, "v", T0 + timedelta(hours=1), ("N3",), ("N2", "N3"), (0, 1)),
    ]
    return news, vectors, base + extra


def test_blend_scores_with_the_sites_recommendation_signals_and_no_look_ahead():
    """The blend prefers what a reader's history is about, and a line's scores do not
    change when later lines (and their clicks) are added to the log."""
    from dateline.rank.offline_blend import BlendRanker

    later = [offline.Impression(3, "w", T0 + timedelta(hours=5), (), ("N3", "N4"), (1, 0))]
    scores = []
    for extra in ([], later):
        news, vectors, log = _blend_log(extra)
        ranker = BlendRanker(news, vectors, log, seed=0)
        first = ranker.score(log[0])
        ranker.learn(log[0])
        second = ranker.score(log[1])
        scores.append((first, second))
    assert scores[0] == scores[1], "a later line changed an earlier line's scores"
    first, second = scores[0]
    assert first[0] > first[1], "a sports reader: the sports item first"
    assert second[1] > second[0], "a finance reader: the finance item first"


def test_blend_with_mmr_keeps_the_top_items_and_reorders_them():
    from dateline.rank.offline_blend import BlendRanker

    news, vectors, log = _blend_log([])
    plain = BlendRanker(news, vectors, log).score(log[0])
    mmr = BlendRanker(news, vectors, log, mmr_lambda=0.5).score(log[0])
    assert (
        sorted(range(2), key=lambda k: -plain[k])[0] == sorted(range(2), key=lambda k: -mmr[k])[0]
    )
