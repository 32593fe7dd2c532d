"""The page caches (web/cache.py): single-flight builds, background refresh, invalidation."""

from __future__ import annotations

import threading
import time

from dateline.web.cache import Refresher, TTLCache


def _crowd(n: int, fn) -> list:
    barrier = threading.Barrier(n)
    out: list = []

    def run() -> None:
        barrier.wait()
        out.append(fn())

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_concurrent_misses_build_once():
    cache: TTLCache[str] = TTLCache(5.0)
    calls = []

    def build() -> str:
        calls.append(1)
        time.sleep(0.1)  # long enough for every caller to arrive during the build
        return "page"

    assert _crowd(16, lambda: cache.get_or_build("k", build)) == ["page"] * 16
    assert len(calls) == 1 and cache.builds == 1


def test_a_failed_build_fails_every_waiter_and_is_not_cached():
    cache: TTLCache[str] = TTLCache(5.0)

    def build() -> str:
        time.sleep(0.05)
        raise RuntimeError("db down")

    def call() -> str:
        try:
            return cache.get_or_build("k", build)
        except RuntimeError as exc:
            return str(exc)

    assert _crowd(8, call) == ["db down"] * 8
    assert cache.get("k") is None
    assert cache.get_or_build("k", lambda: "ok") == "ok"


def test_a_stale_entry_is_served_while_one_background_rebuild_runs():
    refresher = Refresher()
    cache: TTLCache[str] = TTLCache(0.4, refresher=refresher)  # rebuilt from 0.3 s
    cache.put("k", "old")
    time.sleep(0.32)
    started = threading.Event()
    release = threading.Event()
    rebuilds = []

    def rebuild() -> str:
        rebuilds.append(1)
        started.set()
        release.wait(5)
        return "new"

    # Every request during the rebuild gets the previous value at once; one rebuild runs.
    assert _crowd(16, lambda: cache.peek("k", rebuild)) == ["old"] * 16
    assert started.wait(5)
    assert cache.peek("k", rebuild) == "old"
    release.set()
    assert refresher.drain()
    assert rebuilds == [1] and cache.get("k") == "new"


def test_nothing_older_than_ttl_is_served():
    refresher = Refresher()
    cache: TTLCache[str] = TTLCache(0.1, refresher=refresher)
    cache.put("k", "v")
    time.sleep(0.12)
    assert cache.peek("k", lambda: "w") is None


def test_a_rebuild_begun_before_an_invalidation_cannot_put_its_value_back():
    cache: TTLCache[str] = TTLCache(5.0)
    since = cache.generation()
    cache.invalidate("k")  # a reaction lands while a rebuild is reading old data
    assert not cache.put("k", "old", since=since)
    assert cache.get("k") is None
    assert cache.put("other", "fine", since=since), "other keys are not affected"
    since = cache.generation()
    cache.clear()
    assert not cache.put("other", "old", since=since)
    assert cache.put("k", "new", since=cache.generation())
    assert cache.get("k") == "new"


def test_the_refresher_deduplicates_pending_jobs():
    refresher = Refresher()
    gate = threading.Event()
    ran = []
    assert refresher.schedule("a", lambda: gate.wait(5))
    assert refresher.schedule("b", lambda: ran.append("b"))
    assert not refresher.schedule("b", lambda: ran.append("b2"))
    gate.set()
    assert refresher.drain()
    assert ran == ["b"]


def test_a_superseded_value_serves_until_a_newer_build_replaces_it():
    cache: TTLCache[str] = TTLCache(5.0)
    cache.put("k", "before the view")
    since = cache.generation()  # a rebuild that read the history before the view
    cache.supersede("k")
    assert cache.get("k") == "before the view"  # still served: nothing waits
    assert cache.superseded("k")
    assert cache.put("k", "also before", since=since)  # newer than what serves: it serves
    assert cache.get("k") == "also before" and cache.superseded("k"), "still wanted anew"
    assert not cache.put("k", "older", since=since, born=0.0), "never an older value"
    assert cache.get_or_build("k", lambda: "unused") == "also before"
    assert cache.get_or_build("k", lambda: "after the view", force=True) == "after the view"
    assert cache.get("k") == "after the view" and not cache.superseded("k")
    cache.supersede("missing")  # nothing to serve: nothing is marked
    assert not cache.superseded("missing")


