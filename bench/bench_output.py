"""What every benchmark does last: write its JSON, then apply its ``--gate`` floors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def finish(result: Any, path: Path, failures: list[str] | None = None) -> int:
    """Write ``result`` to ``path``; print each gate failure; the process exit code.

    ``failures`` is None when the gate was not asked for.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return gate_exit(failures)


def gate_exit(failures: list[str] | None) -> int:
    """Print each gate failure; 1 when there is one, else 0 (also when not gated: None)."""
    for failure in failures or []:
        print(f"GATE FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0
