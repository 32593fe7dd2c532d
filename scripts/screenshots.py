"""Screenshots of the demo site for the README and docs, light and dark.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]

Three pages: the home page, an article page, and the article the most synthetic content
farms carry (the README's picture: its carriers, the date flag, the corrected category).
Builds the demo as ``dateline demo`` does (the bundled Wikinews corpus, its synthetic farm
copies, the enrich stage, the simulated readership, the site clock pinned to the newest
article) in a temporary folder, serves it
in-process on 127.0.0.1, and photographs it with Debian's Chromium through Playwright
(the launcher the browser tests use: ``tests/browser_util.py``). Needs the ``chromium``
Debian package and the ``playwright`` Python package; never ``playwright install``.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from browser_util import BrowserMissing, launch, new_context  # noqa: E402

ARTICLE = "Chilean authorities report first COVID-19 outbreak in Antarctica"
HOME_MAX_HEIGHT = 1400
ARTICLE_MAX_HEIGHT = 2000
FARM_MAX_HEIGHT = 1300  # the top of the page: headline, carriers, date line, category
MAX_BYTES = 400_000


def build_demo_site(data_dir: Path):
    """The demo store and app, exactly as ``dateline demo`` then ``dateline serve`` make them."""
    from dateline.demo import load_demo, load_farm_copies, simulate_demo_readers
    from dateline.enrich.run import enrich_articles, pending_articles
    from dateline.settings import load_settings
    from dateline.store.db import Store
    from dateline.store.schema import upgrade
    from dateline.web.app import create_app

    environ = {"DATELINE_DATA_DIR": str(data_dir)}
    settings = load_settings(environ=environ)
    store = Store(f"sqlite:///{data_dir / 'dateline.db'}")
    upgrade(store)
    report = load_demo(store, settings)
    farm = load_farm_copies(store, settings)
    if not (report.ok and farm.ok):
        raise SystemExit("loading the demo corpus failed")
    enrich_articles(store, settings, pending_articles(store))
    clock, _ = simulate_demo_readers(store, settings)
    if clock is not None:
        environ["DATELINE_SITE_CLOCK"] = f"{clock:%Y-%m-%dT%H:%M:%S}"
    settings = load_settings(environ=environ)
    return store, create_app(settings, store)


def serve(app):
    """Run ``app`` under uvicorn on a free 127.0.0.1 port in a daemon thread."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise SystemExit("the demo server did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def article_path(page) -> str:
    page.goto("/search?q=" + quote(f'"{ARTICLE}"'))
    href = page.locator("ol.results li.result a").first.get_attribute("href")
    if not href:
        raise SystemExit(f"{ARTICLE!r} not found in the demo corpus")
    return href


def most_copied_article(store) -> int:
    """The demo article carried by the most synthetic content-farm sites."""
    from sqlalchemy import func, select

    from dateline.demo import SYNTHETIC_KIND
    from dateline.store.models import Page, Source

    carriers = func.count(func.distinct(Page.source_id))
    query = (
        select(Page.article_id)
        .join(Source, Source.id == Page.source_id)
        .where(Source.kind == SYNTHETIC_KIND)
        .group_by(Page.article_id)
        .order_by(carriers.desc(), Page.article_id)
        .limit(1)
    )
    with store.read() as session:
        found = session.scalar(query)
    if found is None:
        raise SystemExit("the demo has no farm-copied article")
    return int(found)


def api_path(page, article_id: int) -> str:
    """The article page's address, as the API gives it."""
    response = page.request.get(f"/api/v1/articles/{article_id}")
    if not response.ok:
        raise SystemExit(f"/api/v1/articles/{article_id} answered {response.status}")
    return str(response.json()["url"])


def shoot(page, path: str, target: Path, max_height: int, *, expand: bool = False) -> None:
    """Save the page from the top, at most ``max_height`` CSS pixels tall and MAX_BYTES big.

    ``expand`` opens the page's disclosures (the carriers list), as a reader's click would.
    PNG has no quality knob: a shot over the size limit is retaken 200 px shorter.
    """
    page.goto(path)
    if expand:
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.evaluate("document.fonts.ready")
    height = min(page.evaluate("document.documentElement.scrollHeight"), max_height)
    width = page.viewport_size["width"]
    while True:
        page.screenshot(
            path=str(target),
            type="png",
            scale="css",
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": height},
            animations="disabled",
            caret="hide",
        )
        size = target.stat().st_size
        if size <= MAX_BYTES or height <= 900:
            break
        height -= 200
    shown = target.relative_to(REPO) if target.is_relative_to(REPO) else target
    print(f"{shown}: {width}x{height}, {size // 1024} KB")
    if size > MAX_BYTES:
        raise SystemExit(f"{target} is {size} bytes, over the {MAX_BYTES} limit")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dateline-shots-") as tmp:
        store, app = build_demo_site(Path(tmp))
        server, thread, base = serve(app)
        try:
            with sync_playwright() as playwright:
                try:
                    browser = launch(playwright)
                except BrowserMissing as exc:
                    raise SystemExit(str(exc)) from exc
                path = farm_path = None
                farm_id = most_copied_article(store)
                for scheme in ("light", "dark"):
                    context = new_context(browser, base_url=base, color_scheme=scheme)
                    page = context.new_page()
                    path = path or article_path(page)
                    farm_path = farm_path or api_path(page, farm_id)
                    shoot(page, "/", out / f"home-{scheme}.png", HOME_MAX_HEIGHT)
                    shoot(page, path, out / f"article-{scheme}.png", ARTICLE_MAX_HEIGHT)
                    farm_shot = out / f"article-farm-{scheme}.png"
                    shoot(page, farm_path, farm_shot, FARM_MAX_HEIGHT, expand=True)
                    context.close()
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            store.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
