"""The server-side cache shared by every worker: flask-caching on Redis or on the filesystem.

`cache` is created here once and attached in `app.py` with `cache.init_app(server, config=...)`.
The backend is chosen from the settings: `RedisCache` when REDIS_URL is set, otherwise
`FileSystemCache` in CACHE_DIR (flask-caching 2.5 needs the class names: the short names of
older docs, 'redis' and 'filesystem', make gunicorn workers fail to boot).

On Redis the backend is `ResilientRedisCache`, a `RedisCache` whose every operation degrades to
a cache miss (and a failed write) while Redis is unreachable, so callbacks fall back to
computing without the shared cache instead of answering 500.
"""

from __future__ import annotations

from typing import Any

from flask_caching import Cache
from flask_caching.backends.filesystemcache import FileSystemCache
from flask_caching.backends.rediscache import RedisCache

from lab.backend import RedisLink, redis_link
from lab.settings import Settings

CACHE_KEY_PREFIX = "lab:cache:"

cache = Cache()


class ResilientRedisCache(RedisCache):
    """flask-caching's RedisCache that answers like an empty cache while Redis is down."""

    def __init__(self, link: RedisLink, **kwargs: Any):
        super().__init__(host=link.client, **kwargs)
        self.link = link

    @classmethod
    def factory(cls, app, config, args, kwargs):
        kwargs.pop("ignore_delete_many_errors", None)
        return cls(
            redis_link(config["CACHE_REDIS_URL"]),
            key_prefix=config.get("CACHE_KEY_PREFIX"),
            **kwargs,
        )

    def _call(self, name: str, *args: Any, default: Any = None) -> Any:
        return self.link.call(getattr(super(), name), *args, default=default)

    def get(self, key):
        return self._call("get", key)

    def get_many(self, *keys):
        return self._call("get_many", *keys, default=[None] * len(keys))

    def has(self, key):
        return self._call("has", key, default=False)

    def set(self, key, value, timeout=None):
        return self._call("set", key, value, timeout, default=False)

    def add(self, key, value, timeout=None):
        return self._call("add", key, value, timeout, default=False)

    def set_many(self, mapping, timeout=None):
        return self._call("set_many", mapping, timeout, default=[])

    def delete(self, key):
        return self._call("delete", key, default=False)

    def delete_many(self, *keys):
        return self._call("delete_many", *keys, default=[])

    def clear(self):
        return self._call("clear", default=False)

    def inc(self, key, delta=1):
        return self._call("inc", key, delta)

    def dec(self, key, delta=1):
        return self._call("dec", key, delta)


def cache_config(settings: Settings) -> dict[str, Any]:
    """The flask-caching configuration for the active backend."""
    if settings.redis_url:
        return {
            "CACHE_TYPE": "lab.cache.ResilientRedisCache",
            "CACHE_REDIS_URL": settings.redis_url,
            "CACHE_KEY_PREFIX": CACHE_KEY_PREFIX,
            "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout,
        }
    return {
        "CACHE_TYPE": "FileSystemCache",
        "CACHE_DIR": str(settings.cache_dir),
        "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout,
        # flask-caching's own file-count threshold is not enforced across processes; the
        # bounds the lessons need (sessions) are enforced by the lab itself.
        "CACHE_THRESHOLD": 100_000,
    }


def active_backend(app) -> str:
    """`redis` or `filesystem`, read from the cache object actually attached to `app`."""
    backend = cache.cache if app is None else app.extensions["cache"][cache]
    if isinstance(backend, RedisCache):
        return "redis"
    if isinstance(backend, FileSystemCache):
        return "filesystem"
    raise RuntimeError(f"unexpected cache backend {type(backend).__name__}: the lab needs Redis or the filesystem")
