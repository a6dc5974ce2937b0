"""The lab's own shared figures: callbacks, bytes, latencies and real executions of expensive steps.

The lab practises what it teaches: these figures are written by every worker and read by every
worker, so they live in Redis or, with no Redis, in an SQLite database in WAL mode on disk, never
in process globals. Both stores implement the same few primitives (atomic counter increments, a
capped list of each visit's latest calls, folding workers away) and share everything above them,
so they behave identically. Each increment is atomic on both (HINCRBY; one SQLite transaction of
UPSERTs), so concurrent workers never lose a count.

Counter scopes and their fields:
    P|<pattern>   callbacks, bytes_in, bytes_out, errors, recomputes, recomputes|<step>, lat|<bucket>
    W|<pid>       callbacks, bytes_in, bytes_out, recomputes
    R|workers     the same fields, summed over retired workers, and `workers`: how many
    S|<session>   <pattern>|recomputes|<step>, <pattern>|cb|<callback>|{n,in,out,ms}

Bounded: patterns are a fixed set; a worker's figures are folded into `R|workers` when it exits
gracefully and, for any left over (a killed worker, an earlier run), on a fresh start
(`prepare_stores`, in the gunicorn master before workers fork); a visit's figures (its `S|` scope
and its latest calls) are forgotten after VISIT_IDLE_SECONDS without a callback, and only the
MAX_VISITS most recently active visits are kept.

Redis keys (prefix `lab:m:`): `c:<scope>` hashes; `idx:P`, `idx:W` sets of the scopes in use;
`recent:<session>` lists; `visits`, a sorted set of visits by last activity. A visit's two keys
expire on their own after the idle time. SQLite tables: `counters (scope, field, value)` and
`visits (session, seen, items)`.

Latency percentiles come from a histogram of log-spaced buckets (`lat|<bucket>`, 8 per doubling):
exact counts, percentiles within ±4.5 %, and the cost of a counter increment per batch.

Callbacks are recorded through a per-process `Recorder` that writes batches from a background
thread, so a callback pays a list append, not a round trip to the store.
"""

from __future__ import annotations

import atexit
import collections
import functools
import json
import logging
import math
import os
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from lab.backend import RedisLink, redis_link
from lab.disk import ProcessConnection, connect, disk_failure, disk_link, rollback
from lab.settings import Settings

RECENT_PER_SESSION = 60
VISIT_IDLE_SECONDS = 3600  # the default of VISIT_IDLE_SECONDS
MAX_VISITS = 1000  # the default of MAX_VISITS
RETIRED = "R|workers"
BUCKETS_PER_DOUBLING = 8
SMALLEST_BUCKET_MS = 0.1

Increment = tuple[str, str, int]
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Call:
    """One Dash callback request, as the instrumentation middleware saw it."""

    pattern: str
    callback: str
    pid: int
    start: float
    end: float
    bytes_in: int
    bytes_out: int
    session: str | None
    status: int
    phases: dict[str, float] = field(default_factory=dict)  # ms spent in named parts, e.g. "step"
    steps: int = 0  # real executions of expensive steps during this callback
    lane: str = ""  # "bg": a background job's span (no HTTP request): shown on the timeline, never counted

    def as_json(self) -> dict:
        """Compact form sent to browsers once a second: keep the keys short."""
        return {"p": self.pattern, "cb": self.callback, "pid": self.pid, "t0": round(self.start, 4),
                "t1": round(self.end, 4), "up": self.bytes_in, "down": self.bytes_out, "st": self.status,
                "ph": self.phases, "sn": self.steps, **({"ln": self.lane} if self.lane else {})}

    def encode(self) -> str:
        """`json.dumps(self.as_json())`, compact, several times faster (the flusher's hot path)."""
        phases = json.dumps(self.phases, separators=(",", ":")) if self.phases else "{}"
        return (f'{{"p":{_json_string(self.pattern)},"cb":{_json_string(self.callback)},"pid":{self.pid},'
                f'"t0":{round(self.start, 4)!r},"t1":{round(self.end, 4)!r},"up":{self.bytes_in},'
                f'"down":{self.bytes_out},"st":{self.status},"ph":{phases},"sn":{self.steps}'
                + (f',"ln":{_json_string(self.lane)}}}' if self.lane else "}"))


