"""A killed ``dateline ingest`` loses nothing it acknowledged and leaves nothing half-written.

20 cycles per engine: ``dateline ingest`` over a corpus of 300 distinct items is SIGKILLed
at a random point (mostly while it stores items, sometimes during start-up), and the store
is checked after each kill (``crash_cycles.check_store``). A last run, not killed, then
finishes the corpus: every item is in the store exactly once. ``bench/crash_cycles.py``
runs the same for 1,000 cycles and more.
"""

from __future__ import annotations

import random

import pytest

from crash_cycles import CycleLog, check_store, run_cycle, write_corpus

CYCLES = 20


@pytest.mark.timeout(900)
def test_sigkilled_ingest_keeps_every_acknowledged_item_exactly_once(database_url, tmp_path):
    urls = write_corpus(tmp_path / "corpus")
    env = {
        "DATELINE_DATABASE_URL": database_url,
        "DATELINE_DATA_DIR": str(tmp_path / "data"),
        "DATELINE_ENRICH_ON_INGEST": "false",
        "DATELINE_AUTO_MIGRATE": "true",
    }
    rng = random.Random(18)
    log = CycleLog()
    for _ in range(CYCLES):
        run_cycle(tmp_path / "corpus", env, rng, log)
        check_store(database_url, log.acknowledged)
    assert log.kills >= CYCLES // 2, log  # the kills did land
    assert log.acknowledged, "no item was ever acknowledged before a kill"
    # one run to the end: the rest of the corpus, and nothing twice
    finished = CycleLog()
    run_cycle(tmp_path / "corpus", env, random.Random(0), finished, kill=False)
    counts = check_store(database_url, log.acknowledged | set(urls))
    assert counts["pages"] == len(urls) and counts["articles"] == len(urls)
    assert finished.acknowledged == set(urls)
