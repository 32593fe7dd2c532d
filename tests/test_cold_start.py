"""The cold start of ``dateline ingest``: each model loads once, and only for the stage that
needs it (figures: ``bench/cold_start.py``, docs/benchmarks.md).

The ingest commands run in new processes, as a user runs them, so that what they import
is theirs alone: this test process has long imported everything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dateline.enrich import categories, embed, ner

DATELINE = shutil.which("dateline", path=str(Path(sys.executable).parent)) or "dateline"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from cold_start import FEED  # noqa: E402  (the benchmark's one feed item)

MODELS = ("torch", "transformers", "sentence_transformers", "spacy", "sklearn")


def one_item_feed(tmp_path: Path) -> Path:
    feed = tmp_path / "one.xml"
    feed.write_text(FEED, encoding="utf-8")
    return feed


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    return env | {"DATELINE_DATA_DIR": str(tmp_path / "data"), "NO_COLOR": "1"} | extra


def ingest_imports(tmp_path: Path, **extra: str) -> tuple[str, set[str]]:
    """``dateline ingest`` of one feed item into a fresh data folder: its output, and the
    top-level packages the process imported (``-X importtime``)."""
    feed = one_item_feed(tmp_path)
    done = subprocess.run(
        [DATELINE, "ingest", str(feed)],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path, PYTHONPROFILEIMPORTTIME="1", **extra),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return done.stdout, imported


def test_the_store_step_of_ingest_imports_no_model(tmp_path):
    out, imported = ingest_imports(tmp_path, DATELINE_ENRICH_ON_INGEST="false")
    assert "ingested" in out and "Port workers end strike" in out
    assert imported & set(MODELS) == set()


def test_pipeline_ingest_one_leaves_every_model_unloaded(tmp_path):
    feed = one_item_feed(tmp_path)
    script = textwrap.dedent(
        f"""
        import json, sys
        from dateline import pipeline
        from dateline.settings import load_settings
        from dateline.store.db import Store
        from dateline.store.schema import upgrade

        settings = load_settings()
        store = Store(settings.resolved_database_url)
        upgrade(store)
        reports = pipeline.ingest_one({str(feed)!r}, store, settings)
        loaded = sorted(m for m in {MODELS!r} if m in sys.modules)
        print(json.dumps({{"statuses": [r.status for r in reports], "loaded": loaded}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"statuses": ["new"], "loaded": []}


def test_ingest_with_enrich_imports_only_what_its_models_run_on(tmp_path):
    out, imported = ingest_imports(tmp_path)
    assert "ingested" in out and "enrich summary" in out
    # The classifier and the stories run MiniLM through sentence-transformers (torch);
    # entities, spaCy. Each is imported by the step that runs it, not by the store step
    # (test above).
    assert {"torch", "sentence_transformers", "spacy"} <= imported


def test_each_model_loads_once_per_process_even_when_asked_at_once():
    for getter in (embed.load_model, ner.load_pipeline, categories.default_model):
        with ThreadPoolExecutor(max_workers=4) as pool:
            got = list(pool.map(lambda _n, g=getter: g(), range(8)))
        assert len({id(model) for model in got}) == 1, getter.__qualname__
        assert getter() is got[0]
