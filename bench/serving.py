"""Serving benchmark: the reader site under ``wrk``, beside two baselines, in one run.

Usage: ``python bench/serving.py [--articles 100000] [--duration 10] [--json OUT]
[--cases personalised,anonymous,home,personalised_cold,nginx,fastapi] [--gate]``

1. Data: the demo corpus plus ``--articles`` generated articles and 1,000 readers with
   history (``serving_data.py``; built once, cached under ``bench/.cache/``), copied to a
   throwaway folder for the run (the server writes views into it).
2. The site: ``dateline serve --workers 2`` in its own process, production settings,
   ``DATELINE_SITE_CLOCK`` pinned to the corpus's newest day.
3. ``wrk`` (its own process; 2 threads, 16 connections, ``serving.lua``) drives each case:
   a validation pass that counts every answer that is not 200 (it doubles as the warm-up),
   then the timed pass. Article ids are drawn at random from a hot set of ``--hot`` ids
   sampled uniformly from the whole corpus; the "cold" case draws from every article.
4. Baselines on the same machine in the same run: (a) nginx serving a static HTML file of
   the article page's size; (b) FastAPI + Jinja2, uvicorn, 2 workers, rendering the site's
   article templates from contexts prebuilt in memory (``serving_baseline.py``).
5. Views: after the server stops (a clean stop flushes the buffers) the views it counted
   are compared with the distinct (viewer, article, hour) pairs expected from the requests.

Everything listens on 127.0.0.1 only; every process started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

import serving_data
from bench_output import gate_exit

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_BIN = Path(sys.executable).parent
CACHE = BENCH / ".cache"
DEFAULT_JSON = BENCH / "results" / "serving.json"
PARTIAL_JSON = BENCH / "results" / "serving-partial.json"
LUA = BENCH / "serving.lua"
CONNECTIONS = 16
THREADS = 2
WORKERS = 2
TARGET_P99_MS = 25.0
# Views counted may differ from the expected distinct (viewer, article, hour) pairs by this
# share: the expectation is a sampling estimate (about 0.05 % off in the runs so far); a
# lost or doubled view per request is tens of per cent.
VIEWS_TOLERANCE = 0.02
# ... and by the requests in flight when wrk stops, which the server counts and wrk does
# not: at most one per connection per wrk pass (warm-up and timed) of each case that views.
# A slow server (a few hundred requests) would otherwise fail the check on them alone.
WRK_PASSES = 2
SITE_CASES = ("personalised", "anonymous", "home", "personalised_cold")
BASELINES = ("nginx", "fastapi")
ALL_CASES = (*SITE_CASES, *BASELINES)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.2)


def get(url: str, cookie: str | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(
        url, headers={"Cookie": f"dl_reader={cookie}"} if cookie else {}
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, b"", {}


class Proc:
    """A child process in its own session, stopped (TERM, then KILL) with its children."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log.open("wb")
        self.p = subprocess.Popen(
            args, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self, timeout: float = 20.0) -> None:
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(5)
        self.log.close()


