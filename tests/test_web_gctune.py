"""The serving worker's collector settings (web/gctune.py)."""

from __future__ import annotations

import gc

from dateline.web import gctune


def test_start_freezes_settle_refreezes_and_the_last_stop_unfreezes():
    was_active = gctune.active()  # a live site of another test may hold it
    if not was_active:
        gctune.settle()  # nothing to do when not started
        assert gc.get_freeze_count() == 0
    gctune.start()
    try:
        assert gctune.active() and gc.get_freeze_count() > 0
        later = [[object()] for _ in range(10)]  # tracked, alive, not frozen yet
        frozen = gc.get_freeze_count()
        gctune.settle()
        assert gc.get_freeze_count() >= frozen + len(later)
        gctune.start()  # a second app in the same process
        gctune.stop()
        assert gctune.active() and gc.get_freeze_count() > 0
    finally:
        gctune.stop()
    assert gctune.active() == was_active
    if not was_active:
        assert gc.get_freeze_count() == 0
        gctune.stop()  # an extra stop is harmless
        assert not gctune.active()


def test_per_view_state_stays_out_of_the_collectors_scans(tmp_path):
    # What a worker keeps per view (seen views, queued events) must not be a tracked
    # object each: a large backlog would slow every full collection, a pause per request.
    from datetime import datetime

    from dateline.readers import EventBuffer, reader_key
    from dateline.store.db import Store
    from dateline.web.site import SeenViews

    at = datetime(2024, 5, 6, 10, 5)
    seen = SeenViews()
    assert all(seen.first(i, "r:someone", at) for i in range(1000))
    assert not seen.first(5, "r:someone", at)
    assert not gc.is_tracked(seen._seen)
    buf = EventBuffer(Store(f"sqlite:///{tmp_path / 'unused.db'}"), flush_seconds=60)
    buf.record_view(1, reader_key("r1"), "r1", at)
    buf.record_impressions(reader_key("r1"), "r1", "related", [(1, 2), (2, 3)], at)
    gc.collect()
    assert buf.pending == 3
    assert not any(gc.is_tracked(ev) for ev in buf._pending.events)


def test_what_survives_a_full_collection_is_frozen_and_all_is_unfrozen_now_and_then(
    monkeypatch,
):
    was_active = gctune.active()
    gctune.start()
    try:
        later = [[object()] for _ in range(1000)]  # long-lived, made after the start
        frozen = gc.get_freeze_count()
        gc.collect()  # a full collection: its survivors join the frozen
        assert gc.get_freeze_count() >= frozen + len(later)
        # what the callback does, seen through the collector's own calls (other live
        # sites of the test session may freeze from their threads at any moment)
        calls: list[str] = []
        monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
        monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))
        gctune._after_collection("stop", {"generation": 1})
        gctune._after_collection("start", {"generation": 2})
        assert calls == [], "only after a full collection"
        gctune._after_collection("stop", {"generation": 2})
        assert calls == ["freeze"]
        monkeypatch.setattr(gctune, "UNFREEZE_SECONDS", 0.0)
        gctune._after_collection("stop", {"generation": 2})  # due: all back, for one scan
        assert calls == ["freeze", "unfreeze"]
        monkeypatch.setattr(gctune, "UNFREEZE_SECONDS", 900.0)
        gctune._after_collection("stop", {"generation": 2})
        assert calls == ["freeze", "unfreeze", "freeze"], "then freezing again"
    finally:
        monkeypatch.undo()
        gctune.stop()
    assert gctune.active() == was_active
