"""A throwaway PostgreSQL cluster from Debian's packages for the test session.

``initdb`` in a temporary folder, a Unix socket only (no TCP port to collide with), fsync off;
stopped and deleted at the end. As root, the server runs as the ``postgres`` user, since
``initdb`` refuses root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found. `make test` installs them; by hand: "
    "`apt-get update && apt-get install -y postgresql`. To run the SQLite half only, set "
    "DATELINE_TEST_ENGINES=sqlite (never done by `make test`)."
)


def find_bin_dir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True):
        return candidate.parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class PgCluster:
    root: Path
    bin_dir: Path
    user: str = "dateline"
    # tests trade durability for speed; a benchmark runs the server as deployed
    durable: bool = False

    @property
    def socket_dir(self) -> str:
        return str(self.root)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.socket_dir}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        data = self.root / "data"
        self._run(
            "initdb",
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            self.user,
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        self._run(
            "pg_ctl",
            "-D",
            str(data),
            "-l",
            str(self.root / "log"),
            "-w",
            "-o",
            f"-k {self.root} -c listen_addresses='' -c max_connections=200"
            + (
                ""
                if self.durable
                else " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
            ),
            "start",
        )

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(*, durable: bool = False) -> PgCluster:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise FileNotFoundError(INSTALL_HINT)
    # Not pytest's tmp_path: its base is 0700 root-owned, out of the postgres user's reach.
    root = Path(tempfile.mkdtemp(prefix="dateline-pg."))
    root.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    cluster = PgCluster(root=root, bin_dir=bin_dir, durable=durable)
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr}\n{log}") from exc
    return cluster
