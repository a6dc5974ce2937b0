"""The data directory as something that can fail while the lab runs: a disk that fills up, a
volume remounted read-only.

Start-up already refuses a DATA_DIR it cannot write (`lab.settings`). This is for afterwards, on
the filesystem backend: the on-disk stores (meters, sessions, board, worker copies) and the file
locks run their SQLite and file calls through `DiskLink.call`, which answers a fallback value
instead of raising when the disk refuses a write, as `RedisLink.call` does for Redis. Callbacks
keep answering (they compute without the cache, the meters pause), the degraded banner and
`/api/health` say the directory cannot be written, and the lab notices by itself when it can
again. Any other error is a bug and still raises.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

PROBE_EVERY_SECONDS = 1.0  # a worker writes a small probe file at most this often
PROBE_BYTES = 4096

# SQLite's primary result codes for a directory it cannot write: READONLY, IOERR, FULL, CANTOPEN.
_SQLITE_CODES = {8, 10, 13, 14}
_SQLITE_TEXTS = ("disk is full", "readonly", "read-only", "disk i/o error", "unable to open database")
_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO, errno.EACCES, errno.EPERM}


def disk_failure(exc: BaseException) -> bool:
    """Whether `exc` says the disk refused (full, read-only, not permitted), not that the code is wrong."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        if code is not None:
            return (code & 0xFF) in _SQLITE_CODES
        return any(text in str(exc).lower() for text in _SQLITE_TEXTS)
    return isinstance(exc, OSError) and exc.errno in _ERRNOS


def rollback(conn: sqlite3.Connection) -> None:
    """ROLLBACK after a failed write. SQLite has already rolled back after some errors (a full disk),
    and a second failure must not hide the first."""
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass


class DiskLink:
    """A directory's writability as this process last saw it (like a socket's state, per process)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self.last_error: str | None = None

    def note_failure(self, exc: BaseException) -> None:
        """Remember that the disk refused a write (`exc`); logged once until it is writable again."""
        with self._lock:
            first = self.last_error is None
            self.last_error = f"{type(exc).__name__}: {exc}"
            self._checked_at = time.monotonic()
        if first:
            log.warning("the data directory %s cannot be written (%s): degraded mode", self.directory, self.last_error)

    def _succeeded(self) -> None:
        with self._lock:
            was = self.last_error
            self.last_error = None
            self._checked_at = time.monotonic()
        if was is not None:
            log.warning("the data directory %s can be written again", self.directory)

    def call(self, fn: Callable[..., T], *args: Any, default: T = None, **kwargs: Any) -> T:
        """Run `fn`; when the disk refuses, remember it and return `default` instead of raising."""
        try:
            return fn(*args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            if not disk_failure(exc):
                raise
            self.note_failure(exc)
            return default

    def writable(self, fresh: bool = False) -> bool:
        """Whether a small write succeeds: tried now with `fresh`, otherwise at most once a second."""
        if fresh or time.monotonic() - self._checked_at >= PROBE_EVERY_SECONDS:
            self._probe()
        return self.last_error is None

    def _probe(self) -> None:
        path = self.directory / f".write-probe-{os.getpid()}"
        try:
            # No fsync: a full tmpfs or ext4 refuses the write itself, and a poll must stay cheap.
            with open(path, "wb") as probe:
                probe.write(b"\0" * PROBE_BYTES)
        except OSError as exc:
            self.note_failure(exc)
        else:
            self._succeeded()
        finally:
            try:
                path.unlink()
            except OSError:
                pass


@functools.lru_cache(maxsize=8)
def disk_link(directory: Path) -> DiskLink:
    """The process's link for `directory` (the data directory)."""
    return DiskLink(Path(directory))


def connect(path: Path, timeout: float = 10.0) -> sqlite3.Connection:
    """A process's connection to the SQLite file `path` as the stores use it: its directory made,
    autocommit (each store opens its own transactions), usable from the thread that holds the
    ProcessConnection's lock, and waiting up to `timeout` s for another process's write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    return conn


class ProcessConnection:
    """The one SQLite connection a process holds to `path` (the meters, the session store, the
    board, the worker copies), opened by `open_(path)` on first use in each process, and used one
    thread at a time.

    A connection never crosses a fork. A process forked from one that has it open (a background job
    forked from a web worker) must not inherit it mid-statement: SQLite's per-process lock
    bookkeeping, copied while another thread was writing, made about one job in 30 fail its first
    write with "database is locked". So a fork waits for the connection to be idle, and the child
    leaves the inherited connection alone: never used, and never closed (closing it in the child
    could release the child's own POSIX locks, or wait on a mutex another thread held at the fork).
    """

    def __init__(self, path: Path, open_: Callable[[Path], sqlite3.Connection]):
        self.path = Path(path)
        self._open = open_
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._inherited: list[sqlite3.Connection] = []
        # Methods, not the lock's own: the child replaces `_lock`, and its own forks must use the new one.
        os.register_at_fork(before=self._before_fork, after_in_parent=self._after_fork_in_parent,
                            after_in_child=self._forked)

    def _before_fork(self) -> None:
        self._lock.acquire()

    def _after_fork_in_parent(self) -> None:
        self._lock.release()

    def _forked(self) -> None:
        self._lock = threading.Lock()
        if self._conn is not None:
            self._inherited.append(self._conn)
            self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            self._conn, self._pid = self._open(self.path), os.getpid()
        return self._conn

    def run(self, fn: Callable[[sqlite3.Connection], T], write: bool = False, default: Any = None):
        """`fn(connection)`, in a transaction if `write`; `default` when the disk refuses (full,
        read-only)."""
        def run():
            with self._lock:
                conn = self._connection()
                if not write:
                    return fn(conn)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        rollback(conn)
                    raise
                return result

        return disk_link(self.path.parent).call(run, default=default)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
