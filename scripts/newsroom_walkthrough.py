"""Day one of a newsroom's developer, end to end, on SQLite and PostgreSQL.

Their own pages and feeds, served by a web server on 127.0.0.1 and also read from disk;
a content farm's shortened copy of one story, ingested before and after the original; a
future-dated page; an undated feed item; ``enrich``; a story rebuild; then what the site
and API say. Everything runs through the real ``dateline`` command and the real server.

    .venv/bin/python scripts/newsroom_walkthrough.py            # both engines
    .venv/bin/python scripts/newsroom_walkthrough.py --sqlite   # SQLite only

PostgreSQL comes from the test suite's throwaway cluster (``tests/pgcluster.py``).
Prints each step's command and the lines that matter; exits 1 if a check fails.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from news_pages import page_html, serve_folder  # noqa: E402
from test_lead import COPY, ORIGINAL  # noqa: E402
from test_sites import METRO  # noqa: E402

DATELINE = str(ROOT / ".venv" / "bin" / "dateline")
FAILED: list[str] = []

STADIUM = [
    "The new riverside stadium will open on Sunday, March 14, 2027, with a match between "
    "the city's two football clubs, the stadium trust said in a statement this week.",
    "Seats for the opening match go on sale in January, and season-ticket holders of both "
    "clubs will be able to buy two tickets each before the general sale begins.",
]
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Valley Tribune</title><link>{base}/</link>
<description>Local news</description>
<item><title>Port workers begin strike over night-shift pay</title>
<link>{base}/strike.html</link><pubDate>Thu, 26 Nov 2026 22:05:00 -0500</pubDate>
<description>Dock workers at the Harbor City port walked out at ten in the evening on
Thursday after talks on night-shift pay broke down, halting the unloading of three
container ships. The union said the strike would last until the port authority returned
to the table with an offer that matched the cost of living in the city.</description>
</item>
<item><title>Port strike enters second day as talks resume</title>
<link>{base}/strike-2.html</link><pubDate>Fri, 27 Nov 2026 18:30:00 -0500</pubDate>
<description>The strike by dock workers at the Harbor City port entered its second day
on Friday, with three container ships still waiting to be unloaded, as the union and the
port authority returned to talks on night-shift pay under a mediator from the state
labor board. Both sides said they hoped to end the strike before the weekend.</description>
</item>
<item><title>Library opens a seed exchange for gardeners</title>
<link>{base}/seeds.html</link>
<description>The central library has opened a seed exchange where gardeners can leave
and take packets of vegetable and flower seeds, with volunteers on hand every Saturday
morning to explain how to save seeds from this year's crop for next spring.</description>
</item></channel></rss>"""


def check(ok: bool, what: str) -> None:
    print(("  ok   " if ok else "  FAIL ") + what)
    if not ok:
        FAILED.append(what)


