"""Compute once, across worker processes and hosts: get → lock → get again → compute → set.

flask-caching's `memoize` has no lock (flask-caching#61): every caller that misses computes, so
N users asking for the same uncached value at once run the expensive step up to N times (as
many as there are free workers). Here the first caller to miss takes a lock named after the
value; the others wait for it, then find the value in the cache and read it.

The lock lives where every process can reach it:

- Redis (`RedisLocker`): a redis-py `Lock` with an expiry. Its holder renews it while it
  computes, so a long step keeps it, and a holder that dies (SIGKILL, a lost host) stops
  renewing: the lock frees itself within `LOCK_TTL_SECONDS`.
- the filesystem (`FileLocker`): `filelock` (flock) on files in `settings.locks_dir`, outside
  the cache directory (FileSystemCache counts every file there as an entry). The kernel drops
  the lock of a process that dies at once.

With Redis configured but unreachable there is no lock to take: the caller computes alone,
without lock and without cache (degraded mode), and never raises.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

import filelock
import redis
from redis.exceptions import LockError

from lab.backend import RedisLink, redis_link
from lab.disk import disk_failure, disk_link
from lab.i18n import N_
from lab.settings import Settings

log = logging.getLogger("lab.locks")

LOCK_TTL_SECONDS = 5.0  # a holder that stops renewing frees the lock after this long
WAIT_SECONDS = 60.0  # a waiter gives up after this long and computes for itself
POLL_SECONDS = 0.05  # how often a waiter looks at the lock
LOCK_PREFIX = "lab:lock:"
FILE_STRIPES = 256  # lock files are shared by names that hash alike: a bounded number of files

# What a caller got, and how.
HIT = "hit"  # the value was in the cache
COMPUTED = "computed"  # this caller computed it (holding the lock)
WAITED = "waited"  # another caller was computing it: this one waited, then read it
DEGRADED = "degraded"  # no lock could be taken (Redis down): computed alone, not cached
GAVE_UP = "gave-up"  # waited WAIT_SECONDS for the lock, then computed without it


class LockUnavailable(RuntimeError):
    """The lock service cannot be reached (Redis is down, the lock files' disk refuses writes)."""


class Hold:
    """A lock taken (`held`), or given up on after waiting (`held` is False). Release it once,
    or use it as a context manager."""

    def __init__(self, held: bool, release: Callable[[], None] = lambda: None):
        self.held = held
        self._release = release

    def release(self) -> None:
        release, self._release = self._release, lambda: None
        release()

    def __enter__(self) -> Hold:
        return self

    def __exit__(self, *_exc) -> None:
        self.release()


class Locker(Protocol):
    kind: str

    def acquire(self, name: str, wait: float = WAIT_SECONDS) -> Hold:
        """Wait up to `wait` seconds for the lock `name`. Raises LockUnavailable when the lock
        service cannot be reached."""


class RedisLocker:
    """A redis-py `Lock` per name, renewed by its holder while it computes."""

    kind = N_("Redis lock")

    def __init__(self, link: RedisLink, ttl: float = LOCK_TTL_SECONDS, prefix: str = LOCK_PREFIX):
        self.link, self.ttl, self.prefix = link, ttl, prefix

    def acquire(self, name: str, wait: float = WAIT_SECONDS) -> Hold:
        lock = self.link.client.lock(self.prefix + name, timeout=self.ttl, sleep=POLL_SECONDS,
                                     blocking_timeout=wait, thread_local=False)
        # `call` answers None instead of raising while Redis is down (and remembers it for a second).
        acquired = self.link.call(lock.acquire)
        if acquired is None:
            raise LockUnavailable(self.link.last_error or "Redis is unreachable")
        if not acquired:
            return Hold(False)
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(lock, stop), name="lab-lock-renewer", daemon=True)
        renewer.start()

        def release() -> None:
            stop.set()
            renewer.join()
            try:
                lock.release()
            except (LockError, redis.RedisError):
                pass  # it expired, or Redis went away: either way it blocks nobody

        return Hold(True, release)

    def _renew(self, lock, stop: threading.Event) -> None:
        while not stop.wait(self.ttl / 3):
            try:
                lock.extend(self.ttl, replace_ttl=True)
            except (LockError, redis.RedisError):
                return


class FileLocker:
    """`filelock` on a bounded set of lock files in `directory`."""

    kind = N_("file lock")

    def __init__(self, directory: Path, stripes: int = FILE_STRIPES):
        self.directory, self.stripes = Path(directory), stripes
        self.directory.mkdir(parents=True, exist_ok=True)

    def path_for(self, name: str) -> Path:
        stripe = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big") % self.stripes
        return self.directory / f"flight-{stripe:03d}.lock"

    def acquire(self, name: str, wait: float = WAIT_SECONDS) -> Hold:
        # A new object per use: two threads of one process exclude each other too (flock is per
        # open file), and nothing crosses a fork.
        lock = filelock.FileLock(self.path_for(name), timeout=wait, thread_local=False, poll_interval=POLL_SECONDS)
        try:
            lock.acquire()
        except filelock.Timeout:
            return Hold(False)
        except OSError as exc:  # a lock file on a read-only or full disk: no lock to take
            if not disk_failure(exc):
                raise
            disk_link(self.directory.parent).note_failure(exc)
            raise LockUnavailable(f"{type(exc).__name__}: {exc}") from None
        return Hold(True, lock.release)


@functools.lru_cache(maxsize=4)
def locker_for(settings: Settings) -> Locker:
    """The lock that matches the active cache backend."""
    if settings.redis_url:
        return RedisLocker(redis_link(settings.redis_url))
    return FileLocker(settings.locks_dir)


@dataclass(frozen=True)
class Flight:
    """What one caller got: the value, how (HIT, COMPUTED, WAITED, DEGRADED, GAVE_UP), and how
    long it waited for the lock."""

    value: Any
    source: str
    waited_ms: float = 0.0


def single_flight(locker: Locker, name: str, get: Callable[[], Any], compute: Callable[[], Any],
                  put: Callable[[Any], Any], wait: float = WAIT_SECONDS) -> Flight:
    """get → lock → get again → compute → put. `get` answers None for a miss.

    A caller that finds the lock taken says so in the log (`waiting for the lock: name=… pid=…`)
    before it waits: the server's own account of who waited on whom."""
    value = get()
    if value is not None:
        return Flight(value, HIT)
    t0 = time.perf_counter()
    try:
        hold = locker.acquire(name, 0)
        if not hold.held:
            log.info("waiting for the lock: name=%s pid=%d", name, os.getpid())
            hold = locker.acquire(name, wait)
    except LockUnavailable:
        return Flight(compute(), DEGRADED)
    with hold:
        waited_ms = (time.perf_counter() - t0) * 1000.0
        value = get()
        if value is not None:
            return Flight(value, WAITED, waited_ms)
        value = compute()
        put(value)
        return Flight(value, COMPUTED if hold.held else GAVE_UP, waited_ms)


def cached(cache, locker: Locker, key: str, compute: Callable[[], Any], timeout: int | None = None,
           wait: float = WAIT_SECONDS) -> Flight:
    """`single_flight` on a flask-caching cache (or any object with get/set): the value of `key`,
    computed at most once at a time across every process that shares the cache and the lock."""
    return single_flight(locker, key, lambda: cache.get(key), compute,
                         lambda value: cache.set(key, value, timeout=timeout), wait)
