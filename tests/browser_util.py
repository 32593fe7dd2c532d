"""Driving Debian's Chromium with Playwright: launching it, and watching pages for errors.

Used by the browser tests and by ``scripts/screenshots.py``. The browser is Debian's
``chromium`` package (``make test`` installs it as root through
``scripts/system-packages.sh``); Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("DATELINE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
INSTALL_COMMAND = "sudo apt-get update && sudo apt-get install -y chromium"
# Headless Chromium announces itself as "HeadlessChrome", which the site (rightly) treats
# as a bot: not counted, no reader cookie. The tests play a reader, so they send the
# User-Agent of an ordinary desktop Chromium.
READER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)
VIEWPORT = {"width": 1280, "height": 900}
# Console errors tolerated, as (resource URL suffix, message part). Keep this empty: each
# entry is a known defect of the site. The site has no favicon yet, so Chromium's automatic
# request for /favicon.ico logs a 404; remove the entry once the site serves one.
KNOWN_CONSOLE_ERRORS: list[tuple[str, str]] = []


class BrowserMissing(RuntimeError):
    """Chromium or Playwright is not installed; the message says how to install it."""


def check_browser() -> None:
    """Raise :class:`BrowserMissing` with the exact install command when a piece is absent."""
    if not CHROMIUM.exists():
        raise BrowserMissing(
            f"{CHROMIUM} not found: the browser tests drive Debian's chromium package. "
            f"Run `make test` as root (scripts/system-packages.sh installs it) or: "
            f"{INSTALL_COMMAND}"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        raise BrowserMissing(
            "Playwright (Python) is not installed: .venv/bin/pip install playwright "
            "(never `playwright install`: the tests use Debian's chromium)"
        ) from exc


def launch(playwright: Any) -> Any:
    """Launch headless Debian Chromium through a started ``sync_playwright()``."""
    check_browser()
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def new_context(browser: Any, **options: Any) -> Any:
    """A fresh context (own cookies, own cache) that looks like a reader's browser."""
    options.setdefault("user_agent", READER_UA)
    options.setdefault("viewport", VIEWPORT)
    options.setdefault("locale", "en-GB")
    return browser.new_context(**options)


@dataclass
class PageProblems:
    """Console errors, CSP violations and uncaught exceptions seen on one page object."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> Any:
        def on_console(message: Any) -> None:
            text = message.text
            if message.type in ("error", "assert") or "Content-Security-Policy" in text:
                source = (message.location or {}).get("url") or page.url
                if any(source.endswith(url) and part in text for url, part in KNOWN_CONSOLE_ERRORS):
                    return
                self.errors.append(f"console {message.type} on {page.url} ({source}): {text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error on {page.url}: {exc}"))
        return page

    def assert_clean(self) -> None:
        assert not self.errors, "\n".join(self.errors)