_JSON_STRINGS: dict[str, str] = {}


def _json_string(text: str) -> str:
    """The JSON form of a string, remembered: patterns and callback keys are a small fixed set."""
    encoded = _JSON_STRINGS.get(text)
    if encoded is None:
        if len(_JSON_STRINGS) > 10_000:
            _JSON_STRINGS.clear()
        encoded = _JSON_STRINGS[text] = json.dumps(text)
    return encoded


# -- latency histogram ----------------------------------------------------------------------------


def latency_bucket(ms: float) -> int:
    """The histogram bucket of a duration: 8 buckets per doubling, starting at 0.1 ms."""
    if ms <= SMALLEST_BUCKET_MS:
        return 0
    return int(math.log2(ms / SMALLEST_BUCKET_MS) * BUCKETS_PER_DOUBLING)


def bucket_value(bucket: int) -> float:
    """A bucket's representative duration: the geometric middle of its edges (error ≤ ±4.5 %)."""
    return SMALLEST_BUCKET_MS * 2 ** ((bucket + 0.5) / BUCKETS_PER_DOUBLING)


def histogram_percentile(counts: dict[int, int], q: float) -> float | None:
    """Nearest-rank percentile of the durations counted in `counts` ({bucket: count})."""
    total = sum(counts.values())
    if not total:
        return None
    rank = max(1, math.ceil(q / 100.0 * total))
    seen = 0
    for bucket in sorted(counts):
        seen += counts[bucket]
        if seen >= rank:
            return round(bucket_value(bucket), 3)
    raise AssertionError("unreachable")


# -- what both stores share -----------------------------------------------------------------------


