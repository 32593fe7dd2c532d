"""The newsroom walkthrough (``scripts/newsroom_walkthrough.py``) end to end on SQLite:
the real ``dateline`` command and server over a newsroom's own pages and feed served on
127.0.0.1 (PostgreSQL runs it by hand; every step has its own test on both engines)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_newsroom_walkthrough_passes_on_sqlite():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "newsroom_walkthrough.py"), "--sqlite"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "all checks passed" in done.stdout
    assert "  FAIL " not in done.stdout
