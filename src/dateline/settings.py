"""One declarative registry of every setting, so docs, validation and `config --dump` agree.

Precedence, highest first: ``DATELINE_<NAME>`` environment variable, the TOML file
(``DATELINE_CONFIG`` or ``./dateline.toml``), the registry default.  A bad value fails at
start-up with the key named, never later in the middle of a batch.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dateline.errors import ConfigError

ENV_PREFIX = "DATELINE_"
CONFIG_ENV = "DATELINE_CONFIG"
DEFAULT_CONFIG_FILE = "dateline.toml"


def _parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean (true/false), got {raw!r}")


# Sizes are SI (decimal): kB/MB/GB are powers of 1000, as `ls -h --si`, disks and networks
# count; KiB/MiB/GiB are accepted too, as the powers of 1024 their names say. Sizes we print
# (ingest/files.py ``format_size``) use the same SI units, so "20MB" in, "20.0 MB" out.
_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
}


def _parse_size(raw: Any) -> int:
    """Byte sizes accept plain integers or a unit suffix (``20MB`` = 20,000,000; ``512 KiB``)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = str(raw).strip().lower().replace(" ", "")
        digits = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = text[len(digits) :]
        if not digits or unit not in _SIZE_UNITS:
            raise ValueError(f"expected a size like 20000000 or 20MB, got {raw!r}")
        value = int(float(digits) * _SIZE_UNITS[unit])
    if value <= 0:
        raise ValueError(f"must be positive, got {raw!r}")
    return value


def _parse_positive_float(raw: Any) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError(f"must be positive, got {raw!r}")
    return value


def _parse_fraction(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError(f"expected a number from 0 to 1, got {raw!r}")
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"must be from 0 to 1, got {raw!r}")
    return value


def _parse_non_negative_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError(f"expected an integer, got {raw!r}")
    value = int(raw)
    if value < 0:
        raise ValueError(f"must be >= 0, got {raw!r}")
    return value


def _parse_positive_int(raw: Any) -> int:
    value = _parse_non_negative_int(raw)
    if value == 0:
        raise ValueError(f"must be >= 1, got {raw!r}")
    return value


def _parse_budget(raw: Any) -> str:
    """``READER,IP``: requests per minute per reader cookie and per client address (0: no
    limit on that side); canonical form ``"30,600"``."""
    parts = [p.strip() for p in _parse_str(raw).split(",")]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(
            f"expected two whole numbers per minute, READER,IP (like 30,600), got {raw!r}"
        )
    return f"{int(parts[0])},{int(parts[1])}"


def _parse_admin_token(raw: Any) -> str:
    token = _parse_str(raw).strip()
    if token and len(token) < 32:
        raise ValueError("must be empty (admin API off) or at least 32 characters")
    return token


def _parse_networks(raw: Any) -> str:
    """Comma-separated CIDRs, each checked (``ipaddress``); their canonical forms, joined."""
    parts = [p.strip() for p in _parse_str(raw).split(",") if p.strip()]
    return ", ".join(str(ipaddress.ip_network(p, strict=False)) for p in parts)


def _parse_str(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"expected a string, got {raw!r}")
    return raw


def _parse_model(raw: Any) -> str:
    """A folder, or the name of an installed package (found, not imported: that is slow)."""
    text = _parse_str(raw).strip()
    if text and not Path(text).expanduser().is_dir():
        module = text.replace("-", "_")
        if not module.isidentifier() or importlib.util.find_spec(module) is None:
            raise ValueError(f"{text!r} is neither a folder nor an installed package")
    return text


def _parse_optional_datetime(raw: Any) -> str:
    text = str(raw).strip()
    if text:
        datetime.fromisoformat(text)  # raises ValueError with the reason
    return text


def _parse_log_level(raw: Any) -> str:
    level = str(raw).strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError(f"expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {raw!r}")
    return level


@dataclass(frozen=True)
class Setting:
    """One entry of the registry: what it is called, how it parses, what it is for."""

    name: str
    parse: Callable[[Any], Any]
    default: Any
    help: str
    type_name: str
    secret: bool = False

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()


