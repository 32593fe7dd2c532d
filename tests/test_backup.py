"""``dateline db backup`` / ``restore`` on both engines, taken while writes go on.

A writer commits numbered rows one transaction at a time; a backup taken in the middle,
restored into another database, must hold exactly the first k of them for some k: a
consistent prefix, never a torn mix. Restores refuse what is not a Dateline backup, and
the command line does both.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import cli_env
from dateline.store.backup import BackupError, backup, restore
from dateline.store.models import Source
from dateline.store.schema import schema_status
from test_cli import run


class Writer(threading.Thread):
    """Commits ``writer 00000``, ``writer 00001``, … one source per transaction."""

    def __init__(self, store) -> None:
        super().__init__(daemon=True)
        self.store = store
        self.written = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            with self.store.write() as session:
                name = f"writer {self.written:05d}"
                session.add(Source(key=f"name:{name}", name=name, created_at=datetime(2026, 1, 1)))
            self.written += 1

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 60
        while self.written < count:
            assert time.monotonic() < deadline, "the writer is stuck"
            time.sleep(0.01)


def names(store) -> list[str]:
    with store.read() as session:
        return sorted(session.scalars(select(Source.name).where(Source.name.like("writer %"))))


def test_a_backup_taken_during_writes_restores_a_consistent_prefix(store, new_store, tmp_path):
    writer = Writer(store)
    writer.start()
    try:
        writer.wait_for(50)
        before = writer.written
        done = backup(store, tmp_path / "during.backup")
        after = writer.written
        writer.wait_for(after + 20)  # writes went on during and after the backup
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert done.path.is_file() and done.bytes > 0 and done.revision is not None
    assert not list(tmp_path.glob(".during.backup.*"))  # no partial file left behind
    target = new_store()
    restored = restore(target, done.path)
    got = names(target)
    assert before <= len(got) <= after + 1, (before, len(got), after)
    assert got == [f"writer {i:05d}" for i in range(len(got))]  # a prefix, no gaps
    assert restored.revision == done.revision and schema_status(target).up_to_date
    with target.write() as session:  # the restored store takes writes
        session.add(Source(key="name:after", name="after", created_at=datetime(2026, 1, 1)))
    assert len(names(store)) == writer.written  # the source went on untouched


def test_restore_refuses_what_is_not_a_dateline_backup(store, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all\n" * 100)
    with pytest.raises(BackupError, match="not a"):
        restore(store, junk)
    with pytest.raises(BackupError, match="no such backup"):
        restore(store, tmp_path / "missing.backup")
    with store.write() as session:
        session.add(Source(key="name:kept", name="kept", created_at=datetime(2026, 1, 1)))
    with store.read() as session:  # nothing was touched
        assert session.scalar(select(Source.name).where(Source.key == "name:kept")) == "kept"


def test_restore_refuses_another_programs_sqlite_database(tmp_path, settings):
    import sqlite3

    from dateline.store.db import Store
    from dateline.store.schema import upgrade

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    store = Store(f"sqlite:///{tmp_path / 'dateline.db'}")
    try:
        upgrade(store)
        with pytest.raises(BackupError, match="not a Dateline one"):
            restore(store, other)
    finally:
        store.dispose()


def test_the_command_line_backs_up_and_restores(database_url, tmp_path: Path, seeds_dir):
    env = cli_env(database_url, tmp_path)
    assert run("ingest", str(seeds_dir), env=env).returncode == 0
    path = tmp_path / "site.backup"
    made = run("db", "backup", str(path), env=env)
    assert made.returncode == 0, made.stderr
    assert "backed up" in made.stdout and path.is_file()
    refused = run("db", "restore", str(path), env=env, input_text="n\n")
    assert refused.returncode == 1 and "Replace everything" in refused.stdout
    # a write after the backup is undone by the restore: the item is new once more
    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        '{"title": "After the backup", "body": "Written after the backup was taken."}\n',
        encoding="utf-8",
    )
    assert "ingested      │ 1" in run("ingest", str(extra), env=env).stdout
    again = run("db", "restore", str(path), "--yes", env=env)
    assert again.returncode == 0, again.stderr
    assert "restored" in again.stdout
    assert "ingested      │ 1" in run("ingest", str(extra), env=env).stdout
    missing = run("db", "restore", str(tmp_path / "nope"), "--yes", env=env)
    assert missing.returncode == 1 and "no such backup file" in missing.stderr
