"""``dateline train …``: rebuild the shipped models from their openly licensed data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Train the models Dateline ships (reproducibly, from open data).")

# src/dateline/cli/train_cmd.py → the repository root of a source checkout.
REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA = Path("../shared/corpora/news-category/news_category_subset.jsonl.gz")
DEFAULT_WIKINEWS = Path("../shared/corpora/wikinews/articles.jsonl")
PACKAGE_MODEL = Path(__file__).resolve().parents[1] / "data" / "models" / "categories.npz"


@app.callback()
def train() -> None:
    """Train the models Dateline ships (reproducibly, from open data)."""


def _resolve(path: Path) -> Path:
    """A relative path is taken from the repository root when it exists there, else the cwd."""
    if path.is_absolute():
        return path
    from_root = REPO_ROOT / path
    return from_root if from_root.exists() else path


@app.command()
def categories(
    data: Annotated[
        Path,
        typer.Option(help="News Category Dataset JSONL(.gz); relative paths from the repo root."),
    ] = DEFAULT_DATA,
    out: Annotated[
        Path, typer.Option(help="Model file to write (default: the package's own).")
    ] = PACKAGE_MODEL,
    metrics: Annotated[
        Path | None,
        typer.Option(help="Metrics JSON to write (default: beside --out, *.metrics.json)."),
    ] = None,
    wikinews: Annotated[
        Path, typer.Option(help="Wikinews articles.jsonl (its categorised rows are used).")
    ] = DEFAULT_WIKINEWS,
    refit: Annotated[
        bool, typer.Option(help="After scoring the held-out split, retrain on all rows.")
    ] = True,
    cache: Annotated[
        Path | None, typer.Option(help="Optional .npz file caching the text embeddings.")
    ] = None,
) -> None:
    """Train the category classifier, score it on a held-out split, write model + metrics."""
    from dateline.enrich.categories import default_embedder
    from dateline.enrich.train_categories import CachedEmbedder, train

    data_path = _resolve(data)
    if not data_path.exists():
        typer.echo(f"error: training data not found: {data_path}", err=True)
        raise typer.Exit(1)
    wikinews_path = _resolve(wikinews)
    model, results = train(
        data_path,
        wikinews_path=wikinews_path if wikinews_path.exists() else None,
        embed=CachedEmbedder(default_embedder, cache),
        refit_on_all=refit,
        log=lambda msg: typer.echo(msg, err=True),
    )
    model.metadata["held_out"] = {k: results["held_out"][k] for k in ("n", "accuracy", "macro_f1")}
    model.save(out)
    metrics_path = metrics or out.with_suffix(".metrics.json")
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    typer.echo(
        f"wrote {out} ({out.stat().st_size:,} bytes) and {metrics_path}: held-out accuracy "
        f"{results['held_out']['accuracy']:.3f}, macro-F1 {results['held_out']['macro_f1']:.3f}"
    )