class MetricsStore(ABC):
    """What both stores share. Subclasses implement the primitives marked abstract."""

    kind = "abstract"

    def __init__(self, visit_idle: float = VISIT_IDLE_SECONDS, max_visits: int = MAX_VISITS):
        self.visit_idle, self.max_visits = visit_idle, max_visits

    @abstractmethod
    def _apply(self, increments: list[Increment], recent: dict[str, list[str]]) -> None:
        """Apply all increments atomically, and add to each visit's list of latest calls
        (`recent`: encoded calls per session, oldest first), keeping RECENT_PER_SESSION."""

    @abstractmethod
    def _read(self, scopes: list[str]) -> list[dict[str, int]]:
        """The counters of each scope, in order."""

    @abstractmethod
    def _scopes(self, kind: str) -> list[str]:
        """Every scope name of a kind (`P` or `W`) that has counters, without the prefix."""

    @abstractmethod
    def _recent(self, session: str) -> list[dict]:
        """A visit's latest calls, newest first."""

    @abstractmethod
    def retire_workers(self, pids: list[int] | None = None) -> None:
        """Fold the figures of workers `pids` (default: every worker) into the retired total."""

    @abstractmethod
    def reset(self) -> None:
        """Forget every figure."""

    @abstractmethod
    def available(self) -> bool:
        """False while the store cannot be reached (writes are dropped, reads are empty)."""

    def record(self, call: Call) -> None:
        self.record_many([call])

    def record_many(self, calls: list[Call]) -> None:
        """Write a batch of calls (oldest first) in one round trip: counters summed, lists appended."""
        if not calls:
            return
        # Sum per (pattern, worker, visit, callback) first: one tuple key per call keeps this cheap.
        groups: dict[tuple, list[int]] = {}
        latencies: dict[tuple[str, int], int] = collections.defaultdict(int)
        recent: dict[str, list[Call]] = {}
        for call in calls:
            if call.lane:  # a background job's span: the timeline shows it, no counter does
                if call.session:
                    recent.setdefault(call.session, []).append(call)
                continue
            key = (call.pattern, call.pid, call.session, call.callback)
            ms = (call.end - call.start) * 1000.0
            sums = groups.get(key)
            if sums is None:
                sums = groups[key] = [0, 0, 0, 0, 0]
            sums[0] += 1
            sums[1] += call.bytes_in
            sums[2] += call.bytes_out
            sums[3] += call.status >= 400
            sums[4] += round(ms)
            latencies[call.pattern, latency_bucket(ms)] += 1
            if call.session:
                recent.setdefault(call.session, []).append(call)
        totals: dict[tuple[str, str], int] = collections.defaultdict(int)
        for (pattern, pid, session, callback), (n, up, down, errors, ms) in groups.items():
            p, w = f"P|{pattern}", f"W|{pid}"
            totals[p, "callbacks"] += n
            totals[p, "bytes_in"] += up
            totals[p, "bytes_out"] += down
            totals[p, "errors"] += errors
            totals[w, "callbacks"] += n
            totals[w, "bytes_in"] += up
            totals[w, "bytes_out"] += down
            if session:
                s, cb = f"S|{session}", f"{pattern}|cb|{callback}"
                totals[s, f"{cb}|n"] += n
                totals[s, f"{cb}|in"] += up
                totals[s, f"{cb}|out"] += down
                totals[s, f"{cb}|ms"] += ms
        for (pattern, bucket), n in latencies.items():
            totals[f"P|{pattern}", f"lat|{bucket}"] += n
        encoded = {s: [c.encode() for c in cs[-RECENT_PER_SESSION:]] for s, cs in recent.items()}
        self._apply([(scope, name, delta) for (scope, name), delta in totals.items()], encoded)

    def count_execution(self, pattern: str, step: str, session: str | None, pid: int | None = None,
                        web_worker: bool = True) -> None:
        """One real execution of an expensive step (written at once, not batched). A background
        process (`web_worker=False`: a job process or a Celery worker) counts for the lesson and
        the visit, not as a web worker: job processes come and go, one per job."""
        pid = os.getpid() if pid is None else pid
        increments: list[Increment] = [
            (f"P|{pattern}", "recomputes", 1),
            (f"P|{pattern}", f"recomputes|{step}", 1),
        ]
        if web_worker:
            increments.append((f"W|{pid}", "recomputes", 1))
        if session:
            increments.append((f"S|{session}", f"{pattern}|recomputes|{step}", 1))
        self._apply(increments, {})

    def summary(self) -> dict:
        """Everything `GET /api/metrics` reports: per pattern and per worker."""
        patterns = sorted(self._scopes("P"))
        workers = sorted(self._scopes("W"), key=int)
        counters = self._read([f"P|{p}" for p in patterns] + [f"W|{w}" for w in workers] + [RETIRED])
        retired = counters.pop()
        out: dict[str, Any] = {"patterns": {}, "workers": {}}
        for name, c in zip(patterns, counters[: len(patterns)], strict=True):
            histogram = {int(k[4:]): v for k, v in c.items() if k.startswith("lat|")}
            out["patterns"][name] = {
                "recomputes": c.get("recomputes", 0),
                "recomputes_by_step": {k.split("|", 1)[1]: v for k, v in c.items() if k.startswith("recomputes|")},
                "callbacks": c.get("callbacks", 0),
                "errors": c.get("errors", 0),
                "bytes_up": c.get("bytes_in", 0),
                "bytes_down": c.get("bytes_out", 0),
                "latency_ms": {"p50": histogram_percentile(histogram, 50), "p95": histogram_percentile(histogram, 95),
                               "samples": sum(histogram.values())},
            }
        for pid, c in zip(workers, counters[len(patterns):], strict=True):
            out["workers"][pid] = _worker_figures(c)
        if retired:
            out["retired_workers"] = {**_worker_figures(retired), "workers": retired.get("workers", 0)}
        return out

    def session_view(self, session: str | None, pattern: str | None) -> dict:
        """What one visit's meters show: its counters on `pattern`, everyone's executions of the
        pattern's steps, and the visit's latest calls on every page."""
        everyone: dict[str, int] = {}
        mine: dict[str, int] = {}
        if pattern:
            everyone, *rest = self._read([f"P|{pattern}"] + ([f"S|{session}"] if session else []))
            mine = rest[0] if rest else {}
        prefix = f"{pattern}|"
        callbacks: dict[str, dict[str, int]] = {}
        mine_steps: dict[str, int] = {}
        for key, value in mine.items():
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix):]
            if rest.startswith("recomputes|"):
                mine_steps[rest.split("|", 1)[1]] = value
            elif rest.startswith("cb|"):
                name, part = rest[3:].rsplit("|", 1)
                callbacks.setdefault(name, {})[part] = value
        return {
            "recomputes": {
                "mine": mine_steps,
                "everyone": {k.split("|", 1)[1]: v for k, v in everyone.items() if k.startswith("recomputes|")},
            },
            "callbacks": callbacks,
            "calls": self._recent(session) if session else [],
        }


