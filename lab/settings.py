"""Configuration in one place: read from the environment, validated, with safe defaults.

Every process (the gunicorn master, each worker, the dev server, the tests) reads the same
variables, so a value given once on the command line is exported to the environment by the
launcher and every worker sees it. A bad value stops start-up with one line that names the
variable and what it accepts.
"""

from __future__ import annotations

import functools
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent

MAX_WORKERS = 32


class SettingsError(ValueError):
    """A configuration value is invalid; the message is one line naming the variable."""


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None
    data_dir: Path = PROJECT_DIR / ".lab-data"
    cache_dir: Path = PROJECT_DIR / ".lab-data" / "cache"
    workers: int = 4
    celery_workers: int = 4
    host: str = "127.0.0.1"
    port: int = 8050
    step_seconds: float = 3.0
    max_sessions: int = 100
    cache_timeout: int = 300
    visit_idle_seconds: int = 3600
    max_visits: int = 1000
    instructor_token: str | None = None
    instruments: bool = True
    secret_key: str = field(default="", repr=False)

    @property
    def backend(self) -> str:
        """`redis` when REDIS_URL is set, otherwise `filesystem`."""
        return "redis" if self.redis_url else "filesystem"

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/"

    @property
    def locks_dir(self) -> Path:
        # Outside the cache directory: FileSystemCache counts every file there as an entry.
        return self.data_dir / "locks"

    @property
    def redis_url_display(self) -> str | None:
        return mask_url(self.redis_url) if self.redis_url else None


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to print or show in a page."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


# -- parsing -----------------------------------------------------------------------------------


def _number(env, name: str, default, lo, hi, parse, what: str):
    """`env[name]` parsed with `parse` and within [lo, hi], `default` when unset; otherwise one line
    naming the variable and what it accepts (`what`, e.g. "a whole number")."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError:
        value = None
    if value is None or value != value or not lo <= value <= hi:  # value != value: NaN
        shown = (lambda v: f"{v:g}") if parse is float else str
        raise SettingsError(f"{name} must be {what} from {shown(lo)} to {shown(hi)} (got {raw!r})")
    return value


def _int(env, name: str, default: int, lo: int, hi: int) -> int:
    return _number(env, name, default, lo, hi, int, "a whole number")


def _float(env, name: str, default: float, lo: float, hi: float) -> float:
    return _number(env, name, default, lo, hi, float, "a number of seconds")


def _switch(env, name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "on", "true", "yes"):
        return True
    if raw in ("0", "off", "false", "no"):
        return False
    raise SettingsError(f"{name} must be on or off (got {raw!r})")


def _redis_url(env) -> str | None:
    raw = env.get("REDIS_URL", "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise SettingsError(
            "REDIS_URL must look like redis://host:6379/0, rediss://… or unix:///path "
            f"(got {mask_url(raw)!r})"
        )
    if parts.scheme != "unix" and not parts.hostname:
        raise SettingsError(f"REDIS_URL must name a host, as in redis://127.0.0.1:6379/0 (got {mask_url(raw)!r})")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise SettingsError(f"REDIS_URL has an invalid port (got {mask_url(raw)!r})") from None
    return raw


def _host(env) -> str:
    raw = env.get("HOST", "").strip()
    if not raw:
        return "127.0.0.1"
    if any(c.isspace() for c in raw) or "/" in raw:
        raise SettingsError(f"HOST must be an address to listen on, such as 127.0.0.1 or 0.0.0.0 (got {raw!r})")
    return raw


def _dir(env, name: str, default: Path) -> Path:
    raw = env.get(name, "").strip()
    path = Path(raw).expanduser() if raw else default
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SettingsError(f"{name} must be a directory this user can create and write (got {str(path)!r}: {exc.strerror})") from None
    if not os.access(path, os.W_OK):
        raise SettingsError(f"{name} must be a directory this user can write (got {str(path)!r})")
    return path


def _secret_key(env, data_dir: Path) -> str:
    raw = env.get("SECRET_KEY", "").strip()
    if raw:
        if len(raw) < 16:
            raise SettingsError("SECRET_KEY must be at least 16 characters long (got a shorter value)")
        return raw
    return persisted_secret(data_dir / "secret_key")


def persisted_secret(path: Path) -> str:
    """Read the local-run secret, creating it once; safe when several workers start at once."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(secrets.token_urlsafe(32))
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, path)  # atomic: exactly one process wins, the others read its key
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def load_settings(env=None) -> Settings:
    """Parse and validate the configuration from `env` (default: os.environ)."""
    env = os.environ if env is None else env
    data_dir = _dir(env, "DATA_DIR", PROJECT_DIR / ".lab-data")
    return Settings(
        redis_url=_redis_url(env),
        data_dir=data_dir,
        cache_dir=_dir(env, "CACHE_DIR", data_dir / "cache"),
        workers=_int(env, "WORKERS", 4, 1, MAX_WORKERS),
        celery_workers=_int(env, "CELERY_WORKERS", 4, 1, MAX_WORKERS),
        host=_host(env),
        port=_int(env, "PORT", 8050, 1, 65535),
        step_seconds=_float(env, "STEP_SECONDS", 3.0, 0.0, 60.0),
        max_sessions=_int(env, "MAX_SESSIONS", 100, 1, 1_000_000),
        cache_timeout=_int(env, "CACHE_TIMEOUT", 300, 1, 7 * 24 * 3600),
        visit_idle_seconds=_int(env, "VISIT_IDLE_SECONDS", 3600, 10, 24 * 3600),
        max_visits=_int(env, "MAX_VISITS", 1000, 10, 1_000_000),
        instructor_token=env.get("INSTRUCTOR_TOKEN", "").strip() or None,
        instruments=_switch(env, "INSTRUMENTS", True),
        secret_key=_secret_key(env, data_dir),
    )


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, parsed once. Immutable configuration, not shared state."""
    return load_settings()