def run(env: dict[str, str], *args: str) -> str:
    print("$ dateline " + " ".join(args))
    done = subprocess.run(
        [DATELINE, *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )
    out = (done.stdout + done.stderr).strip()
    for line in out.splitlines()[:14]:
        print("    " + line)
    return out


def get(url: str) -> tuple[int, bytes, str]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as response:
            return response.status, response.read(), response.headers.get("location", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("location", "")


def story(base: str, story_id: int) -> tuple[int, str, int]:
    """(status, label, size) of a story's page."""
    status, body, _ = get(f"{base}/s/{story_id}?format=json")
    page = json.loads(body) if status == 200 else {}
    return status, page.get("label", ""), page.get("size", 0)


def write_site(folder: Path, base: str) -> None:
    no_url = {k: v for k, v in ORIGINAL.items() if k != "url"}
    pages = {
        "bridge": no_url,
        "bridge-copy": {k: v for k, v in COPY.items() if k != "url"},
        "budget": METRO,
        "future": {**METRO, "title": "New stadium to open in March", "published": "2027-03-14T10:00:00Z",
                   "paragraphs": STADIUM},
    }  # fmt: skip
    for name, fields in pages.items():
        (folder / f"{name}.html").write_text(page_html(**fields), encoding="utf-8")
    (folder / "tribune.xml").write_text(FEED.format(base=base), encoding="utf-8")


def serve_site(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = subprocess.Popen(
        [DATELINE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if get(base + "/healthz")[0] in (200, 404):
                return server, base
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("dateline serve did not start")


def walk(engine: str, database_url: str, site: str, folder: Path, work: Path) -> None:
    print(f"\n=== {engine} ===")
    # The newsroom's own server is on loopback, which a fetch refuses unless allow-listed.
    env = {**os.environ, "DATELINE_DATA_DIR": str(work), "DATELINE_DATABASE_URL": database_url,
           "HF_HUB_OFFLINE": "1", "DATELINE_FETCH_ALLOW_NETWORKS": "127.0.0.0/8"}  # fmt: skip
    run(env, "ingest", str(folder / "bridge-copy.html"), str(folder / "bridge.html"))
    out = run(env, "ingest", f"{site}/bridge-copy.html", f"{site}/bridge.html",
              f"{site}/budget.html", f"{site}/future.html", f"{site}/tribune.xml")  # fmt: skip
    check(out.count("known") >= 2, "the same pages by URL are known, not new carriers")
    run(env, "enrich", "--all")
    server, base = serve_site(env)
    try:
        articles = json.loads(get(base + "/api/v1/articles?limit=50")[1])["items"]
        bridge = next(a for a in articles if "bridge" in a["title"].lower())
        detail = json.loads(get(f"{base}/api/v1/articles/{bridge['id']}")[1])
        print(f"  bridge: {detail['title']!r} from {detail['source']['name']}, "
              f"{len(detail['carriers'])} carriers, category {detail['category']}")  # fmt: skip
        check(detail["title"] == ORIGINAL["title"], "copy first: the original's headline leads")
        check(detail["source"]["name"] == "Valley Tribune", "…and its source")
        sources = json.loads(get(base + "/api/v1/sources")[1])
        print("  sources: " + "; ".join(f"{s['name']} <{s['home_url']}>" for s in sources))
        check(len({s["name"] for s in sources}) == len(sources) >= 3, "one source per site")
        check(all(s["home_url"] == site + "/" for s in sources), "home URLs keep scheme and port")
        strike = next(a for a in articles if a["title"].startswith("Port workers"))
        strike = json.loads(get(f"{base}/api/v1/articles/{strike['id']}")[1])
        print(f"  strike: published_at {strike['published_at']}, "
              f"published_local {strike.get('published_local')}")  # fmt: skip
        undated = next(a for a in articles if a["title"].startswith("Library opens"))
        print(f"  undated item: published_at {undated['published_at']}, "
              f"position {articles.index(undated) + 1} of {len(articles)} in Latest")  # fmt: skip
        check(undated["published_at"] is None, "the undated item has no invented date")
        rss = get(base + "/feed.rss")[1].decode()
        item = rss[rss.find("Library opens") :]
        item = item[: item.find("</item>")]
        check("<pubDate>" not in item, "no invented pubDate in RSS for the undated item")
        details = [json.loads(get(f"{base}/api/v1/articles/{a['id']}")[1]) for a in articles]
        story_ids = sorted({d["story_id"] for d in details if d.get("story_id")})
        before = {i: story(base, i) for i in story_ids}
        future = next(d for d in details if d["title"].startswith("New stadium"))
        (carrier,) = future["carriers"]
        print(f"  future-dated page: published_at {future['published_at']}, status "
              f"{future['date_status']}, claims {carrier['claims']}, flag {carrier['date_flag']!r}")  # fmt: skip
        check("2027-03-14" in json.dumps(carrier["claims"]), "the future claim is kept")
    finally:
        server.terminate()
        server.wait(timeout=30)
    run(env, "stories", "rebuild", "--since", "2000-01-01")
    server, base = serve_site(env)
    try:
        after = {i: story(base, i) for i in story_ids}
        print(f"  story pages before/after rebuild: {before} / {after}")
        check(after == before, "every story address answers as before the rebuild")
        check(any(size > 1 for _, _, size in before.values()), "the strike is one story of two")
    finally:
        server.terminate()
        server.wait(timeout=30)


def other_order(engine: str, database_url: str, folder: Path, work: Path) -> None:
    print(f"\n=== {engine}, original first ===")
    env = {**os.environ, "DATELINE_DATA_DIR": str(work), "DATELINE_DATABASE_URL": database_url}
    run(env, "ingest", str(folder / "bridge.html"), str(folder / "bridge-copy.html"))
    server, base = serve_site(env)
    try:
        items = json.loads(get(base + "/api/v1/articles")[1])["items"]
        print(f"  listed: {[(a['title'], a['source_name']) for a in items]}")
        check(
            [(a["title"], a["source_name"]) for a in items]
            == [(ORIGINAL["title"], "Valley Tribune")],
            "original first: the same article",
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    engines = ["sqlite"] if "--sqlite" in sys.argv else ["sqlite", "postgresql"]
    with tempfile.TemporaryDirectory(prefix="newsroom.") as tmp:
        folder = Path(tmp) / "site"
        folder.mkdir()
        with serve_folder(folder) as site:
            write_site(folder, site)
            print(f"newsroom site: {site} (files in {folder})")
            cluster = None
            try:
                for engine in engines:
                    urls = []
                    if engine == "sqlite":
                        urls = [f"sqlite:///{tmp}/{n}.db" for n in ("a", "b")]
                    else:
                        from conftest import _fresh_pg_database
                        from pgcluster import start_cluster

                        cluster = start_cluster()
                        urls = [_fresh_pg_database(cluster)[1] for _ in range(2)]
                    walk(engine, urls[0], site, folder, Path(tmp) / f"{engine}-a")
                    other_order(engine, urls[1], folder, Path(tmp) / f"{engine}-b")
            finally:
                if cluster is not None:
                    cluster.stop()
    print("\nall checks passed" if not FAILED else f"\n{len(FAILED)} checks FAILED")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