def _worker_figures(c: dict[str, int]) -> dict[str, int]:
    return {"callbacks": c.get("callbacks", 0), "recomputes": c.get("recomputes", 0),
            "bytes_up": c.get("bytes_in", 0), "bytes_down": c.get("bytes_out", 0)}


# -- Redis ------------------------------------------------------------------------------------


class RedisMetrics(MetricsStore):
    kind = "redis"
    PREFIX = "lab:m:"

    def __init__(self, link: RedisLink, visit_idle: float = VISIT_IDLE_SECONDS, max_visits: int = MAX_VISITS):
        super().__init__(visit_idle, max_visits)
        self.link = link

    def _key(self, *parts: str) -> str:
        return self.PREFIX + ":".join(parts)

    def _apply(self, increments, recent):
        def run():
            # No MULTI/EXEC: each command is atomic on its own, and a reader that sees half a batch
            # sees the rest a moment later; the transaction only cost time on every flush.
            pipe = self.link.client.pipeline(transaction=False)
            index: dict[str, set[str]] = {"P": set(), "W": set()}
            sessions = set()
            for scope, name, delta in increments:
                pipe.hincrby(self._key("c", scope), name, delta)
                kind, _, owner = scope.partition("|")
                if kind in index:
                    index[kind].add(owner)
                elif kind == "S":
                    sessions.add(scope)
            for kind, owners in index.items():
                if owners:
                    pipe.sadd(self._key("idx", kind), *owners)
            idle_ms = int(self.visit_idle * 1000)
            for scope in sessions:
                pipe.pexpire(self._key("c", scope), idle_ms)
            for session, items in recent.items():
                key = self._key("recent", session)
                pipe.lpush(key, *items)  # the last pushed ends up first: newest first
                pipe.ltrim(key, 0, RECENT_PER_SESSION - 1)
                pipe.pexpire(key, idle_ms)
            visits = {scope[2:] for scope in sessions} | set(recent)
            if visits:
                now = time.time()
                pipe.zadd(self._key("visits"), dict.fromkeys(visits, now))
                pipe.zremrangebyscore(self._key("visits"), "-inf", now - self.visit_idle)  # their keys expired
                pipe.zcard(self._key("visits"))
            replies = pipe.execute()
            if visits and replies[-1] > self.max_visits:
                self._forget_visits(replies[-1] - self.max_visits)

        self.link.call(run)

    def _forget_visits(self, count: int) -> None:
        """Drop the `count` least recently active visits (ZPOPMIN: each is popped by one worker only)."""
        popped = self.link.client.zpopmin(self._key("visits"), count)
        if popped:
            keys = [key for session, _ in popped
                    for key in (self._key("c", f"S|{session.decode()}"), self._key("recent", session.decode()))]
            self.link.client.delete(*keys)

    def _read(self, scopes):
        def run():
            pipe = self.link.client.pipeline(transaction=False)
            for scope in scopes:
                pipe.hgetall(self._key("c", scope))
            return [{k.decode(): int(v) for k, v in h.items()} for h in pipe.execute()]

        return self.link.call(run, default=[{} for _ in scopes])

    def _scopes(self, kind):
        members = self.link.call(self.link.client.smembers, self._key("idx", kind), default=set())
        return [m.decode() for m in members]

    def _recent(self, session):
        items = self.link.call(self.link.client.lrange, self._key("recent", session), 0, -1, default=[])
        return [json.loads(i) for i in items]

    def retire_workers(self, pids=None):
        def run():
            client = self.link.client
            owners = [str(p) for p in pids] if pids is not None else self._scopes("W")
            for pid in owners:
                # RENAME is atomic: of two processes folding the same worker, one gets its figures.
                taken = self._key("retiring", f"{pid}:{os.getpid()}:{time.time_ns()}")
                try:
                    client.rename(self._key("c", f"W|{pid}"), taken)
                except redis.ResponseError:  # no such key: nothing recorded, or folded already
                    client.srem(self._key("idx", "W"), pid)
                    continue
                figures = client.hgetall(taken)
                pipe = client.pipeline(transaction=True)
                for name, value in figures.items():
                    pipe.hincrby(self._key("c", RETIRED), name.decode(), int(value))
                pipe.hincrby(self._key("c", RETIRED), "workers", 1)
                pipe.delete(taken)
                pipe.srem(self._key("idx", "W"), pid)
                pipe.execute()

        self.link.call(run)

    def reset(self):
        def run():
            keys = list(self.link.client.scan_iter(self.PREFIX + "*", count=1000))
            for i in range(0, len(keys), 500):
                self.link.client.delete(*keys[i:i + 500])

        self.link.call(run)

    def available(self):
        return self.link.reachable()