REGISTRY: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        _parse_str,
        "./data",
        "Folder for the SQLite database, models and caches.",
        "path",
    ),
    Setting(
        "database_url",
        _parse_str,
        "",
        "SQLAlchemy URL of the store. Empty: SQLite at $DATELINE_DATA_DIR/dateline.db. "
        "postgresql://… and postgresql+psycopg://… both use psycopg 3.",
        "url",
        secret=True,
    ),
    Setting(
        "max_input_bytes",
        _parse_size,
        20_000_000,
        "Largest input accepted, in bytes (also the decompressed size of .gz input and the "
        "body of a fetched URL). Accepts units: 20MB (SI: MB = 1,000,000 bytes; MiB = "
        "1,048,576).",
        "size",
    ),
    Setting(
        "auto_migrate",
        _parse_bool,
        False,
        "Upgrade the database schema automatically at start-up instead of refusing a stale one.",
        "bool",
    ),
    Setting(
        "fetch_timeout",
        _parse_positive_float,
        20.0,
        "Seconds to wait for a URL (connect, read and write each).",
        "float",
    ),
    Setting(
        "fetch_max_redirects",
        _parse_non_negative_int,
        5,
        "Redirects followed before a fetch fails.",
        "int",
    ),
    Setting(
        "fetch_allow_networks",
        _parse_networks,
        "",
        "Networks a fetch may connect to although they are not public, as comma-separated "
        "CIDRs (e.g. 10.0.0.0/8, 127.0.0.1/32). Empty: private, loopback, link-local, "
        "shared (CGNAT), multicast and reserved addresses are all refused, redirects included.",
        "str",
    ),
    Setting(
        "user_agent",
        _parse_str,
        "Dateline/0.1 (+https://github.com/dateline-news/dateline; self-hosted news reader)",
        "User-Agent header sent when fetching URLs.",
        "str",
    ),
    Setting(
        "crawl_host_delay",
        _parse_positive_float,
        1.0,
        "Seconds between the starts of two requests to one host, across every crawler process "
        "(robots.txt's Crawl-delay lengthens it, up to 30 s; one request is in flight per host).",
        "float",
    ),
    Setting(
        "crawl_min_interval",
        _parse_positive_float,
        300.0,
        "Shortest adaptive interval between two polls of one subscription, in seconds.",
        "float",
    ),
    Setting(
        "crawl_max_interval",
        _parse_positive_float,
        86_400.0,
        "Longest adaptive interval between two polls of one subscription, in seconds "
        "(failures back off beyond it, up to 7 days).",
        "float",
    ),
    Setting(
        "crawl_concurrency",
        _parse_positive_int,
        4,
        "Subscriptions one crawler process polls at once, each on a host of its own: the "
        "one-request-per-host rule holds across every process whatever this is.",
        "int",
    ),
    Setting(
        "crawl_lease_seconds",
        _parse_positive_float,
        45.0,
        "How long a crawler's claim on a subscription lasts without a heartbeat: a killed "
        "crawler's subscriptions are polled by another one after at most this long.",
        "float",
    ),
    Setting(
        "limit_reactions",
        _parse_budget,
        "30,600",
        "Reactions per minute, per reader and per client address (READER,IP; 0: no limit). "
        "Each web worker keeps its own budget: with N workers a client may reach N times it.",
        "str",
    ),
    Setting(
        "limit_search",
        _parse_budget,
        "30,600",
        "Searches (page and API) per minute, per reader and per client address (READER,IP).",
        "str",
    ),
    Setting(
        "limit_api",
        _parse_budget,
        "300,3000",
        "Other /api/ requests per minute, per reader and per client address (READER,IP).",
        "str",
    ),
    Setting(
        "limit_controls",
        _parse_budget,
        "30,600",
        "Reader controls (less like this, mute, pause, reset, clear history) per minute, per "
        "reader and per client address (READER,IP).",
        "str",
    ),
    Setting(
        "views_per_ip_hour",
        _parse_non_negative_int,
        30,
        "Views one client address can add to one article per hour, however many cookies it "
        "presents (per web worker; 0: no bound). Bounds inflation by cookie resets.",
        "int",
    ),
    Setting(
        "reactions_per_ip_day",
        _parse_non_negative_int,
        30,
        "Reaction toggles one client address can make on one article per day, however many "
        "cookies it presents (per web worker; 0: no bound).",
        "int",
    ),
    Setting(
        "limit_exempt_networks",
        _parse_networks,
        "127.0.0.1/32, ::1/128",
        "Client addresses that stand for many readers (a reverse proxy on this machine that "
        "does not forward the client's address): per-address budgets and bounds skip them, "
        "per-reader ones still apply. Behind a proxy, forward X-Forwarded-For instead.",
        "str",
    ),
    Setting(
        "enrich_on_ingest",
        _parse_bool,
        True,
        "Run the enrich stage (dates, categories, entities, stories, source scores) on "
        "what `dateline ingest` stored. Off: run `dateline enrich` later.",
        "bool",
    ),
    Setting(
        "embed_model",
        _parse_model,
        "",
        "Sentence-embedding model for stories and Related: an installed package bundling a "
        "sentence-transformers model, or a local folder holding one (nothing is downloaded). "
        "Empty: the bundled all-MiniLM-L6-v2. Vectors record their model: after a switch, "
        "`dateline enrich --all` re-embeds. Runs on CUDA when available, else the CPU.",
        "str",
    ),
    Setting("log_level", _parse_log_level, "WARNING", "Logging level for the CLI.", "str"),
    Setting(
        "site_name", _parse_str, "Dateline", "Name of the site shown in pages and feeds.", "str"
    ),
    Setting(
        "base_url",
        _parse_str,
        "http://127.0.0.1:8000",
        "Public address of the site, for canonical links, feeds and the sitemap.",
        "url",
    ),
    Setting(
        "secret_key",
        _parse_str,
        "",
        "Key for CSRF tokens and hashing cookieless clients. Empty: generated once into "
        "$DATELINE_DATA_DIR/secret.key.",
        "str",
        secret=True,
    ),
    Setting(
        "admin_token",
        _parse_admin_token,
        "",
        "Bearer token of the admin API (/api/v1/admin: hide articles, merge and split "
        "stories, mark sources, pause subscriptions); at least 32 characters. Empty: the "
        "admin API is off (`dateline admin` works without it).",
        "str",
        secret=True,
    ),
    Setting(
        "site_clock",
        _parse_optional_datetime,
        "",
        "Pin the site's clock for time-decayed lists to this ISO date-time (the demo pins "
        "it to its newest article). Empty: the real time.",
        "datetime",
    ),
    Setting(
        "event_retention_days",
        _parse_non_negative_int,
        90,
        "Raw reader events older than this are deleted; their counts live on in daily aggregates.",
        "int",
    ),
    Setting(
        "event_flush_seconds",
        _parse_positive_float,
        1.0,
        "Views and impressions are written in batches at most this many seconds apart "
        "(the most a crash can lose, unless the database falls behind under overload).",
        "float",
    ),
    Setting(
        "page_cache_seconds",
        _parse_positive_float,
        5.0,
        "Longest time a cached page may show stale counts or lists (plus the time to "
        "rebuild it; stale entries are rebuilt in the background from 3/4 of this).",
        "float",
    ),
    Setting(
        "impression_sample_rate",
        _parse_fraction,
        0.05,
        "Fraction of viewers (a stable choice by a hash of the viewer) whose list "
        "impressions and list clicks are stored; 1 stores all. Each counted article view "
        "stores up to 26 impression rows, about 9x the write cost of the view itself, which "
        "SQLite's single writer cannot sustain under load.",
        "float",
    ),
)