def test_a_job_asked_again_while_it_runs_runs_once_more():
    refresher = Refresher()
    started, gate = threading.Event(), threading.Event()
    ran = []

    def job() -> None:
        started.set()
        gate.wait(5)
        ran.append("job")

    assert refresher.schedule("r", job)
    assert started.wait(5)
    assert not refresher.schedule("r", job), "without again: the running job is enough"
    assert refresher.schedule("r", job, again=True)  # it may have read its data too early
    assert not refresher.schedule("r", job, again=True), "once queued, not twice"
    gate.set()
    assert refresher.drain()
    assert ran == ["job", "job"]


def test_low_jobs_yield_to_others_and_keep_to_their_share_of_time():
    refresher = Refresher(low_share=0.5)
    gate = threading.Event()
    ran: list[tuple[str, float]] = []

    def note(name: str, seconds: float = 0.0):
        def job() -> None:
            time.sleep(seconds)
            ran.append((name, time.monotonic()))

        return job

    refresher.schedule("hold", lambda: gate.wait(5))  # the queue fills behind it
    refresher.schedule("low1", note("low1", 0.2), low=True)
    refresher.schedule("low2", note("low2"), low=True)
    refresher.schedule("counts", note("counts"))
    gate.set()
    refresher.schedule("pages", lambda: None)
    assert refresher.drain()
    names = [n for n, _ in ran]
    assert names.index("counts") < names.index("low1") < names.index("low2")
    at = dict(ran)
    # low1 ran 0.2 s; at a share of 0.5, low2 waits as long again
    assert at["low2"] - at["low1"] >= 0.19


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_watched_entries_are_refreshed_ahead_while_they_are_read(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("dateline.web.cache.time.monotonic", clock)
    cache: TTLCache[str] = TTLCache(4.0)  # due from 3 s, kept watched 8 s after a read
    cache.put("k", "v1")
    cache.put("cold", "v1")
    assert cache.read("k", watch=True) == ("v1", False)
    assert cache.read("cold") == ("v1", False)  # read, but not watched
    assert cache.take_due() == [] and not cache.any_due()
    clock.now += 3.0
    assert cache.any_due()
    assert cache.take_due() == ["k"], "due without a read in the refresh window"
    assert cache.take_due() == []
    cache.put("k", "v2")  # the refresh: read 3 s ago, so it stays watched
    clock.now += 3.0
    assert cache.take_due() == ["k"]
    clock.now += 3.0
    cache.put("k", "v3")  # last read 9 s ago: no longer watched
    clock.now += 3.0
    assert cache.take_due() == [] and not cache.any_due()
    assert cache.read("k", watch=True) == ("v3", True)  # read again: watched again
    assert cache.take_due() == ["k"]
    clock.now += 1.0
    assert cache.get("cold") is None


def test_take_due_skips_what_was_invalidated_rebuilt_or_evicted(monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr("dateline.web.cache.time.monotonic", clock)
    cache: TTLCache[str] = TTLCache(4.0, max_entries=2)  # due from 3 s
    for key in ("a", "b"):
        cache.put(key, "v")
        cache.read(key, watch=True)
    cache.put("c", "v")  # evicts "a", the least recently used
    cache.read("c", watch=True)
    cache.invalidate("b")
    clock.now += 3.0
    assert cache.take_due() == ["c"]
    cache.put("c", "w")  # rebuilt and read again: due again only 3 s after this put
    cache.read("c", watch=True)
    assert cache.take_due() == []
    clock.now += 2.0
    assert cache.take_due() == []
    clock.now += 1.0
    assert cache.take_due() == ["c"]
    cache.clear()
    clock.now += 3.0
    assert cache.take_due() == [] and not cache.any_due()


def test_a_caller_never_gets_a_build_that_started_before_an_invalidation():
    """A reader's state being rebuilt in the background when they react: the next page
    must not be handed that stale build (it read the database before the reaction)."""

    cache: TTLCache[str] = TTLCache(60.0)
    release, started = threading.Event(), threading.Event()
    builds: list[str] = []

    def build() -> str:
        value = f"build {len(builds) + 1}"
        builds.append(value)
        if len(builds) == 1:  # the background build, read before the change
            started.set()
            release.wait(5)
        return value

    first = threading.Thread(target=lambda: cache.get_or_build("reader", build))
    first.start()
    assert started.wait(5)
    cache.invalidate("reader")  # the reaction is written, then the key dropped
    got: list[str] = []
    follower = threading.Thread(target=lambda: got.append(cache.get_or_build("reader", build)))
    follower.start()
    time.sleep(0.2)  # the follower is waiting on the first build's flight
    release.set()
    first.join(5)
    follower.join(5)
    assert got == ["build 2"]
    assert cache.get("reader") == "build 2"