# -- SQLite (WAL) -------------------------------------------------------------------------------

SCHEMA_VERSION = 4  # figures are disposable: a database of another version is emptied and rebuilt
SCHEMA = """
CREATE TABLE counters (
    scope TEXT NOT NULL, field TEXT NOT NULL, value INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, field)) WITHOUT ROWID;
CREATE TABLE visits (session TEXT PRIMARY KEY, seen REAL NOT NULL, items TEXT NOT NULL DEFAULT '');
CREATE INDEX visits_by_age ON visits (seen);
"""
TABLES = ("counters", "visits", "recent", "worker_values", "calls")  # the last three belonged to older versions


class SqliteMetrics(MetricsStore):
    """SQLite in WAL mode: many readers and one writer at a time, across processes, on one machine.

    Each process opens its own connection after the fork (a connection must never cross a fork).
    A visit is one row of `visits`: when it was last seen, and its latest calls as JSON lines,
    newest first. Idle visits are swept at most every `visit_idle / 4` seconds (and every minute at
    least), as their Redis keys expire; the count cap is checked on every write that sees a visit.
    """

    kind = "sqlite"

    def __init__(self, path: Path, visit_idle: float = VISIT_IDLE_SECONDS, max_visits: int = MAX_VISITS):
        super().__init__(visit_idle, max_visits)
        self.path = Path(path)
        self._db = ProcessConnection(self.path, self._open)
        self._next_sweep = 0.0

    @staticmethod
    def create(path: Path) -> None:
        """Create the database and its schema (before workers fork, so their first opens don't race)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(50):
            try:
                conn = sqlite3.connect(path, timeout=10, isolation_level=None)
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                        conn.execute("BEGIN IMMEDIATE")
                        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                            for table in TABLES:
                                conn.execute(f"DROP TABLE IF EXISTS {table}")
                            for statement in SCHEMA.split(";"):
                                if statement.strip():
                                    conn.execute(statement)
                            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                        conn.execute("COMMIT")
                finally:
                    conn.close()
                return
            except sqlite3.OperationalError as exc:
                if attempt == 49 or disk_failure(exc):  # only a busy database is worth another try
                    raise
                time.sleep(0.05)

    @classmethod
    def _open(cls, path: Path) -> sqlite3.Connection:
        cls.create(path)
        conn = connect(path)
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _execute(self, fn, default=None):
        """`fn(connection)`; `default` when the disk refuses (full, read-only): the meters pause."""
        return self._db.run(fn, default=default)

    def close(self) -> None:
        self._db.close()

    def _apply(self, increments, recent):
        now = time.time()

        def run(conn):
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT INTO counters (scope, field, value) VALUES (?, ?, ?) "
                    "ON CONFLICT (scope, field) DO UPDATE SET value = value + excluded.value",
                    increments,
                )
                seen = {scope[2:] for scope, _, _ in increments if scope.startswith("S|")} - set(recent)
                conn.executemany("INSERT INTO visits (session, seen) VALUES (?, ?) ON CONFLICT (session) "
                                 "DO UPDATE SET seen = excluded.seen", [(session, now) for session in seen])
                for session, items in recent.items():
                    row = conn.execute("SELECT items FROM visits WHERE session = ?", (session,)).fetchone()
                    lines = items[::-1] + (row[0].split("\n") if row and row[0] else [])
                    conn.execute(
                        "INSERT INTO visits (session, seen, items) VALUES (?, ?, ?) ON CONFLICT (session) "
                        "DO UPDATE SET items = excluded.items, seen = excluded.seen",
                        (session, now, "\n".join(lines[:RECENT_PER_SESSION])),
                    )
                if seen or recent:
                    self._bound_visits(conn, now)
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise

        self._execute(run)

    def _bound_visits(self, conn, now: float) -> None:
        """Forget visits idle for longer than `visit_idle`, and all but the `max_visits` latest."""
        doomed = []
        if now >= self._next_sweep:
            doomed += [r[0] for r in conn.execute("SELECT session FROM visits WHERE seen < ?", (now - self.visit_idle,))]
            self._next_sweep = now + min(60.0, self.visit_idle / 4)
        over = conn.execute("SELECT COUNT(*) FROM visits").fetchone()[0] - len(doomed) - self.max_visits
        if over > 0:
            doomed += [r[0] for r in conn.execute("SELECT session FROM visits WHERE seen >= ? ORDER BY seen LIMIT ?",
                                                  (now - self.visit_idle, over))]
        for session in doomed:
            conn.execute("DELETE FROM counters WHERE scope = ?", (f"S|{session}",))
            conn.execute("DELETE FROM visits WHERE session = ?", (session,))

    def _read(self, scopes):
        def run(conn):
            return [dict(conn.execute("SELECT field, value FROM counters WHERE scope = ?", (scope,)).fetchall())
                    for scope in scopes]

        return self._execute(run, default=[{} for _ in scopes])

    def _scopes(self, kind):
        def run(conn):
            rows = conn.execute("SELECT DISTINCT scope FROM counters WHERE scope >= ? AND scope < ?",
                                (f"{kind}|", f"{kind}}}")).fetchall()
            return [r[0].split("|", 1)[1] for r in rows]

        return self._execute(run, default=[])

    def _recent(self, session):
        row = self._execute(lambda conn: conn.execute(
            "SELECT items FROM visits WHERE session = ?", (session,)).fetchone())
        return [json.loads(line) for line in row[0].split("\n")] if row and row[0] else []

    def retire_workers(self, pids=None):
        scopes = [f"W|{pid}" for pid in pids] if pids is not None else None

        def run(conn):
            chosen = "scope IN (SELECT value FROM json_each(?))" if scopes is not None else "scope LIKE 'W|%'"
            args = (json.dumps(scopes),) if scopes is not None else ()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"INSERT INTO counters (scope, field, value) SELECT ?, field, SUM(value) FROM counters "  # noqa: S608
                         f"WHERE {chosen} GROUP BY field ON CONFLICT (scope, field) "
                         "DO UPDATE SET value = value + excluded.value", (RETIRED, *args))
            folded = conn.execute(f"SELECT COUNT(DISTINCT scope) FROM counters WHERE {chosen}", args).fetchone()[0]  # noqa: S608
            if folded:
                conn.execute("INSERT INTO counters (scope, field, value) VALUES (?, 'workers', ?) ON CONFLICT "
                             "(scope, field) DO UPDATE SET value = value + excluded.value", (RETIRED, folded))
            conn.execute(f"DELETE FROM counters WHERE {chosen}", args)  # noqa: S608
            conn.execute("COMMIT")

        self._execute(_in_transaction(run))

    def reset(self):
        def run(conn):
            conn.execute("BEGIN IMMEDIATE")
            for table in ("counters", "visits"):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            conn.execute("COMMIT")

        self._execute(_in_transaction(run))

    def available(self):
        return disk_link(self.path.parent).writable()


def _in_transaction(run):
    """`run(conn)`, which begins a transaction, rolled back if it fails before its COMMIT."""
    def guarded(conn):
        try:
            return run(conn)
        except BaseException:
            if conn.in_transaction:
                rollback(conn)
            raise

    return guarded


# -- buffered recording ----------------------------------------------------------------------------


class Recorder:
    """Buffers this process's callback records and writes them in batches from a background thread.

    A synchronous write costs a Redis round trip (~0.1 ms) or an SQLite transaction per callback,
    too much next to a fast callback; here a callback only appends to a deque, and the flusher
    writes whatever gathered within FLUSH_AFTER_SECONDS as one batch (`record_many`). Figures are
    therefore in the store within about 0.25 s of the response, well inside the meters' one-second
    refresh. Each batch costs a fixed ~0.4 ms on Redis (one pipelined round trip), whatever its
    size. On a 2-core machine (`python -m bench.instruments`, Redis) the throughput ratio on/off
    measured 0.944–0.990 when flushing every 0.1 s, 0.961–0.992 every 0.25 s. Graceful exits flush (gunicorn's
    `worker_exit` hook and atexit); a SIGKILLed worker loses at most its last unflushed batch.
    """

    FLUSH_AFTER_SECONDS = 0.25

    def __init__(self, store: MetricsStore):
        self.store = store
        self._pending: collections.deque[Call] = collections.deque()  # append/popleft are thread-safe
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._started = False
        # A forked child has no flusher thread (threads do not survive a fork): start its own.
        os.register_at_fork(after_in_child=self._forked)
        atexit.register(self.flush)

    def _forked(self) -> None:
        self._pending = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._started = False

    def add(self, call: Call) -> None:
        if not self._started:
            self._start()
        self._pending.append(call)
        if not self._wake.is_set():
            self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if not self._started:
                threading.Thread(target=self._run, name="lab-metrics-flusher", daemon=True).start()
                self._started = True

    def _run(self) -> None:
        while True:
            self._wake.wait()
            time.sleep(self.FLUSH_AFTER_SECONDS)  # let a batch gather
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a bad moment for the store must not kill the flusher
                log.exception("could not write the lab's metrics")

    def flush(self) -> None:
        with self._lock:  # one flush at a time keeps batches in order
            batch = []
            while self._pending:
                batch.append(self._pending.popleft())
            if batch:
                self.store.record_many(batch)


# -- the process's store ------------------------------------------------------------------------


def sqlite_path(settings: Settings) -> Path:
    return settings.data_dir / "metrics.sqlite3"


_recorders: list[Recorder] = []  # this process's buffers, so that exit hooks can flush them


@functools.lru_cache(maxsize=4)
def recorder_for(settings: Settings) -> Recorder:
    """The process's write buffer in front of `store_for(settings)`."""
    recorder = Recorder(store_for(settings))
    _recorders.append(recorder)
    return recorder


def flush_recorders() -> None:
    """Write every buffered record now (gunicorn's worker_exit hook calls this)."""
    for recorder in _recorders:
        recorder.flush()


@functools.lru_cache(maxsize=4)
def store_for(settings: Settings) -> MetricsStore:
    """The process's handle on the shared store (the figures themselves live in Redis or SQLite)."""
    if settings.redis_url:
        return RedisMetrics(redis_link(settings.redis_url), settings.visit_idle_seconds, settings.max_visits)
    return SqliteMetrics(sqlite_path(settings), settings.visit_idle_seconds, settings.max_visits)


def prepare_stores(settings: Settings) -> None:
    """A fresh start, in the gunicorn master before workers fork: create the database, and fold the
    figures of every worker of an earlier run into the retired total."""
    if not settings.redis_url:
        SqliteMetrics.create(sqlite_path(settings))
    store = store_for(settings)
    store.retire_workers()
    if isinstance(store, SqliteMetrics):
        store.close()  # a connection must not cross the fork


def retire_this_worker(settings: Settings) -> None:
    """A worker leaving gracefully (gunicorn's worker_exit hook): write its last figures, then fold
    them into the retired total."""
    flush_recorders()
    store_for(settings).retire_workers([os.getpid()])