_BY_NAME = {s.name: s for s in REGISTRY}


@dataclass(frozen=True)
class Settings:
    """Resolved settings; ``origin`` says where each value came from (env, file or default)."""

    values: Mapping[str, Any]
    origin: Mapping[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def data_path(self) -> Path:
        return Path(self.values["data_dir"]).expanduser()

    @property
    def resolved_database_url(self) -> str:
        """The URL the store uses: the configured one, or SQLite in the data folder."""
        url = self.values["database_url"]
        if url:
            return normalise_database_url(url)
        return f"sqlite:///{(self.data_path / 'dateline.db').resolve()}"

    def dump(self) -> list[tuple[str, str, str]]:
        """(env var, shown value, origin) rows with secrets masked, for `config --dump`."""
        rows = []
        for setting in REGISTRY:
            value = self.values[setting.name]
            shown = _mask(setting, value)
            rows.append((setting.env_var, shown, self.origin.get(setting.name, "default")))
        return rows


def normalise_database_url(url: str) -> str:
    """A plain ``postgresql://`` URL means psycopg 3, not SQLAlchemy's psycopg2 default."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _mask(setting: Setting, value: Any) -> str:
    if not setting.secret or value in ("", None):
        return str(value)
    text = str(value)
    if setting.name == "database_url" and "@" in text and "://" in text:
        # Keep the shape (driver, host, database) useful; hide only the credentials.
        scheme, rest = text.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
    return "***"


def _config_file(environ: Mapping[str, str]) -> Path | None:
    explicit = environ.get(CONFIG_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV}: config file {path} does not exist")
        return path
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Resolve every setting; raise ConfigError naming the first bad key."""
    environ = os.environ if environ is None else environ
    file_values: dict[str, Any] = {}
    path = _config_file(environ)
    if path is not None:
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
        unknown = sorted(set(file_values) - set(_BY_NAME))
        if unknown:
            raise ConfigError(f"{path}: unknown setting(s): {', '.join(unknown)}")
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for setting in REGISTRY:
        if overrides and setting.name in overrides:
            raw, where, key = overrides[setting.name], "override", setting.name
        elif setting.env_var in environ:
            raw, where, key = environ[setting.env_var], "env", setting.env_var
        elif setting.name in file_values:
            raw, where, key = file_values[setting.name], f"file {path}", f"{path}: {setting.name}"
        else:
            values[setting.name], origin[setting.name] = setting.default, "default"
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{key}: invalid {setting.type_name}: {exc}") from exc
        origin[setting.name] = where
    return Settings(values=values, origin=origin)
