"""The connection to Redis, and what the app does when Redis is configured but unreachable.

Redis is optional: with no REDIS_URL the lab runs on the filesystem. When REDIS_URL is set but
the server is down, nothing may crash: every call that needs Redis goes through `RedisLink.call`,
which returns a fallback value instead of raising, and remembers the failure for a second so a
dead server costs one refused connection per second per worker, not one per request. redis-py
reconnects by itself on the next call once the server is back, so recovery needs no restart.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any, Callable, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from lab.settings import mask_url

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_AFTER_SECONDS = 1.0


class RedisLink:
    """One redis-py client per process, plus a short memory of its last failure.

    The memory is a local observation about a connection (like a socket's state), never data
    the app serves, so keeping it per process is right: each worker finds out for itself.
    """

    def __init__(self, url: str):
        self.url = url
        self.client = redis.Redis.from_url(
            url,
            socket_connect_timeout=0.5,
            socket_timeout=5.0,
            # One quick retry covers a connection that went stale while Redis restarted.
            retry=Retry(NoBackoff(), 1),
            health_check_interval=15,
        )
        self._lock = threading.Lock()
        self._down_until = 0.0
        self.last_error: str | None = None

    @property
    def display_url(self) -> str:
        return mask_url(self.url)

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            first = self._down_until == 0.0 and self.last_error is None
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            self.last_error = f"{type(exc).__name__}: {exc}"
        if first:
            log.warning("Redis at %s is unreachable (%s): degraded mode", self.display_url, self.last_error)

    def _succeeded(self) -> None:
        if self.last_error is not None:
            with self._lock:
                if self.last_error is not None:
                    log.warning("Redis at %s is reachable again", self.display_url)
                self._down_until = 0.0
                self.last_error = None

    def recently_failed(self) -> bool:
        return time.monotonic() < self._down_until

    def call(self, fn: Callable[..., T], *args: Any, default: T = None, **kwargs: Any) -> T:
        """Run `fn` (a redis-py call); on any Redis error return `default` instead of raising."""
        if self.recently_failed():
            return default
        try:
            result = fn(*args, **kwargs)
        except redis.RedisError as exc:
            self._failed(exc)
            return default
        self._succeeded()
        return result

    def reachable(self, fresh: bool = False) -> bool:
        """Ping Redis. Unless `fresh`, a failure less than a second ago answers False without trying."""
        if fresh:
            try:
                self.client.ping()
            except redis.RedisError as exc:
                self._failed(exc)
                return False
            self._succeeded()
            return True
        return bool(self.call(self.client.ping, default=False))


@functools.lru_cache(maxsize=8)
def redis_link(url: str) -> RedisLink:
    """The process's link for `url`. redis-py's pool notices a fork and reconnects in the child."""
    return RedisLink(url)
