"""The Recommendation simulation's scores: each run's log exported as MIND and scored
offline, the served lists' own figures, and issue 15's targets (see ``bench/recommend.py``).
"""

from __future__ import annotations

import bisect
import inspect
import math
import random
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recommend_browse import Tally

if TYPE_CHECKING:
    from dateline.rank.offline import Impression, News


# Targets of issue 15, item 5.
AUC_MARGIN = 0.05
CTR_RATIO = 1.3
# The diversity/accuracy curve: MMR's λ (None: accuracy only), and the target — ILD@8 at
# least ILD_GAIN above the accuracy-only blend's for at most NDCG_LOSS of its nDCG@10.
# λ = 0 picks the most diverse 8 of the blend's top 32 regardless of score: the ceiling of
# ILD@8 on these candidates, which says whether the target is reachable at all.
MMR_LAMBDAS = (None, 0.9, 0.8, 0.7, 0.6, 0.5, 0.3, 0.0)
CURVE_NEGATIVES = 40
ILD_GAIN = 0.15
NDCG_LOSS = 0.03

# --- scoring -----------------------------------------------------------------------------


def export_mind(db: Path, folder: Path) -> tuple[dict[str, News], list[Impression], list[str]]:
    """The run's log as MIND files (the site's export), read back; each line's list name."""
    from sqlalchemy import select

    from dateline.rank.offline import read_behaviors, read_news
    from dateline.readers.events import IMPRESSION
    from dateline.readers.history import export_behaviors_tsv, export_news_tsv
    from dateline.store.db import Store
    from dateline.store.models import Event

    store = Store(f"sqlite:///{db}")
    news_tsv, behaviors_tsv = folder / "news.tsv", folder / "behaviors.tsv"
    with store.read() as session:
        with news_tsv.open("w", encoding="utf-8") as out:
            export_news_tsv(session, out)
        with behaviors_tsv.open("w", encoding="utf-8") as out:
            export_behaviors_tsv(session, out)
        # the export's own grouping and order: line n is the n-th (viewer, list, time) group
        rows = session.execute(
            select(Event.viewer_key, Event.list_name, Event.created_at)
            .where(Event.kind == IMPRESSION)
            .order_by(Event.created_at, Event.viewer_key, Event.list_name, Event.position, Event.id)
        ).all()
    store.dispose()
    names, last = [], None
    for row in rows:
        if tuple(row) != last:
            names.append(str(row[1]))
            last = tuple(row)
    log = read_behaviors(behaviors_tsv)
    if log.bad_count:
        raise RuntimeError(f"{behaviors_tsv}: {log.bad_count} malformed lines: {log.bad[:3]}")
    line_lists = [names[imp.line - 1] for imp in log.impressions]
    return read_news(news_tsv), log.impressions, line_lists


def vectors_for(snapshot: Path, article_ids: Iterable[int]) -> dict[str, Any]:
    """The store's MiniLM vectors by MIND id (``N<id>``); titles embedded for any missing."""
    from sqlalchemy import select

    from dateline.enrich.embed import embed_texts, load_vectors
    from dateline.store.db import Store
    from dateline.store.models import Article

    ids = list(article_ids)
    store = Store(f"sqlite:///{snapshot}")
    with store.read() as session:
        stored = load_vectors(session, ids)
        missing = [i for i in ids if i not in stored]
        titles = dict(
            session.execute(select(Article.id, Article.title).where(Article.id.in_(missing))).all()
        )
    store.dispose()
    vectors = {f"N{aid}": v for aid, v in stored.items()}
    if titles:
        embedded = embed_texts(list(titles.values()))
        vectors.update({f"N{aid}": v for aid, v in zip(titles, embedded, strict=True)})
    return vectors


class AsServed:
    """A line scored as it was served (its first item highest): the beyond-accuracy
    figures of the lists a run actually showed."""

    name = "as served"

    def score(self, impression: Impression) -> list[float]:
        return [-float(k) for k in range(len(impression.items))]

    def learn(self, impression: Impression) -> None:
        return None


def served_scores(
    news: dict[str, News],
    lines: list[Impression],
    lists: list[str],
    test_start: datetime,
    vectors: dict[str, Any],
    catalogue: Iterable[int],
) -> dict[str, Any]:
    """ILD@8, coverage (of every article), calibration KL and median age of the
    Recommendation lists a run served on the test days (and the served order's accuracy,
    which position bias flatters)."""
    from dateline.rank.offline import News, evaluate

    every = {f"N{a}": news.get(f"N{a}", News(f"N{a}", "", "")) for a in catalogue}
    test = [
        i
        for i, name in zip(lines, lists, strict=True)
        if name == "recommendation" and i.at >= test_start
    ]
    report = evaluate({**every, **news}, test, AsServed(), vectors)
    a = report.accuracy
    return {"served_auc": None if math.isnan(a.auc) else round(a.auc, 6), **report.beyond}


