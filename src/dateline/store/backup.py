"""Backups and restores, online, with each engine's own tools.

- **SQLite**: the online backup API (``sqlite3.Connection.backup``) copies the database in
  one step, under one read transaction, so the copy is a consistent snapshot while
  writers go on (WAL: they are not blocked). It is written beside its destination and
  renamed into place, so a crash never leaves a half-written backup under its name.
- **PostgreSQL**: ``pg_dump -Fc`` (one repeatable-read snapshot, custom format) and
  ``pg_restore --clean --if-exists --single-transaction`` (all or nothing). A ``pg_dump``
  older than the server cannot read it, so the newest one installed is used and an older
  one is refused with the versions named.

A restore replaces the whole database. Both engines check what they are given first: a
file that is not a Dateline database (or dump) is refused before anything is touched.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from dateline.errors import ConfigError, InputError
from dateline.store.db import Store

# a pg_dump or pg_restore of a large store takes a while; past this it is hung
PG_TOOL_TIMEOUT = 6 * 3600
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")


class BackupError(InputError):
    """A backup or a restore that cannot be done; the message says why."""

    code = "backup_failed"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    engine: str
    revision: str | None


def backup(store: Store, destination: Path) -> BackupResult:
    """Write a consistent copy of ``store`` to ``destination`` (replaced if there)."""
    destination = destination.expanduser()
    if destination.is_dir():
        raise BackupError(f"{destination} is a folder: name the backup file")
    destination.parent.mkdir(parents=True, exist_ok=True)
    revision = _revision(store)
    handle, name = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent
    )
    os.close(handle)
    partial = Path(name)
    try:
        if store.dialect == "sqlite":
            _sqlite_backup(_sqlite_path(store), partial)
        else:
            _pg(store, "pg_dump", ["--format=custom", "--no-owner", f"--file={partial}"])
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(destination, destination.stat().st_size, store.dialect, revision)


def restore(store: Store, source: Path) -> BackupResult:
    """Replace ``store``'s contents with the backup at ``source`` (all or nothing)."""
    source = source.expanduser()
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    if store.dialect == "sqlite":
        _sqlite_restore(source, _sqlite_path(store))
    else:
        _check_dump(store, source)
        _pg(
            store,
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"],
            source,
        )
    return BackupResult(source, source.stat().st_size, store.dialect, _revision(store))


def _revision(store: Store) -> str | None:
    with store.engine.connect() as conn:
        try:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:  # an empty database has no alembic_version yet
            return None
        return str(revision) if revision is not None else None


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_path(store: Store) -> Path:
    database = make_url(store.url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing on disk to back up")
    return Path(database).expanduser()


def _sqlite_backup(source: Path, destination: Path) -> None:
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(destination)
    try:
        src.backup(dst)  # pages=-1: one step, one read transaction, a consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()


def _sqlite_restore(source: Path, destination: Path) -> None:
    _check_sqlite_backup(source)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(destination, timeout=30)
    try:
        # the backup API replaces the destination's pages in one write transaction: readers
        # see the old database or the new one, never a mix
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _check_sqlite_backup(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = conn.execute("PRAGMA quick_check").fetchone()
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc})") from exc
    if not ok or ok[0] != "ok":
        raise BackupError(f"{path} is damaged (quick_check: {ok[0] if ok else 'no answer'})")
    if not {"alembic_version", "articles", "pages"} <= tables:
        raise BackupError(f"{path} is a SQLite database, but not a Dateline one")


# --- PostgreSQL --------------------------------------------------------------------------------


def _pg(store: Store, tool: str, args: list[str], source: Path | None = None) -> None:
    """Run ``tool`` of a version the server accepts against the store's database."""
    url = make_url(store.url)
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where ps shows it
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    command = [_pg_tool(store, tool), *args, f"--dbname={conninfo}"]
    if source is not None:
        command.append(str(source))
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=PG_TOOL_TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        raise BackupError(f"{tool} did not finish in {PG_TOOL_TIMEOUT} s") from exc
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[-800:]}")


def _pg_tool(store: Store, tool: str) -> str:
    """The newest ``tool`` installed, refused when older than the server's major version."""
    with store.engine.connect() as conn:
        server = int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    candidates = [
        str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"), reverse=True)
    ]
    on_path = shutil.which(tool)
    if on_path:
        candidates.append(on_path)
    best: tuple[int, str] | None = None
    for candidate in candidates:
        found = _VERSION.search(
            subprocess.run([candidate, "--version"], capture_output=True, text=True).stdout
        )
        if found and (best is None or int(found.group(1)) > best[0]):
            best = (int(found.group(1)), candidate)
    if best is None:
        raise ConfigError(
            f"{tool} not found: install PostgreSQL's client tools "
            "(Debian: apt-get install postgresql-client)"
        )
    if best[0] < server:
        raise ConfigError(
            f"{tool} {best[0]} is older than the server (PostgreSQL {server}): install "
            f"postgresql-client-{server} or newer"
        )
    return best[1]


def _check_dump(store: Store, path: Path) -> None:
    listing = subprocess.run(
        [_pg_tool(store, "pg_restore"), "--list", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if listing.returncode != 0:
        raise BackupError(f"{path} is not a pg_dump archive ({listing.stderr.strip()[-300:]})")
    if " alembic_version " not in listing.stdout or " articles " not in listing.stdout:
        raise BackupError(f"{path} is a pg_dump archive, but not of a Dateline database")
