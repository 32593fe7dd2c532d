"""Who is reading: the cookie's reader id, a keyed hash for cookieless clients, bot detection.

Cookies and headers are hostile input: a reader id is accepted only in the exact form
``new_reader_id`` makes, and a cookieless client is known only by an HMAC of its IP and
User-Agent (the raw values are never stored), keyed with the site secret so the hash
cannot be reversed by trying addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
import uuid
from pathlib import Path

from dateline.errors import ConfigError
from dateline.settings import Settings

# A reader id is a version-4 UUID in lowercase hex without dashes (32 characters).
_READER_ID = re.compile(r"[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}")
# Bytes of a generated site secret (256 bits, the HMAC-SHA256 block's natural key size).
SECRET_BYTES = 32
# Name of the generated secret inside the data folder.
SECRET_FILE = "secret.key"  # noqa: S105 - a file name, not a secret
# Shortest key file we trust; anything shorter is a partial write or tampering.
MIN_SECRET_BYTES = 16
# How long to wait for another worker that is still writing the key file (seconds).
SECRET_WAIT_SECONDS = 2.0

# Lowercase substrings that mark a User-Agent as automated. Generic words catch the long
# tail ("…bot", "…spider", "…crawler"); named ones catch crawlers, link previewers,
# monitors, headless browsers and HTTP libraries whose UA lacks those words.
BOT_TOKENS = (
    "bot",  # Googlebot, bingbot, YandexBot, DuckDuckBot, Twitterbot, AhrefsBot, GPTBot …
    "spider",  # Baiduspider, Bytespider, Sogou web spider
    "crawl",  # crawler, Crawl, Yahoo! … crawl
    "slurp",  # Yahoo! Slurp
    "facebookexternalhit",
    "facebookcatalog",
    "embedly",
    "whatsapp",  # link previews
    "mediapartners-google",
    "google-inspectiontool",
    "feedfetcher",
    "ia_archiver",
    "archive.org",
    "headlesschrome",
    "phantomjs",
    "lighthouse",
    "pingdom",
    "uptimerobot",
    "statuscake",
    "site24x7",
    "datadog",
    "newrelicpinger",
    "check_http",  # Nagios
    "zabbix",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "httpie",
    "go-http-client",
    "okhttp",
    "java/",
    "apache-httpclient",
    "libwww-perl",
    "node-fetch",
    "axios/",
    "scrapy",
)
# Real devices whose names contain a bot token (the CUBOT phone brand): removed first.
NOT_BOT_TOKENS = ("cubot",)


def new_reader_id() -> str:
    """A fresh random reader id (uuid4 hex): unguessable, so a cookie cannot be forged."""
    return uuid.uuid4().hex


def valid_reader_id(value: object) -> bool:
    """True only for the exact shape ``new_reader_id`` makes; anything else is ignored."""
    return isinstance(value, str) and _READER_ID.fullmatch(value) is not None


def reader_key(reader_id: str) -> str:
    """The ``viewer_key`` of a reader with a cookie."""
    return f"r:{reader_id}"


def client_key(ip: str, user_agent: str | None, secret: bytes) -> str:
    """HMAC-SHA256 hex of IP and User-Agent: dedupes cookieless views without storing either."""
    message = f"{ip}\x00{user_agent or ''}".encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def cookieless_key(ip: str, user_agent: str | None, secret: bytes) -> str:
    """The ``viewer_key`` of a client without the cookie."""
    return f"c:{client_key(ip, user_agent, secret)}"


def is_bot(user_agent: str | None) -> bool:
    """True for crawlers, previewers, monitors, headless browsers and HTTP libraries.

    A *missing* or empty User-Agent is **not** a bot: load generators (wrk) and privacy
    tools send none, and the per-IP-and-UA hourly dedupe already bounds what such a client
    can add. Libraries that do announce themselves (curl, wget, python-requests, httpx …)
    are scripts, not readers, so they are not counted.
    """
    if not user_agent:
        return False
    text = user_agent.lower()
    for token in NOT_BOT_TOKENS:
        text = text.replace(token, "")
    return any(token in text for token in BOT_TOKENS)


def secret_key(settings: Settings) -> bytes:
    """The site secret: the ``secret_key`` setting, else ``$DATELINE_DATA_DIR/secret.key``.

    The file is created once with 32 random bytes, mode 0600, by writing a private temp
    file and hard-linking it into place: the link either creates the complete file or
    fails because another worker won, so every worker ends up with the same key.
    """
    if settings.secret_key:
        return str(settings.secret_key).encode("utf-8")
    path = settings.data_path / SECRET_FILE
    if not path.exists():
        _create_secret(path)
    return _read_secret(path)


def _create_secret(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(SECRET_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
    except FileExistsError:
        pass  # another worker created it first: use theirs
    finally:
        tmp.unlink(missing_ok=True)


def _read_secret(path: Path) -> bytes:
    deadline = time.monotonic() + SECRET_WAIT_SECONDS
    while True:
        data = path.read_bytes()
        if len(data) >= MIN_SECRET_BYTES:
            return data
        if time.monotonic() > deadline:
            raise ConfigError(
                f"{path}: secret key file is shorter than {MIN_SECRET_BYTES} bytes; "
                "delete it to generate a new one, or set DATELINE_SECRET_KEY"
            )
        time.sleep(0.05)
