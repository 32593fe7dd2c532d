"""Soak: the demo site under a steady mixed load for minutes. Errors, p99 per route, memory
growth and open files.

Usage: ``python bench/soak.py [--minutes 10] [--connections 16] [--workers 2] [--data DIR]
[--json OUT] [--gate]``

``dateline serve --workers N`` over the demo corpus (built into ``--data`` unless it holds
one; the site clock pinned to its newest article, as ``make demo`` does). ``--connections``
clients, each a reader with its own cookie on its own address (127.0.3.x, as distinct
machines would be), keep one request in flight each; the rate-limit budgets are raised by
configuration, since each client asks far faster than a person:

- pages: an article (35 %), the home page (10 %), a section (5 %), search (5 %);
- the API: an article (10 %), a list (10 %), search (5 %);
- reactions with the reader's CSRF token (10 %), reader controls: mute a category or
  pause, and undo (10 %).

Reported: requests and errors (any status but 2xx and 3xx; 429s apart, and expected 0 at
these rates), p50/p99 per route, the server's memory (all its processes) and open file
descriptors every 5 s. Named baseline, in the same run: the first sample after warm-up (a
fifth of the run), against which the last is compared. Targets (issue 18): 0 errors,
memory growth after warm-up < 10 %, no growth of open files.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from bench_output import finish
from demo_readers import ensure_demo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
DEFAULT_JSON = REPO / "bench" / "results" / "soak.json"
UA = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/140.0"
MIX = [
    ("page: article", 35),
    ("page: home", 10),
    ("page: section", 5),
    ("page: search", 5),
    ("api: article", 10),
    ("api: list", 10),
    ("api: search", 5),
    ("reaction", 10),
    ("controls", 10),
]
WORDS = ["election", "court", "storm", "football", "police", "space", "health", "market"]
MAX_MEMORY_GROWTH = 0.10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="run length (10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--workers", type=int, default=2, help="web workers (2)")
    parser.add_argument("--data", type=Path, help="demo data folder (default: a fresh one)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"({DEFAULT_JSON})")
    parser.add_argument("--gate", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    data = args.data or Path(tempfile.mkdtemp(prefix="dateline-soak."))
    ensure_demo(data)
    articles, sections, clock = _corpus(data / "dateline.db")
    env = {
        "DATELINE_DATA_DIR": str(data),
        "DATELINE_SITE_CLOCK": clock,
        "DATELINE_ENRICH_ON_INGEST": "false",
        # budgets raised by config (issue 18's allowance): each client is one reader making
        # a request every few tens of ms, far past what a person does
        **{
            f"DATELINE_LIMIT_{n}": "100000,100000"
            for n in ("REACTIONS", "SEARCH", "API", "CONTROLS")
        },
    }
    seconds = args.minutes * 60
    with Server(env, args.workers) as (base, pid):
        load = Load(base, articles, sections)
        stop = threading.Event()
        clients = [
            threading.Thread(target=load.client, args=(n, stop), daemon=True)
            for n in range(args.connections)
        ]
        samples: list[dict[str, float]] = []
        started = time.monotonic()
        for c in clients:
            c.start()
        while time.monotonic() - started < seconds:
            samples.append({"t": round(time.monotonic() - started, 1), **_usage(pid)})
            time.sleep(5)
        stop.set()
        for c in clients:
            c.join(timeout=30)
        samples.append({"t": round(time.monotonic() - started, 1), **_usage(pid)})
    return report(load, samples, seconds, args)


class Load:
    """The clients' shared tallies (a lock per update; the requests run unlocked)."""

    def __init__(self, base: str, articles: list[tuple[int, str]], sections: list[str]) -> None:
        self.base, self.articles, self.sections = base, articles, sections
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.limited: dict[str, int] = defaultdict(int)
        self.failures: list[str] = []

    def client(self, n: int, stop: threading.Event) -> None:
        rng = random.Random(n)
        transport = httpx.HTTPTransport(local_address=f"127.0.3.{n + 1}")
        with httpx.Client(
            base_url=self.base, transport=transport, headers={"User-Agent": UA}, timeout=30
        ) as c:
            token = c.get("/api/v1/reader").json()["csrf_token"]
            names = [name for name, _ in MIX]
            weights = [w for _, w in MIX]
            while not stop.is_set():
                name = rng.choices(names, weights)[0]
                started = time.perf_counter()
                try:
                    response = self._one(c, rng, name, token)
                except httpx.HTTPError as exc:
                    self._tally(name, None, 0.0, f"{name}: {type(exc).__name__}: {exc}")
                    continue
                took = time.perf_counter() - started
                self._tally(name, response.status_code, took, f"{name}: {response.status_code}")

    def _one(self, c: httpx.Client, rng: random.Random, name: str, token: str) -> httpx.Response:
        article_id, path = rng.choice(self.articles)
        if name == "page: article":
            return c.get(path)
        if name == "page: home":
            return c.get("/")
        if name == "page: section":
            return c.get(f"/c/{rng.choice(self.sections)}")
        if name == "page: search":
            return c.get("/search", params={"q": rng.choice(WORDS)})
        if name == "api: article":
            return c.get(f"/api/v1/articles/{article_id}")
        if name == "api: list":
            return c.get(rng.choice(["/api/v1/articles", "/api/v1/ranking", "/api/v1/categories"]))
        if name == "api: search":
            return c.get("/api/v1/search", params={"q": rng.choice(WORDS)})
        headers = {"X-CSRF-Token": token}
        if name == "reaction":
            return c.post(f"/api/v1/articles/{article_id}/reaction", headers=headers)
        if rng.random() < 0.5:
            body = {"kind": "mute_category", "value": "Sports", "on": rng.random() < 0.5}
            return c.post("/api/v1/reader/controls", json=body, headers=headers)
        return c.post("/api/v1/reader/pause", json={"paused": rng.random() < 0.5}, headers=headers)

    def _tally(self, name: str, status: int | None, took: float, what: str) -> None:
        with self.lock:
            if status is not None and status < 400:
                self.latency[name].append(took)
            elif status == 429:
                self.limited[name] += 1
            else:
                self.errors[name] += 1
                if len(self.failures) < 20:
                    self.failures.append(what)


