"""What each worker's copy of a module-level variable holds, published for lesson 2's table.

A page cannot look inside another process, so each worker publishes its own copy here whenever it
serves the lesson, and the table reads every live worker's. Small and bounded on both backends:

- Redis: one hash per name, `lab:copies:<name>`, field = worker PID, value = JSON; it expires an
  hour after the last publish.
- the filesystem: one SQLite table, `copies (name, pid, value)`, in `$DATA_DIR/copies.sqlite3`.

Reading drops the copies of workers that are no longer live, and a fresh start (`prepare`, in the
gunicorn master before workers fork) drops them all, so the store holds at most one row per live
worker and name, and a restarted lab never shows the previous run's copies.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from pathlib import Path
from typing import Any

from lab.backend import redis_link
from lab.disk import ProcessConnection, connect
from lab.settings import Settings

PREFIX = "lab:copies:"
IDLE_SECONDS = 3600


class RedisCopies:
    def __init__(self, url: str):
        self.link = redis_link(url)

    def publish(self, name: str, pid: int, value: Any) -> None:
        def run():
            pipe = self.link.client.pipeline(transaction=False)
            pipe.hset(PREFIX + name, str(pid), json.dumps(value))
            pipe.expire(PREFIX + name, IDLE_SECONDS)
            pipe.execute()

        self.link.call(run)

    def read(self, name: str, live: list[int]) -> dict[int, Any]:
        raw = self.link.call(self.link.client.hgetall, PREFIX + name, default={})
        copies = {int(pid): json.loads(value) for pid, value in raw.items()}
        gone = [str(pid) for pid in copies if pid not in live]
        if gone:
            self.link.call(self.link.client.hdel, PREFIX + name, *gone)
        return {pid: value for pid, value in copies.items() if pid in live}

    def forget_all(self) -> None:
        def run():
            keys = list(self.link.client.scan_iter(PREFIX + "*", count=1000))
            if keys:
                self.link.client.delete(*keys)

        self.link.call(run)


class SqliteCopies:
    """One connection per process, opened after the fork."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = ProcessConnection(self.path, self._open)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        conn = connect(path)
        conn.execute("CREATE TABLE IF NOT EXISTS copies (name TEXT NOT NULL, pid INTEGER NOT NULL, "
                     "value TEXT NOT NULL, PRIMARY KEY (name, pid)) WITHOUT ROWID")
        return conn

    def _run(self, sql: str, args=()) -> list:
        """The rows of `sql`; none when the disk refuses (full, read-only)."""
        return self._db.run(lambda conn: conn.execute(sql, args).fetchall(), default=[])

    def close(self) -> None:
        self._db.close()

    def publish(self, name: str, pid: int, value: Any) -> None:
        self._run("INSERT INTO copies (name, pid, value) VALUES (?, ?, ?) "
                  "ON CONFLICT (name, pid) DO UPDATE SET value = excluded.value", (name, pid, json.dumps(value)))

    def read(self, name: str, live: list[int]) -> dict[int, Any]:
        copies = {pid: json.loads(value) for pid, value in
                  self._run("SELECT pid, value FROM copies WHERE name = ?", (name,))}
        for pid in copies:
            if pid not in live:
                self._run("DELETE FROM copies WHERE name = ? AND pid = ?", (name, pid))
        return {pid: value for pid, value in copies.items() if pid in live}

    def forget_all(self) -> None:
        self._run("DELETE FROM copies")


@functools.lru_cache(maxsize=4)
def copies_for(settings: Settings) -> RedisCopies | SqliteCopies:
    """The process's handle on the shared copies of the active backend."""
    if settings.redis_url:
        return RedisCopies(settings.redis_url)
    return SqliteCopies(settings.data_dir / "copies.sqlite3")


def prepare(settings: Settings) -> None:
    """A fresh start (in the gunicorn master, before workers fork): forget every earlier copy."""
    copies = copies_for(settings)
    copies.forget_all()
    if isinstance(copies, SqliteCopies):
        copies.close()  # a connection must not cross the fork