def wrk(
    url: str, seconds: float, paths: Path, cookies: Path | None, validate: bool
) -> dict[str, Any]:
    env = dict(os.environ, BENCH_PATHS=str(paths), BENCH_COOKIES=str(cookies or ""))
    env["BENCH_VALIDATE"] = "1" if validate else "0"
    args = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds:g}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    out = subprocess.run(
        [*args, "-s", str(LUA), url], env=env, capture_output=True, text=True, timeout=seconds + 60
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out.stdout}\n{out.stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = (
        sum(
            result[k]
            for k in ("connect_errors", "read_errors", "write_errors", "non_2xx_3xx", "timeouts")
        )
        + result["validated_not_200"]
    )
    return result


def measure(
    name: str, url: str, paths: Path, cookies: Path | None, seconds: float, warm: float
) -> dict[str, Any]:
    check = wrk(url, warm, paths, cookies, validate=True)
    timed = wrk(url, seconds, paths, cookies, validate=False)
    timed["warmup_requests"] = check["requests"]
    timed["validated_200"], timed["validated_not_200"] = (
        check["validated_200"],
        check["validated_not_200"],
    )
    timed["errors"] += check["errors"]
    timed["avg_bytes"] = timed["bytes"] / max(timed["requests"], 1)
    print(
        f"  {name}: {timed['rps']:,.0f} req/s, p50 {timed['p50_ms']:.2f} ms, "
        f"p99 {timed['p99_ms']:.2f} ms, errors {timed['errors']} "
        f"(validated {check['validated_200']:,} x 200, {check['validated_not_200']} other)",
        flush=True,
    )
    return timed


NGINX_CONF = """
worker_processes 2;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        default_type text/html;
        location / {{ try_files /page.html =404; }}
    }}
}}
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per timed case")
    parser.add_argument(
        "--warmup", type=float, default=8.0, help="seconds of validation/warm-up per case"
    )
    parser.add_argument("--hot", type=int, default=1000, help="article ids in the hot set")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help=f"default {DEFAULT_JSON.relative_to(REPO)} ({PARTIAL_JSON.name} with --cases)",
    )
    parser.add_argument(
        "--cases",
        default=",".join(ALL_CASES),
        help=f"comma-separated cases to run (default all: {','.join(ALL_CASES)}); the views "
        "check needs every site case, the targets the baselines they compare with",
    )
    parser.add_argument(
        "--gate",
        action="store_true",
        help="exit 1 on a missed target, a target whose baseline did not run, an invalid "
        f"run (errors), or views counted more than {VIEWS_TOLERANCE * 100:.0f} %% (plus the "
        "requests in flight when wrk stops) off the expected",
    )
    args = parser.parse_args()
    wanted = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(wanted) - set(ALL_CASES))
    if unknown or not wanted:
        parser.error(f"--cases: unknown {', '.join(unknown) or '(none given)'}")
    args.cases = wanted
    if args.json is None:  # a partial run never overwrites the full run's results
        args.json = DEFAULT_JSON if set(wanted) == set(ALL_CASES) else PARTIAL_JSON
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            print(f"{tool} not found: apt-get install -y wrk nginx", file=sys.stderr)
            return 2

    print(f"data: demo corpus + {args.articles:,} generated articles (SQLite)", flush=True)
    data = serving_data.build(CACHE, args.articles)
    print(
        f"  {f'built in {data.build_seconds:.1f} s' if data.build_seconds else 'cached'}: "
        f"{len(data.paths):,} articles, {len(data.readers):,} readers, clock {data.clock}",
        flush=True,
    )
    work = Path(tempfile.mkdtemp(prefix="dateline-serving-"))
    procs: list[Proc] = []
    results: dict[str, Any] = {}
    try:
        t0 = time.perf_counter()
        serving_data.run_copy(data, work / "data")
        print(f"  copied for this run in {time.perf_counter() - t0:.1f} s", flush=True)
        rng = random.Random(20240501)
        hot = rng.sample(data.paths, min(args.hot, len(data.paths)))
        hot_file, all_file, home_file = work / "hot.txt", work / "all.txt", work / "home.txt"
        # Percent-encoded, as a browser sends them: a slug may hold non-ASCII letters
        # (one demo article's does), which a server must refuse raw in a request line.
        hot_file.write_text("\n".join(quote(p) for p in hot) + "\n")
        all_file.write_text("\n".join(quote(p) for p in data.paths) + "\n")
        home_file.write_text("/\n")
        cookies = work / "cookies.txt"
        cookies.write_text("\n".join(data.readers) + "\n")

        env = dict(os.environ)
        env.update(
            DATELINE_DATA_DIR=str(work / "data"),
            DATELINE_DATABASE_URL="",
            DATELINE_SITE_CLOCK=data.clock,
            DATELINE_LOG_LEVEL="WARNING",
            DATELINE_AUTO_MIGRATE="true",  # the cached copy may predate a new migration
        )
        port = free_port()
        site_url = f"http://127.0.0.1:{port}"
        print(f"site: dateline serve --workers {WORKERS} on {site_url}", flush=True)
        t0 = time.perf_counter()
        site = Proc(
            [str(VENV_BIN / "dateline"), "serve", "--workers", str(WORKERS), "--port", str(port)],
            env,
            work / "site.log",
        )
        procs.append(site)
        wait_http(site_url + "/healthz", timeout=120)
        print(f"  up in {time.perf_counter() - t0:.1f} s", flush=True)
        # Every sampled URL must answer 200 with the whole page (slugs right, no redirect).
        sizes = []
        for path in rng.sample(hot, 40) + rng.sample(data.paths, 40):
            status, body, _ = get(site_url + quote(path), rng.choice(data.readers))
            if status != 200:
                raise RuntimeError(f"{path}: HTTP {status}")
            sizes.append(len(body))
        page_size = int(sorted(sizes)[len(sizes) // 2])
        print(f"  80 sampled article URLs answer 200; median page {page_size:,} bytes", flush=True)

        cases: list[tuple[str, str, Path, Path | None]] = [
            ("article, reader cookie (hot set)", "personalised", hot_file, cookies),
            ("article, anonymous (hot set)", "anonymous", hot_file, None),
            ("home", "home", home_file, None),
            ("article, reader cookie (cold: all ids)", "personalised_cold", all_file, cookies),
        ]
        cases = [c for c in cases if c[1] in args.cases]
        for i, (label, key, paths, jar) in enumerate(cases):
            # The first pass also fills each worker's shared pages for the hot set
            # (~8 ms each to build): it runs longer.
            warm = args.warmup * 3 if i == 0 else args.warmup
            results[key] = measure(label, site_url, paths, jar, args.duration, warm)
            results[key]["label"] = label
        site.stop()
        procs.remove(site)
        results["views"] = check_views(work / "data" / "dateline.db", data, results, len(hot))

        if "nginx" in args.cases:
            # (a) nginx: a static file of the article page's size.
            www = work / "nginx" / "www"
            www.mkdir(parents=True)
            head, tail = b"<!doctype html><html><body><p>", b"</p></body></html>\n"
            filler = (head + b"x" * page_size)[: page_size - len(tail)] + tail
            (www / "page.html").write_bytes(filler)
            for folder in (work, work / "nginx", www):  # nginx workers run as nobody
                folder.chmod(0o755)
            (www / "page.html").chmod(0o644)
            nport = free_port()
            conf = work / "nginx" / "nginx.conf"
            conf.write_text(NGINX_CONF.format(dir=work / "nginx", port=nport))
            print(f"baseline (a): nginx, static {page_size:,}-byte file, 2 workers", flush=True)
            nginx = Proc(
                [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf)],
                env,
                work / "nginx.log",
            )
            procs.append(nginx)
            wait_http(f"http://127.0.0.1:{nport}/a/1/x")
            results["nginx"] = measure(
                "nginx static",
                f"http://127.0.0.1:{nport}",
                hot_file,
                None,
                args.duration,
                min(args.warmup, 3),
            )
            results["nginx"]["label"] = "(a) nginx, static file of the same size"
            nginx.stop()
            procs.remove(nginx)

        if "fastapi" in args.cases:
            # (b) FastAPI + Jinja2 from memory, same server and workers.
            bport = free_port()
            ids = ",".join(p.split("/")[2] for p in hot[:200])
            benv = dict(env, BENCH_IDS=ids, BENCH_READER=data.readers[0])
            print("baseline (b): FastAPI + Jinja2 from memory, uvicorn, 2 workers", flush=True)
            base = Proc(
                [
                    str(VENV_BIN / "uvicorn"),
                    "serving_baseline:app_from_environment",
                    "--factory",
                    "--app-dir",
                    str(BENCH),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(bport),
                    "--workers",
                    str(WORKERS),
                    "--log-level",
                    "warning",
                    "--no-server-header",
                    "--no-access-log",
                ],
                benv,
                work / "baseline.log",
            )
            procs.append(base)
            wait_http(f"http://127.0.0.1:{bport}{hot[0]}", timeout=120)
            results["fastapi"] = measure(
                "FastAPI + Jinja2",
                f"http://127.0.0.1:{bport}",
                hot_file,
                None,
                args.duration,
                args.warmup,
            )
            results["fastapi"]["label"] = "(b) FastAPI + Jinja2 from memory"
            base.stop()
            procs.remove(base)
    finally:
        for proc in procs:
            proc.stop()
        logs = {
            name: (work / name).read_text(errors="replace")[-3000:]
            for name in ("site.log",)
            if (work / name).exists()
        }
        shutil.rmtree(work, ignore_errors=True)
    failures = report(results, data, args, page_size, logs)
    return gate_exit(failures if args.gate else None)


def check_views(
    db: Path, data: serving_data.BenchData, results: dict[str, Any], hot: int
) -> dict[str, Any]:
    """Views counted during the run against the distinct (viewer, article, hour) expected."""
    con = sqlite3.connect(db)
    try:
        clock = data.clock.replace("T", " ")
        rows = con.execute(
            "SELECT substr(viewer_key, 1, 2), count(*), count(DISTINCT bucket) FROM events "
            "WHERE kind = 'view' AND created_at > ? GROUP BY 1",
            (clock,),
        ).fetchall()
        impressions = con.execute(
            "SELECT count(*) FROM events WHERE kind = 'impression' AND created_at > ?", (clock,)
        ).fetchone()[0]
    finally:
        con.close()
    counted = {k: {"views": n, "hours": h} for k, n, h in rows}

    def requests(case: str) -> int:  # 0 for a case not run (see --cases)
        return sum(results.get(case, {}).get(k, 0) for k in ("requests", "warmup_requests"))

    # Requests of a reader: uniform over 1,000 readers x the articles drawn from.
    hot_requests = requests("personalised")
    cold_requests = requests("personalised_cold")
    pairs_hot = len(data.readers) * hot
    pairs_cold = len(data.readers) * len(data.paths)
    expect_readers = pairs_hot * (1 - math.exp(-hot_requests / pairs_hot)) + pairs_cold * (
        1 - math.exp(-cold_requests / pairs_cold)
    )
    # wrk sends no cookie and no User-Agent: one cookieless viewer, so one view per article.
    anon_requests = requests("anonymous")
    expect_anon = hot * (1 - math.exp(-anon_requests / hot))

    def in_flight(*cases: str) -> int:
        return CONNECTIONS * WRK_PASSES * sum(case in results for case in cases)

    out = {
        "reader_views": counted.get("r:", {}).get("views", 0),
        "reader_views_expected": round(expect_readers),
        "reader_views_in_flight_max": in_flight("personalised", "personalised_cold"),
        "cookieless_views_in_flight_max": in_flight("anonymous"),
        "cookieless_views": counted.get("c:", {}).get("views", 0),
        "cookieless_views_expected": round(expect_anon),
        "impressions": impressions,
        "hours": {k: v["hours"] for k, v in counted.items()},
    }
    print(
        f"  views counted: readers {out['reader_views']:,} (expected ≈ {out['reader_views_expected']:,}), "
        f"cookieless {out['cookieless_views']:,} (expected ≈ {out['cookieless_views_expected']:,}), "
        f"impressions {impressions:,}",
        flush=True,
    )
    return out


def report(
    results: dict[str, Any],
    data: serving_data.BenchData,
    args: argparse.Namespace,
    page_size: int,
    logs: dict[str, str],
) -> list[str]:
    """Print the table and write the JSON; what the gate fails on (``--gate``)."""
    # A ratio or target that needs a baseline not run this time is left blank.
    a = results["nginx"]["rps"] if "nginx" in results else math.nan
    b = results["fastapi"]["rps"] if "fastapi" in results else math.nan
    targets = {
        "personalised": (
            "≥ 1.0x (b), p99 < 25 ms",
            lambda r: r["rps"] >= b and r["p99_ms"] < TARGET_P99_MS,
        ),
        "anonymous": ("≥ 10 % of (a)", lambda r: r["rps"] >= 0.10 * a),
        "home": ("≥ 10 % of (a)", lambda r: r["rps"] >= 0.10 * a),
        "personalised_cold": ("(not a target: every id, mostly misses)", None),
        "nginx": ("", None),
        "fastapi": ("", None),
    }
    lines = [
        "| case | req/s | p50 ms | p99 ms | errors | vs (a) | vs (b) | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    ran = [key for key in ALL_CASES if key in results]
    for key in ran:
        r = results[key]
        text, check = targets[key]
        met = "" if check is None else ("yes" if check(r) and r["errors"] == 0 else "**no**")
        if check is not None and "nginx" not in results and key in ("anonymous", "home"):
            met = "(no baseline run)"
        elif key == "personalised" and "fastapi" not in results:
            met = "(no baseline run)" if r["p99_ms"] < TARGET_P99_MS else "**no**"
        r["target"], r["met"] = text, met
        va = f"{r['rps'] / a:.3f}x" if a == a else ""
        vb = f"{r['rps'] / b:.2f}x" if b == b else ""
        lines.append(
            f"| {r['label']} | {r['rps']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} "
            f"| {va} | {vb} | {text} | {met} |"
        )
    table = "\n".join(lines)
    print()
    print(table)
    invalid = [k for k in ran if results[k]["errors"]]
    if invalid:
        print(f"\nINVALID: errors in {', '.join(invalid)}")
    failures = [f"errors in {k}: {results[k]['errors']}" for k in invalid]
    failures += [
        f"{results[k]['label']}: target {results[k]['target']} {results[k]['met'].strip('*')}"
        for k in ran
        if results[k]["met"] and results[k]["met"] != "yes"
    ]
    failures += views_failures(results.get("views"))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "machine": {"cpus": os.cpu_count()},
                "articles": len(data.paths),
                "readers": len(data.readers),
                "hot_set": args.hot,
                "page_bytes": page_size,
                "connections": CONNECTIONS,
                "wrk_threads": THREADS,
                "workers": WORKERS,
                "duration_s": args.duration,
                "cases": args.cases,
                "results": results,
                "table": table,
                "valid": not invalid,
                "site_log_tail": logs.get("site.log", ""),
            },
            indent=2,
        )
    )
    print(f"\nwrote {args.json}")
    return failures


def views_failures(views: dict[str, Any] | None) -> list[str]:
    """The views the server counted against those expected (each kind of viewer)."""
    if views is None:
        return ["views not checked (the run did not reach the check)"]
    out = []
    for kind in ("reader_views", "cookieless_views"):
        got, expected = views[kind], views[f"{kind}_expected"]
        slack = VIEWS_TOLERANCE * expected + views.get(f"{kind}_in_flight_max", 0)
        if expected and abs(got - expected) > slack:
            out.append(
                f"{kind}: counted {got:,}, expected about {expected:,} (within {slack:,.0f})"
            )
    return out


if __name__ == "__main__":
    sys.exit(main())
