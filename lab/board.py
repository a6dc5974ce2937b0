"""A small noticeboard every process shares: a few named JSON documents, and claims with an expiry.

What the comparison runner needs to tell every worker and every browser (the run in progress, the
latest result) lives here, in Redis or, with no Redis, in an SQLite database on disk — never in a
process's memory, which the other workers cannot see.

- `put` / `get` / `delete`: a named document (a JSON object), optionally expiring after `ttl` s.
- `claim` / `renew` / `release`: a named claim held by an owner (a string) for `ttl` seconds, taken
  atomically only when nobody holds it: "one comparison at a time" across every process and host.
  An owner that dies stops renewing, and the claim frees itself when its ttl runs out.

Keys: Redis `lab:board:doc:<name>` (a JSON string) and `lab:board:claim:<name>` (the owner), with
PX expiries; SQLite one table `board(kind, name, value, expires)`. The set of names is fixed by
the code, so both stay a handful of entries. With Redis configured but unreachable every call
degrades (None, False) instead of raising; `available()` says so.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
from abc import ABC, abstractmethod
from pathlib import Path

from lab.backend import RedisLink, redis_link
from lab.disk import ProcessConnection, connect, disk_link
from lab.settings import Settings


class Board(ABC):
    kind = "abstract"

    @abstractmethod
    def get(self, name: str) -> dict | None:
        """The document `name`, or None (absent, expired, or the store unreachable)."""

    @abstractmethod
    def put(self, name: str, doc: dict, ttl: float | None = None) -> bool:
        """Write the document `name` (replacing it); it expires after `ttl` seconds if given."""

    @abstractmethod
    def delete(self, name: str) -> None: ...

    @abstractmethod
    def claim(self, name: str, owner: str, ttl: float) -> bool:
        """Take the claim `name` for `owner` if nobody holds it; True when taken."""

    @abstractmethod
    def renew(self, name: str, owner: str, ttl: float) -> bool:
        """Extend `owner`'s claim by `ttl` seconds from now; False when `owner` no longer holds it."""

    @abstractmethod
    def release(self, name: str, owner: str) -> None:
        """Drop the claim if `owner` holds it (a claim taken over by someone else is left alone)."""

    @abstractmethod
    def holder(self, name: str) -> str | None:
        """Who holds the claim `name` right now, or None."""

    @abstractmethod
    def available(self) -> bool: ...


# -- Redis ------------------------------------------------------------------------------------

_RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class RedisBoard(Board):
    kind = "redis"

    def __init__(self, link: RedisLink, prefix: str = "lab:board:"):
        self.link, self.prefix = link, prefix
        self._renew = link.client.register_script(_RENEW)
        self._release = link.client.register_script(_RELEASE)

    def _doc(self, name: str) -> str:
        return f"{self.prefix}doc:{name}"

    def _claim(self, name: str) -> str:
        return f"{self.prefix}claim:{name}"

    def get(self, name):
        raw = self.link.call(self.link.client.get, self._doc(name))
        return json.loads(raw) if raw else None

    def put(self, name, doc, ttl=None):
        px = None if ttl is None else max(1, int(ttl * 1000))
        return bool(self.link.call(self.link.client.set, self._doc(name), json.dumps(doc), px=px, default=False))

    def delete(self, name):
        self.link.call(self.link.client.delete, self._doc(name))

    def claim(self, name, owner, ttl):
        return bool(self.link.call(self.link.client.set, self._claim(name), owner, nx=True,
                                   px=max(1, int(ttl * 1000)), default=False))

    def renew(self, name, owner, ttl):
        return bool(self.link.call(self._renew, keys=[self._claim(name)], args=[owner, max(1, int(ttl * 1000))],
                                   default=0))

    def release(self, name, owner):
        self.link.call(self._release, keys=[self._claim(name)], args=[owner])

    def holder(self, name):
        raw = self.link.call(self.link.client.get, self._claim(name))
        return raw.decode() if raw else None

    def available(self):
        return self.link.reachable()


# -- SQLite -----------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS board (
    kind TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, expires REAL,
    PRIMARY KEY (kind, name)) WITHOUT ROWID;
"""


class SqliteBoard(Board):
    """One small SQLite database (WAL); one connection per process, opened after the fork."""

    kind = "sqlite"

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = ProcessConnection(self.path, self._open)

    @classmethod
    def _open(cls, path: Path) -> sqlite3.Connection:
        cls.create(path)
        return connect(path)

    @staticmethod
    def create(path: Path) -> None:
        """Create the database (before workers fork, so their first opens don't race)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
        finally:
            conn.close()

    def _run(self, fn, write: bool = False):
        """`fn(connection)`, in a transaction if `write`; None when the disk refuses (full, read-only)."""
        return self._db.run(fn, write)

    @staticmethod
    def _live(conn, kind: str, name: str) -> str | None:
        row = conn.execute("SELECT value FROM board WHERE kind = ? AND name = ? AND (expires IS NULL OR expires > ?)",
                           (kind, name, time.time())).fetchone()
        return row[0] if row else None

    @staticmethod
    def _write(conn, kind: str, name: str, value: str, ttl: float | None) -> None:
        conn.execute("INSERT OR REPLACE INTO board (kind, name, value, expires) VALUES (?, ?, ?, ?)",
                     (kind, name, value, None if ttl is None else time.time() + ttl))

    def get(self, name):
        raw = self._run(lambda c: self._live(c, "doc", name))
        return json.loads(raw) if raw else None

    def put(self, name, doc, ttl=None):
        self._run(lambda c: self._write(c, "doc", name, json.dumps(doc), ttl), write=True)
        return True

    def delete(self, name):
        self._run(lambda c: c.execute("DELETE FROM board WHERE kind = 'doc' AND name = ?", (name,)), write=True)

    def claim(self, name, owner, ttl):
        def run(c):
            if self._live(c, "claim", name) is not None:
                return False
            self._write(c, "claim", name, owner, ttl)
            return True

        return self._run(run, write=True)

    def renew(self, name, owner, ttl):
        def run(c):
            if self._live(c, "claim", name) != owner:
                return False
            self._write(c, "claim", name, owner, ttl)
            return True

        return self._run(run, write=True)

    def release(self, name, owner):
        self._run(lambda c: c.execute("DELETE FROM board WHERE kind = 'claim' AND name = ? AND value = ?",
                                      (name, owner)), write=True)

    def holder(self, name):
        return self._run(lambda c: self._live(c, "claim", name))

    def available(self):
        return disk_link(self.path.parent).writable()


def sqlite_path(settings: Settings) -> Path:
    return settings.data_dir / "board.sqlite3"


@functools.lru_cache(maxsize=4)
def board_for(settings: Settings) -> Board:
    """The process's handle on the shared board of the active backend."""
    if settings.redis_url:
        return RedisBoard(redis_link(settings.redis_url))
    return SqliteBoard(sqlite_path(settings))


def prepare_board(settings: Settings) -> None:
    """Run in the gunicorn master before workers fork."""
    if not settings.redis_url:
        SqliteBoard.create(sqlite_path(settings))
