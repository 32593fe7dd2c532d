"""`dateline backfill` on a real LocalCluster matches a one-process ingest, on both engines:
the same articles (dedup), the same leading carriers (provenance), the same stories, vectors
equal within 1e-6; a worker killed mid-run and a second run add no row."""

from __future__ import annotations

import gzip
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from conftest import REPO
from dateline.backfill.run import BackfillOptions, backfill
from dateline.enrich.embed import load_vectors
from dateline.enrich.run import enrich_articles
from dateline.pipeline import ingest_many
from dateline.store.models import Article, Page

CORPUS = REPO / "src/dateline/data/wikinews/articles.jsonl.gz"


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> list[str]:
    """120 Wikinews articles in one JSONL file, 20 near-copies of them from another site
    (a line dropped, a sentence added), a line that breaks the schema, and the seed pages."""
    folder = tmp_path_factory.mktemp("archive")
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for _, line in zip(range(120), handle, strict=False)]
    (folder / "wikinews.jsonl").write_text(
        "\n".join(json.dumps(r) for r in rows) + "\n" + '{"title": "no body"}\n', encoding="utf-8"
    )
    copies = []
    for n, r in enumerate(rows[::6]):
        body = r["body"] if isinstance(r["body"], str) else "\n\n".join(r["body"])
        paragraphs = body.split("\n\n")
        copies.append(
            {
                **r,
                "id": f"copy-{n}",
                "url": f"https://copies.example/{n}",
                "site_name": "Copies Daily",
                "body": "\n\n".join([*paragraphs[:-1], "Readers can share this story."]),
            }
        )
    (folder / "copies.jsonl").write_text("\n".join(json.dumps(c) for c in copies), encoding="utf-8")
    return [str(folder / "wikinews.jsonl"), str(folder / "copies.jsonl")]


def snapshot(store) -> dict:
    """What must match, keyed by page identity (ids differ between stores)."""
    with store.read() as session:
        pages = session.execute(select(Page.id, Page.identity_key, Page.article_id)).all()
        key_of_page = {pid: key for pid, key, _ in pages}
        articles = session.execute(
            select(Article.id, Article.lead_page_id, Article.story_id, Article.superseded_by_id)
        ).all()
        vectors = load_vectors(session, [a.id for a in articles])
    lead = {a.id: key_of_page.get(a.lead_page_id) for a in articles}
    carriers: dict[int, set[str]] = {}
    for _, key, article_id in pages:
        carriers.setdefault(article_id, set()).add(key)
    stories: dict[int, set[str]] = {}
    for a in articles:
        if a.story_id is not None:
            stories.setdefault(a.story_id, set()).add(lead[a.id])
    return {
        "articles": sorted(sorted(c) for c in carriers.values()),  # dedup
        "leads": sorted((lead[a.id], a.superseded_by_id is None) for a in articles),  # provenance
        "stories": sorted(sorted(s) for s in stories.values()),
        "vectors": {lead[i]: v for i, v in vectors.items()},
    }


def assert_same(one: dict, other: dict) -> None:
    assert one["articles"] == other["articles"]
    assert one["leads"] == other["leads"]
    assert one["stories"] == other["stories"]
    assert one["vectors"].keys() == other["vectors"].keys()
    for key, vector in one["vectors"].items():
        assert np.allclose(vector, other["vectors"][key], atol=1e-6), key


@pytest.fixture
def single(store, settings, archive, seed_000, seed_004):
    targets = [*archive, str(seed_000), str(seed_004)]
    report = ingest_many(targets, store, settings)
    touched = sorted(
        {i.article_id for i in report.items if i.article_id and i.status in ("new", "updated")}
    )
    enrich_articles(store, settings, touched)
    return targets, snapshot(store), report


def test_backfill_matches_a_one_process_ingest(single, new_store, settings):
    targets, expected, one = single
    store = new_store()
    report = backfill(targets, store, settings, BackfillOptions(local=2, items_per_task=40))
    assert report.workers == 2 and report.units >= 5
    assert report.counts.vectors > 100  # the workers' vectors were kept, not re-embedded
    assert len(report.failures) == len(one.failures) == 1  # the bad line, at its real line
    assert report.failures[0][0].endswith("wikinews.jsonl:121")
    assert_same(expected, snapshot(store))


def test_a_killed_worker_and_a_rerun_add_nothing(single, new_store, settings):
    targets, expected, _ = single
    store = new_store()
    killed = []

    def kill_one_worker(client) -> None:
        pids = client.run(os.getpid)
        address, pid = sorted(pids.items())[0]
        os.kill(pid, signal.SIGKILL)
        killed.append(address)

    options = BackfillOptions(local=2, items_per_task=20, on_started=kill_one_worker)
    report = backfill(targets, store, settings, options)
    assert killed and report.units >= 8
    assert_same(expected, snapshot(store))
    with store.read() as session:
        rows = session.scalar(select(func.count()).select_from(Page))
    again = backfill(targets, store, settings, BackfillOptions(local=1, items_per_task=40))
    assert set(again.counts.statuses) == {"known"}
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Page)) == rows
    assert_same(expected, snapshot(store))


def test_options_are_checked(store, settings):
    from dateline.errors import ConfigError

    with pytest.raises(ConfigError, match="one of --local N or --scheduler"):
        backfill([], store, settings, BackfillOptions())
    with pytest.raises(ConfigError, match="at least one worker"):
        backfill([], store, settings, BackfillOptions(local=0))


def test_a_big_jsonl_file_is_cut_into_even_tasks(settings, tmp_path: Path):
    """Runs of lines, numbered from their first line; the file's final newline makes no
    empty task after the last run."""
    from dateline.backfill.units import Unit, plan

    lines = [json.dumps({"title": f"T{i}", "body": f"Body {i}."}) for i in range(120)]
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    units = [u for u in plan([str(path)], settings, items_per_task=50) if isinstance(u, Unit)]
    assert [u.first_line for u in units] == [1, 51, 101]
    assert [u.data.count(b"\n") + 1 for u in units] == [50, 50, 20]


def test_an_archive_path_that_is_not_there_is_reported(store, settings, tmp_path: Path):
    report = backfill([str(tmp_path / "missing.jsonl")], store, settings, BackfillOptions(local=1))
    assert report.units == 0 and "no such file" in report.failures[0][2]


def test_the_command_line(archive, database_url, tmp_path):
    from test_cli import run

    env = {
        "DATELINE_DATABASE_URL": database_url,
        "DATELINE_DATA_DIR": str(tmp_path / "data"),
        "DATELINE_ENRICH_ON_INGEST": "false",
    }
    done = run("backfill", archive[1], "--local", "1", env=env)
    assert done.returncode == 0, done.stderr
    assert "tasks on 1 workers" in done.stdout and "20 new" in done.stdout
    missing = run("backfill", str(tmp_path / "nope.jsonl"), "--local", "1", env=env)
    assert missing.returncode == 1 and "no such file" in missing.stdout
    neither = run("backfill", archive[1], env=env)
    assert neither.returncode == 1 and "--local N or --scheduler" in neither.stderr
