"""``dateline eval recs``: score rankers on MIND-format logs (news.tsv + behaviors.tsv)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich import box
from rich.table import Table

from dateline.cli.common import console, fail
from dateline.errors import MalformedInput
from dateline.rank.offline import News, Report, read_behaviors, read_news
from dateline.rank.offline_suite import NEEDS_VECTORS, RANKERS, evaluate_all

app = typer.Typer(help="Offline evaluation.", no_args_is_help=True)


def _figure(value: float | None, digits: int) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _as_json(report: Report) -> dict[str, float | int | None]:
    a = report.accuracy
    plain = {"auc": a.auc, "mrr": a.mrr, "ndcg5": a.ndcg5, "ndcg10": a.ndcg10}
    out: dict[str, float | int | None] = {
        k: (None if math.isnan(v) else round(v, 6)) for k, v in plain.items()
    }
    out |= {"impressions": a.impressions, "skipped": a.skipped, **report.beyond}
    return out


def _title_vectors(catalogue: dict[str, News]) -> dict[str, np.ndarray]:
    """MiniLM vectors of every title (the enrich stage's encoder); also gives ILD."""
    from dateline.enrich.embed import embed_texts

    ids = list(catalogue)
    console.print(f"embedding {len(ids)} titles …", highlight=False)
    matrix = embed_texts([catalogue[i].title for i in ids])
    return dict(zip(ids, matrix, strict=True))


@app.command("recs")
def recs(
    news: Annotated[Path, typer.Option(help="MIND news.tsv (or the site's own export).")],
    behaviors: Annotated[Path, typer.Option(help="MIND behaviors.tsv: the shown lists.")],
    rankers: Annotated[
        str, typer.Option(help=f"Comma-separated, of: {', '.join(RANKERS)}.")
    ] = ",".join(RANKERS),
    seed: Annotated[
        int, typer.Option(help="Seed of the random ranker and of the collaborative one's fits.")
    ] = 0,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures to this file.")
    ] = None,
) -> None:
    """Score each ranker on every shown list as of its time: MIND's AUC, MRR, nDCG@5 and
    nDCG@10, with coverage, calibration and the age of what it recommends."""
    names = [n.strip() for n in rankers.split(",") if n.strip()]
    unknown = [n for n in names if n not in RANKERS]
    if unknown or not names:
        raise fail(f"--rankers: unknown {', '.join(unknown) or '(none given)'}; "
                   f"choose from {', '.join(RANKERS)}")  # fmt: skip
    for path in (news, behaviors):
        if not path.is_file():
            raise fail(f"{path}: no such file")
    try:
        catalogue = read_news(news)
    except MalformedInput as exc:
        raise fail(str(exc)) from exc
    log = read_behaviors(behaviors)
    if log.bad_count:
        console.print(f"{behaviors}: {log.bad_count} malformed lines skipped; first: "
                      + "; ".join(log.bad[:3]))  # fmt: skip
    if not log.impressions:
        raise fail(f"{behaviors}: no impressions to score")
    vectors = _title_vectors(catalogue) if NEEDS_VECTORS & set(names) else None
    reports = evaluate_all(catalogue, log.impressions, names, seed, vectors)
    # scored and skipped lines are the same for every ranker: said once, in the caption
    first = next(iter(reports.values())).accuracy
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,  # 2 blanks between columns, not 3: room for "collaborative"
        title=f"{len(log.impressions)} shown lists, {len(catalogue)} articles",
        caption=f"{first.impressions} lists scored; {first.skipped} skipped (no click, or "
        "no non-click). ILD@8: 1 - cosine of the top 8; KL: calibration; age: median, "
        "hours. --json keeps 6 decimals.",
    )
    for column in ("ranker", "AUC", "MRR", "nDCG@5", "nDCG@10", "ILD@8", "cover", "KL", "age"):
        table.add_column(column, justify="left" if column == "ranker" else "right", no_wrap=True)
    for name, report in reports.items():
        a, b = report.accuracy, report.beyond
        table.add_row(
            name, _figure(a.auc, 3), _figure(a.mrr, 3), _figure(a.ndcg5, 3), _figure(a.ndcg10, 3),
            _figure(b["ild"], 3), _figure(b["coverage"], 3), _figure(b["calibration_kl"], 3),
            _figure(b["median_age_hours"], 1),
        )  # fmt: skip
    console.print(table)
    if json_out is not None:
        figures = {"rankers": {name: _as_json(r) for name, r in reports.items()}}
        json_out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