def offline_scores(
    news: dict[str, News],
    lines: list[Impression],
    lists: list[str],
    keep: str,
    test_start: datetime,
    names: list[str],
    seed: int,
    vectors: dict[str, Any],
) -> dict[str, dict[str, Any]]:
    """Each offline ranker taught the training lines, then scored on the test lines."""
    from dateline.rank.offline import evaluate
    from dateline.rank.offline_suite import RANKERS, make_ranker

    kept = [imp for imp, name in zip(lines, lists, strict=True) if keep in ("all", name)]
    train = [imp for imp in kept if imp.at < test_start]
    test = [imp for imp in kept if imp.at >= test_start]
    # rankers that read the catalogue (the blend) take the news file and the log, where
    # make_ranker accepts them
    accepts = inspect.signature(make_ranker).parameters
    extra = {"news": news, "impressions": kept} if "impressions" in accepts else {}
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        if name not in RANKERS:
            out[name] = {"note": "not in dateline.rank.offline yet"}
            continue
        ranker = make_ranker(name, seed, vectors, **extra)
        for imp in train:  # in time order, as evaluate learns
            ranker.learn(imp)
        report = evaluate(news, test, ranker, vectors)
        a = report.accuracy
        row: dict[str, Any] = {"auc": a.auc, "mrr": a.mrr, "ndcg5": a.ndcg5, "ndcg10": a.ndcg10}
        row = {k: None if math.isnan(v) else round(v, 6) for k, v in row.items()}
        row |= {"scored": a.impressions, "skipped": a.skipped, **report.beyond}
        out[name] = row
    out["_lines"] = {"train": len(train), "test": len(test), "lists": keep}
    if "blend" in names and "blend" in RANKERS:
        out["_curve"] = diversity_curve(news, kept, train, test, seed, vectors)
    return out


def diversity_curve(
    news: dict[str, Any],
    kept: list[Any],
    train: list[Any],
    test: list[Any],
    seed: int,
    vectors: dict[str, Any],
) -> list[dict[str, Any]]:
    """The blend's ILD@8 and nDCG@10 with MMR at each λ of ``MMR_LAMBDAS`` (None: the
    accuracy-only order).

    A logged line holds only the list that was shown (8 or so items), so choosing 8 of
    them cannot diversify anything: each test line is widened with ``CURVE_NEGATIVES``
    articles that had appeared before it and were neither shown nor read (unclicked), a
    sampled evaluation. Seeded, the same for every λ."""
    from dateline.rank.offline import Impression, evaluate
    from dateline.rank.offline_blend import BlendRanker, first_appearances

    seen = sorted((at, n) for n, at in first_appearances(kept).items())
    times = [at for at, _ in seen]
    rng = random.Random(seed)
    widened = []
    for imp in test:
        upto = bisect.bisect_right(times, imp.at)
        skip = set(imp.items) | set(imp.history)
        extra: list[str] = []
        for _ in range(CURVE_NEGATIVES * 3):
            if len(extra) >= CURVE_NEGATIVES or upto == 0:
                break
            n = seen[rng.randrange(upto)][1]
            if n not in skip:
                skip.add(n)
                extra.append(n)
        widened.append(
            Impression(
                imp.line,
                imp.user,
                imp.at,
                imp.history,
                (*imp.items, *extra),
                (*imp.labels, *([0] * len(extra))),
            )
        )
    points = []
    for lam in MMR_LAMBDAS:
        ranker = BlendRanker(news, vectors, kept, seed, mmr_lambda=lam)
        for imp in train:
            ranker.learn(imp)
        report = evaluate(news, widened, ranker, vectors)
        points.append(
            {"lambda": lam, "ndcg10": round(report.accuracy.ndcg10, 6), "ild": report.beyond["ild"]}
        )
    return points


