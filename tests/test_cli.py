"""The real `dateline` console script, run as a user would, on both engines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dateline.extract.model import RECORD_FIELDS
from dateline.store.db import Store
from dateline.store.schema import upgrade

DATELINE = shutil.which("dateline", path=str(Path(sys.executable).parent)) or "dateline"


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    full_env.update({"COLUMNS": "120", "NO_COLOR": "1"}, **(env or {}))
    return subprocess.run(
        [DATELINE, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=300
    )


@pytest.fixture
def env(database_url, tmp_path):
    # Enrichment (NER, embeddings) is tested where it matters; these runs stay quick.
    return {
        "DATELINE_DATABASE_URL": database_url,
        "DATELINE_DATA_DIR": str(tmp_path / "data"),
        "DATELINE_ENRICH_ON_INGEST": "false",
    }


def test_ingest_summary_and_idempotence(env, seeds_dir):
    first = run("ingest", str(seeds_dir), env=env)
    assert first.returncode == 0, first.stderr
    assert (
        "ingested │ 2" in first.stdout.replace("  ", " ").replace("  ", " ")
        or _row(first.stdout, "ingested") == "2"
    )
    again = run("ingest", str(seeds_dir / "*.txt"), env=env)
    assert again.returncode == 0
    assert _row(again.stdout, "already known") == "2" and _row(again.stdout, "ingested") == "0"


def _row(table: str, label: str) -> str:
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("│┃| ").split("│")]
        if len(cells) == 2 and cells[0] == label:
            return cells[1]
    raise AssertionError(f"no row {label!r} in:\n{table}")


def test_failures_are_listed_and_exit_non_zero(env, seed_000, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    result = run("ingest", str(seed_000), str(empty), str(tmp_path / "nope.html"), env=env)
    assert result.returncode == 1
    assert _row(result.stdout, "ingested") == "1" and _row(result.stdout, "failed") == "2"
    assert "empty.jsonl" in result.stdout and "empty" in result.stdout
    assert "nope.html" in result.stdout


def test_extract_prints_one_json_object_per_item(seed_000, seed_004, tmp_path):
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"\x00\x01\x02" * 100)
    result = run("extract", str(seed_000), str(seed_004), str(broken))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["path"] for r in records] == [str(seed_000), str(seed_004), str(broken)]
    first = records[0]
    assert set(first) == {"path", *RECORD_FIELDS, "error"}
    assert first["site_name"] == "Aspire Money Growth" and first["category"] == "Markets"
    assert first["published"] == "2025-04-26T04:00:14"
    assert (first["dateline"], first["agency"], first["language"]) == ("MOSCOW", "AP", "en")
    assert first["error"] is None and first["body"].startswith("MOSCOW (AP) —")
    assert records[2]["error"].startswith("unsupported") and records[2]["title"] is None
    assert run("extract", "--strict", str(broken)).returncode == 1


def test_extract_text_format_and_gz(seed_004, tmp_path):
    import gzip

    packed = tmp_path / "page.txt.gz"
    packed.write_bytes(gzip.compress(seed_004.read_bytes()))
    result = run("extract", "--format", "text", str(packed))
    assert result.returncode == 0
    assert result.stdout.startswith("Russian foreign minister dismisses US claims")
    assert "veryGood" not in result.stdout


def test_config_dump_masks_secrets_and_bad_values_name_the_key(tmp_path):
    url = "postgresql://news:hunter2@db.internal/dateline"
    dump = run("config", "--dump", env={"DATELINE_DATABASE_URL": url}, cwd=tmp_path)
    assert dump.returncode == 0 and "hunter2" not in dump.stdout and "***" in dump.stdout
    bad = run("ingest", "x.txt", env={"DATELINE_MAX_INPUT_BYTES": "huge"}, cwd=tmp_path)
    assert bad.returncode == 2 and "DATELINE_MAX_INPUT_BYTES" in bad.stderr


def test_stale_schema_is_refused_until_upgraded(env, seed_000, database_url):
    store = Store(database_url)
    upgrade(store, "0001")  # a database left behind by an older Dateline
    store.dispose()
    refused = run("ingest", str(seed_000), env=env)
    assert refused.returncode == 1 and "dateline db upgrade" in refused.stderr
    assert run("db", "status", env=env).returncode == 1
    migrated = run("ingest", str(seed_000), env={**env, "DATELINE_AUTO_MIGRATE": "true"})
    assert migrated.returncode == 0, migrated.stderr
    assert run("db", "status", env=env).returncode == 0
    assert run("db", "upgrade", env=env).returncode == 0


def test_demo_loads_the_bundled_corpus(env):
    """320 Wikinews articles plus 41 synthetic content-farm copies, enriched, with readers."""
    result = run("demo", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _row(result.stdout, "ingested") == "361"
    assert _row(result.stdout, "articles") == "320"  # the farm copies attach to originals
    assert int(_row(result.stdout, "in stories")) > 250
    assert "Wikinews" in result.stdout and "CC BY 2.5" in result.stdout
    assert "simulated 300 readers" in result.stdout
    again = run("demo", env=env)
    assert _row(again.stdout, "already known") == "361"
    assert "not simulated again" in again.stdout


def test_serve_get_prints_a_page_and_fails_on_non_2xx(env, seed_000):
    assert run("ingest", str(seed_000), env=env).returncode == 0
    home = run("serve", "--get", "/", env=env)
    assert home.returncode == 0, home.stderr
    assert "<h1" in home.stdout and "North Korea’s top diplomat" in home.stdout
    missing = run("serve", "--get", "/a/999999/nothing", env=env)
    assert missing.returncode == 1 and "404" in missing.stderr
    api = run("serve", "--get", "/api/v1/articles?limit=1", env=env)
    assert api.returncode == 0 and json.loads(api.stdout)["items"][0]["title"]


def test_events_prune_and_export(env):
    assert run("demo", "--no-enrich", env=env).returncode == 0
    exported = run("events", "export", env=env)
    assert exported.returncode == 0
    lines = exported.stdout.splitlines()
    assert lines and all(len(line.split("\t")) == 5 for line in lines)
    pruned = run("events", "prune", env={**env, "DATELINE_EVENT_RETENTION_DAYS": "1"})
    assert pruned.returncode == 0 and "deleted" in pruned.stdout
