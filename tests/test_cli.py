"""The real `dateline` console script, run as a user would, on both engines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from conftest import cli_env
from dateline.extract.model import RECORD_FIELDS
from dateline.store.db import Store
from dateline.store.schema import upgrade

DATELINE = shutil.which("dateline", path=str(Path(sys.executable).parent)) or "dateline"


def run(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    input_text: str | None = None,
):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    full_env.update({"COLUMNS": "120", "NO_COLOR": "1"}, **(env or {}))
    return subprocess.run(
        [DATELINE, *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=300,
        input=input_text,
    )


@pytest.fixture
def env(database_url, tmp_path):
    return cli_env(database_url, tmp_path)


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


def test_ingest_refuses_loopback_and_link_local_urls_unless_allow_listed(env):
    """The SSRF guard on the command line: refused before any connection (nothing listens on
    these addresses; were the guard gone, the errors would name a failed connection)."""
    urls = ["http://127.0.0.1:9/feed.xml", "http://169.254.169.254/latest/meta-data/"]
    result = run("ingest", *urls, env=env)
    assert result.returncode == 1
    assert _row(result.stdout, "failed") == "2"
    flat = " ".join(result.stdout.split())
    assert "127.0.0.1 is a loopback address: refused" in flat
    assert "169.254.169.254 is a link-local address: refused" in flat
    allowed = run("ingest", urls[0], env={**env, "DATELINE_FETCH_ALLOW_NETWORKS": "127.0.0.0/8"})
    flat = " ".join(allowed.stdout.split())  # allowed: it connects, and nothing listens
    assert allowed.returncode == 1 and "ConnectError" in flat and "loopback" not in flat


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


# --- what each command tells the person running it ---------------------------------------


def _lines_starting(text: str, label: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(label + " ")]


def test_ingest_lists_each_item_unless_quiet(env, seed_000, tmp_path):
    first = run("ingest", str(seed_000), env=env)
    assert first.returncode == 0, first.stderr
    [line] = _lines_starting(first.stdout, "ingested")
    assert "North Korea’s top diplomat" in line
    again = run("ingest", str(seed_000), env=env)
    assert again.returncode == 0, again.stderr
    [known] = _lines_starting(again.stdout, "already known")
    assert "North Korea’s top diplomat" in known
    assert _row(again.stdout, "already known") == "1"
    quiet = run("ingest", "--quiet", str(seed_000), str(tmp_path / "nope.html"), env=env)
    assert quiet.returncode == 1
    assert not _lines_starting(quiet.stdout, "already known")
    assert len(_lines_starting(quiet.stdout, "failed")) == 1  # failures are always listed
    assert _row(quiet.stdout, "already known") == "1"


def test_error_lines_name_their_target_once(env, tmp_path):
    missing = tmp_path / "nope.html"
    big = tmp_path / "big.txt"
    big.write_text("word " * 1000)
    result = run("ingest", str(missing), str(big), env={**env, "DATELINE_MAX_INPUT_BYTES": "1000"})
    assert result.returncode == 1
    failed = _lines_starting(result.stdout, "failed")
    assert len(failed) == 2, result.stdout
    for line, path in zip(failed, (missing, big), strict=True):
        assert line.count(str(path)) == 1, line
    extracted = run("extract", "--format", "text", str(missing))
    assert extracted.stderr.count(str(missing)) == 1, extracted.stderr


def test_events_export_to_a_missing_folder_and_the_sampling_note(env, tmp_path):
    target = tmp_path / "no-such-folder" / "behaviors.tsv"
    result = run("events", "export", str(target), env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "does not exist" in result.stderr and str(target.parent) in result.stderr
    to_stdout = run("events", "export", env=env)
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert to_stdout.stdout == ""  # the note stays off the TSV
    note = " ".join(to_stdout.stderr.split())
    assert "DATELINE_IMPRESSION_SAMPLE_RATE=0.05" in note and "5% of viewers" in note
    assert "0 viewers in the export" in note
    (tmp_path / "out").mkdir()
    written = run("events", "export", str(tmp_path / "out" / "behaviors.tsv"), env=env)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "out" / "news.tsv").read_text() == "", "news.tsv beside it"
    assert "0 articles to" in " ".join(written.stdout.split())
    clash = run("events", "export", str(tmp_path / "out" / "news.tsv"), env=env)
    assert clash.returncode == 1 and "name it behaviors.tsv" in clash.stderr


def test_db_status_on_a_new_database_says_it_will_be_created(env):
    result = run("db", "status", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "created on first use" in " ".join(result.stdout.split())


def test_commands_name_the_database_they_use(env, seed_000, tmp_path):
    for args in (("ingest", str(seed_000)), ("events", "prune"), ("db", "upgrade")):
        result = run(*args, env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        said = [line for line in result.stderr.splitlines() if line.startswith("database: ")]
        assert len(said) == 1, result.stderr
        url = make_url(env["DATELINE_DATABASE_URL"])
        assert str(url.database) in said[0]
        if url.password:
            assert url.password not in said[0] and ":***@" in said[0]


def test_default_sqlite_names_the_data_folder(tmp_path, seed_000):
    result = run(
        "ingest", "--quiet", str(seed_000), env={"DATELINE_ENRICH_ON_INGEST": "false"}, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    joined = "".join(result.stderr.split())  # a long path may wrap
    assert f"datafolder{(tmp_path / 'data').resolve()}" in joined


@pytest.mark.parametrize(
    "command",
    [
        ("ingest",),
        ("extract",),
        ("demo",),
        ("serve",),
        ("enrich",),
        ("config",),
        ("events", "export"),
        ("stories", "rebuild"),
        ("train", "categories"),
    ],
)
def test_help_has_no_type_artefacts(command):
    result = run(*command, "--help")
    assert result.returncode == 0, result.stderr
    usage = next(line for line in result.stdout.splitlines() if "Usage:" in line)
    assert "{" not in usage and "}" not in usage, usage
    for artefact in ("<bool>", "<list[", "<str>", "<int>", "<path>"):
        assert artefact not in result.stdout, result.stdout
    if command[0] in ("ingest", "extract"):
        assert usage.rstrip().endswith("[OPTIONS] TARGET...")


def test_serve_on_a_taken_port_fails_before_saying_serving(env):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port), env=env)
    assert result.returncode == 1
    assert "Serving" not in result.stdout
    stderr = " ".join(result.stderr.split())
    assert f"cannot listen on 127.0.0.1:{port}" in stderr and "Traceback" not in stderr
    # The default base URL names port 8000: links would point at the wrong place.
    assert "DATELINE_BASE_URL" in stderr and f"http://127.0.0.1:{port}" in stderr


def test_serve_says_serving_once_the_port_answers(env):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")}
    full_env.update(
        {"COLUMNS": "200", "NO_COLOR": "1", "DATELINE_BASE_URL": f"http://127.0.0.1:{port}"},
        **env,
    )
    with subprocess.Popen(
        [DATELINE, "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
    ) as server:
        try:
            assert server.stdout is not None
            line = server.stdout.readline()
            assert line.startswith("Serving") and f"http://127.0.0.1:{port}" in line, line
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                pass  # accepted at once: it was listening before it said so
        finally:
            server.terminate()
            _, stderr = server.communicate(timeout=30)
    assert "DATELINE_BASE_URL" not in stderr  # configured: no warning


def test_model_loading_progress_bars_stay_off_stderr(env, seed_000):
    result = run("ingest", str(seed_000), env={**env, "DATELINE_ENRICH_ON_INGEST": "true"})
    assert result.returncode == 0, result.stderr
    assert "enrich summary" in result.stdout
    assert "Loading weights" not in result.stderr and "%|" not in result.stderr, result.stderr


TRUNCATED_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Cut short</title>
<item><title>One</title><link>https://example.com/1</link><description>The first story, in full.</description></item>
<item><title>Two</title><link>https://example.com/2</link><description>The second story, in full.</description></item>
<item><title>Three</title><link>https://example.com/3</link><descr"""


def test_a_truncated_feed_says_where_the_xml_breaks(env, tmp_path):
    feed = tmp_path / "cut.xml"
    feed.write_text(TRUNCATED_FEED, encoding="utf-8")
    result = run("ingest", str(feed), env=env)
    assert result.returncode == 1
    assert _row(result.stdout, "ingested") == "2" and _row(result.stdout, "failed") == "1"
    [failed] = _lines_starting(result.stdout, "failed")
    assert "not well-formed XML at line 5" in failed and "2 entries recovered" in failed
    assert "has no text" not in failed


def test_sizes_are_printed_in_the_units_settings_read(env, tmp_path):
    """40.3 MB on disk (SI, as `ls -h --si` says) is reported as 40.3 MB, not 38.4."""
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(40_300_000)  # sparse: refused on its size before any read
    result = run("ingest", str(big), env={**env, "DATELINE_MAX_INPUT_BYTES": "20MB"})
    assert result.returncode == 1
    [failed] = _lines_starting(result.stdout, "failed")
    assert "40.3 MB > limit 20.0 MB" in failed, failed