def online_scores(db: Path, tally: Tally, test_start: datetime) -> dict[str, Any]:
    """Click-through per list from the run's store (the site's own log), test days."""
    from sqlalchemy import case, func, select

    from dateline.readers.events import IMPRESSION
    from dateline.store.db import Store
    from dateline.store.models import Event

    store = Store(f"sqlite:///{db}")
    with store.read() as session:
        rows = session.execute(
            select(
                Event.list_name, func.count(), func.sum(case((Event.clicked.is_(True), 1), else_=0))
            )
            .where(Event.kind == IMPRESSION, Event.created_at >= test_start)
            .group_by(Event.list_name)
        ).all()
    store.dispose()
    ctr = {
        str(name): {
            "impressions": int(n),
            "clicks": int(c or 0),
            "ctr": round(int(c or 0) / n, 6) if n else None,
        }
        for name, n, c in rows
    }
    reco = ctr.get("recommendation", {"impressions": 0, "clicks": 0, "ctr": None})
    shown = tally.test_reco_shown
    return {
        "reco_impressions": reco["impressions"],
        "reco_clicks": reco["clicks"],
        "reco_ctr": reco["ctr"],
        "reco_in_interest": round(tally.test_reco_in_interest / shown, 6) if shown else None,
        "read_recommended": tally.read_recommended,
        "ctr_by_list": ctr,
        "pages": tally.pages,
        "sessions": tally.sessions,
        "landings": dict(tally.landings),
        "followed": dict(tally.followed),
        "flushes": tally.flushes,
    }


METRICS = (
    "auc",
    "mrr",
    "ndcg5",
    "ndcg10",
    "ild",
    "coverage",
    "calibration_kl",
    "median_age_hours",
    "reco_ctr",
    "reco_in_interest",
    "read_recommended",
)


def curve_target(curve: list[dict[str, Any]]) -> dict[str, Any]:
    """The diversity/accuracy target, met by any λ of the curve."""
    base = next((p for p in curve if p["lambda"] is None), None)
    ok = [
        p
        for p in curve
        if base is not None
        and p["lambda"] is not None
        and p["ild"] is not None
        and base["ild"] is not None
        and p["ild"] >= (1 + ILD_GAIN) * base["ild"]
        and p["ndcg10"] >= (1 - NDCG_LOSS) * base["ndcg10"]
    ]
    return {
        "target": f"ILD@8 +{ILD_GAIN:.0%} over the accuracy-only blend for <= {NDCG_LOSS:.0%} "
        "nDCG@10 loss (some MMR lambda)",
        "curve": curve,
        "met": bool(ok),
    }


def targets(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 15's targets, each with the figures it compares and whether it was met."""

    def get(name: str, key: str) -> float | None:
        value = rows.get(name, {}).get(key)
        return None if value is None else float(value)

    out = []
    blend, pop = get("blend", "auc"), get("popularity", "auc")
    out.append(
        {
            "target": f"blend AUC >= popularity AUC + {AUC_MARGIN}",
            "blend": blend,
            "popularity": pop,
            "met": blend is not None and pop is not None and blend >= pop + AUC_MARGIN,
        }
    )
    for key in ("ndcg10", "mrr"):
        scored = {n: get(n, key) for n in rows if get(n, key) is not None}
        best = max(scored.values()) if scored else None
        met = (
            "blend" in scored
            and scored["blend"] == best
            and sum(v == best for v in scored.values()) == 1
        )
        out.append(
            {"target": f"blend best on {key}", "blend": get("blend", key), "best": best, "met": met}
        )
    blend, pop = get("blend", "reco_ctr"), get("popularity", "reco_ctr")
    out.append(
        {
            "target": f"blend Recommendation click-through >= {CTR_RATIO}x popularity's",
            "blend": blend,
            "popularity": pop,
            "met": blend is not None and pop is not None and blend >= CTR_RATIO * pop,
        }
    )
    read = [r for n in rows if (r := get(n, "read_recommended")) is not None]
    out.append(
        {
            "target": "read items recommended = 0 (every ranker)",
            "max": max(read, default=None),
            "met": bool(read) and all(r == 0 for r in read),
        }
    )
    return out


def fig(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def table(rows: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| ranker | served by | AUC | MRR | nDCG@5 | nDCG@10 | ILD@8 | cover | KL | age h "
        "| Reco CTR | in interests | read recommended |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        cells = [
            fig(r.get(k))
            for k in ("auc", "mrr", "ndcg5", "ndcg10", "ild", "coverage", "calibration_kl")
        ]
        cells += [
            fig(r.get("median_age_hours"), 1),
            fig(r.get("reco_ctr"), 4),
            fig(r.get("reco_in_interest")),
            fig(r.get("read_recommended"), 0),
        ]
        lines.append(f"| {name} | {r['served_by'] or 'offline only'} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