def report(load: Load, samples: list[dict[str, float]], seconds: float, args: Any) -> int:
    rows = []
    for name, _ in MIX:
        times = sorted(load.latency[name])
        rows.append(
            {
                "route": name,
                "ok": len(times),
                "errors": load.errors[name],
                "429": load.limited[name],
                "p50_ms": round(_quantile(times, 0.50) * 1000, 1),
                "p99_ms": round(_quantile(times, 0.99) * 1000, 1),
            }
        )
    warm = next((s for s in samples if s["t"] >= seconds / 5), samples[0])
    last = samples[-1]
    growth = (last["rss_mb"] - warm["rss_mb"]) / warm["rss_mb"] if warm["rss_mb"] else 0.0
    total = sum(r["ok"] + r["errors"] + r["429"] for r in rows)
    print(f"\nsoak: {seconds / 60:g} min, {args.connections} connections, {args.workers} workers\n")
    print("| route | ok | errors | 429 | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['route']} | {r['ok']:,} | {r['errors']} | {r['429']} | {r['p50_ms']} | {r['p99_ms']} |"
        )
    print(
        f"\n{total:,} requests ({total / seconds:.0f}/s); memory {warm['rss_mb']:.0f} MB after "
        f"warm-up (t={warm['t']:.0f} s, the baseline) -> {last['rss_mb']:.0f} MB at the end "
        f"({growth:+.1%}); open files {warm['fds']:.0f} -> {last['fds']:.0f}"
    )
    for failure in load.failures:
        print("  ", failure)
    result = {
        "minutes": seconds / 60,
        "connections": args.connections,
        "workers": args.workers,
        "requests": total,
        "requests_per_s": round(total / seconds, 1),
        "routes": rows,
        "errors": sum(r["errors"] for r in rows),
        "rate_limited": sum(r["429"] for r in rows),
        "memory_after_warmup_mb": round(warm["rss_mb"], 1),
        "memory_end_mb": round(last["rss_mb"], 1),
        "memory_growth": round(growth, 4),
        "fds_after_warmup": warm["fds"],
        "fds_end": last["fds"],
        "samples": samples,
        "failures": load.failures,
    }
    failures = None
    if args.gate:
        failures = []
        if result["errors"]:
            failures.append(f"{result['errors']} errors")
        if growth >= MAX_MEMORY_GROWTH:
            failures.append(f"memory grew {growth:.1%} after warm-up")
        if last["fds"] > warm["fds"]:
            failures.append(f"open files grew {warm['fds']:.0f} -> {last['fds']:.0f}")
    return finish(result, args.json, failures)


def _quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def _corpus(db: Path) -> tuple[list[tuple[int, str]], list[str], str]:
    """Article ids and paths, section slugs, and the newest article's date (the clock)."""
    from dateline.store.queries import slugify

    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT id, title FROM articles WHERE superseded_by_id IS NULL ORDER BY id"
        ).fetchall()
        sections = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT category FROM articles WHERE category IS NOT NULL"
            )
        ]
        newest = conn.execute("SELECT max(published_at) FROM articles").fetchone()[0]
    articles = [(int(i), f"/a/{i}/{slugify(t)}") for i, t in rows]
    return articles, [slugify(s) for s in sections], str(newest).replace(" ", "T")[:19]


class Server:
    """``dateline serve`` on a free port; yields (base URL, its process id)."""

    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.env, self.workers = env, workers

    def __enter__(self) -> tuple[str, int]:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        full = {k: v for k, v in os.environ.items() if not k.startswith("DATELINE_")} | self.env
        dateline = str(Path(sys.executable).parent / "dateline")
        self.proc = subprocess.Popen(
            [dateline, "serve", "--port", str(port), "--workers", str(self.workers)],
            env=full,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the server did not start")
            time.sleep(0.5)
        time.sleep(3)  # every worker up
        return base, self.proc.pid

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def _usage(pid: int) -> dict[str, float]:
    """RSS (MB) and open file descriptors of the server and its worker processes."""
    pids = [pid, *_children(pid)]
    rss = fds = 0
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss += int(
                next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
            )
            fds += sum(1 for _ in Path(f"/proc/{p}/fd").iterdir())
        except (OSError, StopIteration):
            continue
    return {"rss_mb": rss / 1024, "fds": fds, "processes": len(pids)}


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found + [g for c in found for g in _children(c)]


if __name__ == "__main__":
    sys.exit(main())
