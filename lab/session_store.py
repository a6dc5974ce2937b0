"""Per-session data on the server, bounded: at most `max_sessions` sessions (and `max_bytes`),
the least recently used evicted first, never one that a request is using right now.

The bound is enforced by us, atomically across worker processes (flask-caching's CACHE_THRESHOLD
is not: FileSystemCache's pruning is per process, and it deletes live entries under load):

- Redis (`RedisSessionStore`): six keys (payloads, records, last use, leases, evicted, stats; see
  below). Storing a session and evicting others is one transaction: the payload's HSET, then a
  short Lua script over the bookkeeping, atomic for every worker and host. Every key a script
  touches is declared in KEYS, and no payload passes through a script.
- the filesystem (`SqliteSessionStore`): one SQLite database in WAL mode (tables `entries`,
  `leases`, `evicted`, `counters`); each store-and-evict is one `BEGIN IMMEDIATE` transaction.

A request that reads or computes a session's data holds a *lease* on it (`lease`): eviction
skips leased sessions, so an entry never disappears between a request's compute and its read.
Leases expire (`LEASE_SECONDS`), so a killed request pins nothing for long. When every other
entry is leased and the store is full, a new entry is not kept (`PutResult.stored` is False):
the bound holds and the request still gets its data.

`get_or_compute` puts it together: lease → get → lock (see `lab.singleflight`) → get again →
compute → put, and reports whether the session had been evicted before.

With Redis configured but unreachable every call degrades (a miss, nothing kept) instead of
raising.
"""

from __future__ import annotations

import contextlib
import functools
import json
import secrets
import sqlite3
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from lab.backend import RedisLink, redis_link
from lab.disk import ProcessConnection, connect, disk_failure
from lab.settings import Settings
from lab.singleflight import HIT, WAITED, Flight, Locker, single_flight

LEASE_SECONDS = 150.0  # longer than gunicorn's worker timeout: a lease outlives any live request
EVICTED_MEMORY = 10_000  # how many evicted session ids are remembered (to say "yours was evicted")
DEFAULT_MAX_BYTES = 1_000_000_000


@dataclass(frozen=True)
class Stored:
    """A session's entry: its payload (bytes) and what the app noted about it (`meta`)."""

    payload: bytes
    meta: dict


@dataclass(frozen=True)
class PutResult:
    stored: bool
    evicted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """What the inspector lists about one stored session (never its payload)."""

    session: str
    size: int
    stored_at: float
    used_at: float
    leased: bool
    meta: dict = field(default_factory=dict)


class SessionStore(ABC):
    kind = "abstract"

    def __init__(self, max_sessions: int, max_bytes: int = DEFAULT_MAX_BYTES, lease_seconds: float = LEASE_SECONDS):
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        self.max_sessions, self.max_bytes, self.lease_seconds = max_sessions, max_bytes, lease_seconds

    @abstractmethod
    def get(self, session: str) -> Stored | None:
        """The session's entry (and mark it used now), or None."""

    @abstractmethod
    def put(self, session: str, payload: bytes, meta: dict) -> PutResult:
        """Store the session's entry, evicting the least recently used unleased entries while
        the store is over its bounds; if it cannot get under them, do not keep this entry."""

    @abstractmethod
    def _take_lease(self, session: str, token: str) -> None: ...

    @abstractmethod
    def _drop_lease(self, session: str, token: str) -> None: ...

    @abstractmethod
    def was_evicted(self, session: str) -> bool:
        """True when the session's entry was evicted (and not stored again since)."""

    @abstractmethod
    def entries(self) -> list[Entry]:
        """Every stored session, least recently used first."""

    @abstractmethod
    def stats(self) -> dict:
        """{"sessions", "bytes", "evictions"}: how full the store is, and how many it evicted."""

    @abstractmethod
    def clear(self) -> None: ...

    @contextlib.contextmanager
    def lease(self, session: str) -> Iterator[None]:
        """Keep the session's entry from being evicted while the block runs."""
        token = secrets.token_hex(8)
        self._take_lease(session, token)
        try:
            yield
        finally:
            self._drop_lease(session, token)


# -- get or compute ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionFlight:
    """What one request got for a session: the entry, how (see `lab.singleflight`), whether the
    session's previous entry had been evicted, and whether the new one was kept."""

    entry: Stored
    source: str
    evicted_before: bool = False
    kept: bool = True
    evicted_now: tuple[str, ...] = ()


def get_or_compute(store: SessionStore, locker: Locker, session: str, fresh: Callable[[Stored], bool],
                   compute: Callable[[Stored | None], Stored]) -> SessionFlight:
    """The session's entry, computed at most once at a time across every process.

    `fresh(entry)` says whether a stored entry still answers the request (say, same size);
    `compute(previous)` makes a new one (`previous` is the stale entry, or None).
    """
    notes: dict = {}

    def get():
        entry = notes["seen"] = store.get(session)
        return entry if entry is not None and fresh(entry) else None

    def make():
        previous = notes.get("seen")  # what the last look found (after taking the lock)
        notes["evicted_before"] = previous is None and store.was_evicted(session)
        return compute(previous)

    def put(entry: Stored):
        result = store.put(session, entry.payload, entry.meta)
        notes["kept"], notes["evicted_now"] = result.stored, result.evicted

    with store.lease(session):
        flight: Flight = single_flight(locker, f"session:{session}", get, make, put)
    return SessionFlight(flight.value, flight.source, notes.get("evicted_before", False),
                         notes.get("kept", flight.source in (HIT, WAITED)), notes.get("evicted_now", ()))


# -- Redis ------------------------------------------------------------------------------------
#
# Six keys per store, all named in KEYS (their common hash tag keeps them in one slot of a Redis
# Cluster): `payloads` (hash: session → payload), `meta` (hash: session → JSON {size, stored,
# meta}), `lru` (sorted set: session → last use), `leases` (sorted set: "session\ntoken" →
# expiry), `evicted` (sorted set: the last EVICTED_MEMORY evicted sessions) and `stats` (hash:
# bytes, evictions). Payloads never pass through a script: a transaction writes (or reads) them
# beside the script that keeps the bookkeeping, so Redis runs no script over megabytes.

_KEYS = ("payloads", "meta", "lru", "leases", "evicted", "stats")
_NOW_MS = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)"

# KEYS: _KEYS; ARGV: session, record (JSON), max sessions, max bytes, evicted memory. Runs right
# after the transaction's HSET of the payload; answers {kept (1/0), evicted sessions...}.
_PUT = _NOW_MS + """
local payloads, metas, lru, leases, evicted, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local sid, record = ARGV[1], ARGV[2]
local max_n, max_b, memory = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
local leased = {}
for _, m in ipairs(redis.call('ZRANGE', leases, 0, -1)) do leased[string.match(m, '^(.-)\\n')] = true end
local function size_of(s)
  local r = redis.call('HGET', metas, s)
  return r and cjson.decode(r).size or 0
end
local function drop(s)
  redis.call('HINCRBY', stats, 'bytes', -size_of(s))
  redis.call('HDEL', payloads, s)
  redis.call('HDEL', metas, s)
  redis.call('ZREM', lru, s)
end
local function over()
  return redis.call('ZCARD', lru) > max_n or tonumber(redis.call('HGET', stats, 'bytes') or '0') > max_b
end
redis.call('HINCRBY', stats, 'bytes', cjson.decode(record).size - size_of(sid))
redis.call('HSET', metas, sid, record)
redis.call('ZADD', lru, now, sid)
redis.call('ZREM', evicted, sid)
local out = {1}
local offset = 0
while over() do
  local victim = nil
  for _, c in ipairs(redis.call('ZRANGE', lru, offset, offset + 63)) do
    if c ~= sid and not leased[c] then victim = c break end
    offset = offset + 1
  end
  if victim == nil and redis.call('ZCARD', lru) <= offset then
    drop(sid)
    out[1] = 0
    break
  end
  if victim ~= nil then
    drop(victim)
    redis.call('ZADD', evicted, now, victim)
    redis.call('HINCRBY', stats, 'evictions', 1)
    table.insert(out, victim)
  end
end
local extra = redis.call('ZCARD', evicted) - memory
if extra > 0 then redis.call('ZREMRANGEBYRANK', evicted, 0, extra - 1) end
return out
"""

# KEYS: meta, lru; ARGV: session. Marks a stored session used now; answers its record, or nil.
_TOUCH = _NOW_MS + """
local record = redis.call('HGET', KEYS[1], ARGV[1])
if record then redis.call('ZADD', KEYS[2], 'XX', now, ARGV[1]) end
return record
"""

# KEYS: leases; ARGV: "session\ntoken", milliseconds. Expired leases go at the same time.
_LEASE = _NOW_MS + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
"""


class RedisSessionStore(SessionStore):
    kind = "redis"
    PREFIX = "lab:{sessions}:"  # the braces: one hash slot for all six keys on a Redis Cluster

    def __init__(self, link: RedisLink, max_sessions: int, max_bytes: int = DEFAULT_MAX_BYTES,
                 lease_seconds: float = LEASE_SECONDS, prefix: str = PREFIX):
        super().__init__(max_sessions, max_bytes, lease_seconds)
        self.link, self.prefix = link, prefix
        self.keys = {name: prefix + name for name in _KEYS}
        client = link.client
        self._put = client.register_script(_PUT)
        self._touch = client.register_script(_TOUCH)
        self._lease = client.register_script(_LEASE)

    def get(self, session):
        def run():
            pipe = self.link.client.pipeline(transaction=True)
            self._touch(keys=[self.keys["meta"], self.keys["lru"]], args=[session], client=pipe)
            pipe.hget(self.keys["payloads"], session)
            return pipe.execute()

        found = self.link.call(run)
        if not found or found[0] is None or found[1] is None:
            return None
        return Stored(found[1], json.loads(found[0])["meta"])

    def put(self, session, payload, meta):
        record = json.dumps({"size": len(payload), "stored": time.time(), "meta": meta})

        def run():
            pipe = self.link.client.pipeline(transaction=True)
            pipe.hset(self.keys["payloads"], session, payload)
            self._put(keys=[self.keys[name] for name in _KEYS],
                      args=[session, record, self.max_sessions, self.max_bytes, EVICTED_MEMORY], client=pipe)
            return pipe.execute()[-1]

        result = self.link.call(run)
        if result is None:
            return PutResult(False)
        return PutResult(bool(result[0]), tuple(v.decode() for v in result[1:]))

    def _take_lease(self, session, token):
        self.link.call(self._lease, keys=[self.keys["leases"]],
                       args=[f"{session}\n{token}", int(self.lease_seconds * 1000)])

    def _drop_lease(self, session, token):
        self.link.call(self.link.client.zrem, self.keys["leases"], f"{session}\n{token}")

    def was_evicted(self, session):
        return self.link.call(self.link.client.zscore, self.keys["evicted"], session) is not None

    def entries(self):
        def run():
            pipe = self.link.client.pipeline(transaction=True)
            pipe.time()
            pipe.zrange(self.keys["lru"], 0, -1, withscores=True)
            pipe.hgetall(self.keys["meta"])
            pipe.zrange(self.keys["leases"], 0, -1, withscores=True)
            (seconds, micros), order, records, leases = pipe.execute()
            now_ms = seconds * 1000 + micros // 1000
            leased = {member.split(b"\n", 1)[0] for member, expires in leases if expires >= now_ms}
            entries = []
            for member, used in order:
                record = json.loads(records[member]) if member in records else {"size": 0, "stored": 0, "meta": {}}
                entries.append(Entry(member.decode(), record["size"], record["stored"], used / 1000.0,
                                     member in leased, record["meta"]))
            return entries

        return self.link.call(run, default=[])

    def stats(self):
        def run():
            pipe = self.link.client.pipeline(transaction=True)
            pipe.zcard(self.keys["lru"])
            pipe.hmget(self.keys["stats"], "bytes", "evictions")
            sessions, (size, evictions) = pipe.execute()
            return {"sessions": sessions, "bytes": int(size or 0), "evictions": int(evictions or 0)}

        return self.link.call(run, default={"sessions": 0, "bytes": 0, "evictions": 0})

    def clear(self):
        self.link.call(self.link.client.delete, *self.keys.values())


# -- SQLite -----------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    session TEXT PRIMARY KEY, payload BLOB NOT NULL, meta TEXT NOT NULL, size INTEGER NOT NULL,
    stored_at REAL NOT NULL, used_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS entries_by_use ON entries (used_at);
CREATE TABLE IF NOT EXISTS leases (token TEXT PRIMARY KEY, session TEXT NOT NULL, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS leases_by_session ON leases (session);
CREATE TABLE IF NOT EXISTS evicted (session TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class SqliteSessionStore(SessionStore):
    """One SQLite database (WAL) shared by every process on the machine; one connection per
    process, opened after the fork."""

    kind = "sqlite"

    def __init__(self, path: Path, max_sessions: int, max_bytes: int = DEFAULT_MAX_BYTES,
                 lease_seconds: float = LEASE_SECONDS):
        super().__init__(max_sessions, max_bytes, lease_seconds)
        self.path = Path(path)
        self._db = ProcessConnection(self.path, self._open)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        conn = connect(path, timeout=30)
        for attempt in range(50):  # simultaneous first opens by several workers can see "locked" once
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.executescript(_SCHEMA)
                break
            except sqlite3.OperationalError as exc:
                if attempt == 49 or disk_failure(exc):  # only a busy database is worth another try
                    raise
                time.sleep(0.05)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA journal_size_limit=67108864")  # large payloads must not leave a huge WAL behind
        return conn

    def _run(self, fn, write: bool = False, default=None):
        """`fn(connection)`, in a transaction if `write`; `default` when the disk refuses (full,
        read-only): like Redis unreachable, data is served without being kept."""
        return self._db.run(fn, write, default)

    def get(self, session):
        row = self._run(lambda c: c.execute("SELECT payload, meta FROM entries WHERE session = ?",
                                            (session,)).fetchone())
        if row is None:
            return None
        self._run(lambda c: c.execute("UPDATE entries SET used_at = ? WHERE session = ?", (time.time(), session)))
        return Stored(bytes(row[0]), json.loads(row[1]))

    def put(self, session, payload, meta):
        def run(c):
            now = time.time()
            c.execute("DELETE FROM leases WHERE expires < ?", (now,))
            c.execute("INSERT INTO entries (session, payload, meta, size, stored_at, used_at) VALUES (?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT (session) DO UPDATE SET payload = excluded.payload, meta = excluded.meta, "
                      "size = excluded.size, stored_at = excluded.stored_at, used_at = excluded.used_at",
                      (session, payload, json.dumps(meta), len(payload), now, now))
            c.execute("DELETE FROM evicted WHERE session = ?", (session,))
            evicted = []
            while True:
                count, size = c.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM entries").fetchone()
                if count <= self.max_sessions and size <= self.max_bytes:
                    break
                victim = c.execute("SELECT session FROM entries WHERE session != ? AND session NOT IN "
                                   "(SELECT session FROM leases) ORDER BY used_at LIMIT 1", (session,)).fetchone()
                if victim is None:
                    c.execute("DELETE FROM entries WHERE session = ?", (session,))
                    return PutResult(False, tuple(evicted))
                c.execute("DELETE FROM entries WHERE session = ?", victim)
                c.execute("INSERT OR REPLACE INTO evicted (session, at) VALUES (?, ?)", (victim[0], now))
                evicted.append(victim[0])
            if evicted:
                c.execute("INSERT INTO counters (name, value) VALUES ('evictions', ?) "
                          "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value", (len(evicted),))
                c.execute("DELETE FROM evicted WHERE session IN (SELECT session FROM evicted ORDER BY at DESC "
                          "LIMIT -1 OFFSET ?)", (EVICTED_MEMORY,))
            return PutResult(True, tuple(evicted))

        return self._run(run, write=True, default=PutResult(False))

    def _take_lease(self, session, token):
        self._run(lambda c: c.execute("INSERT INTO leases (token, session, expires) VALUES (?, ?, ?)",
                                      (token, session, time.time() + self.lease_seconds)))

    def _drop_lease(self, session, token):
        self._run(lambda c: c.execute("DELETE FROM leases WHERE token = ?", (token,)))

    def was_evicted(self, session):
        return self._run(lambda c: c.execute("SELECT 1 FROM evicted WHERE session = ?", (session,)).fetchone()) is not None

    def entries(self):
        def run(c):
            now = time.time()
            rows = c.execute(
                "SELECT session, size, stored_at, used_at, meta, EXISTS (SELECT 1 FROM leases l WHERE "
                "l.session = e.session AND l.expires >= ?) FROM entries e ORDER BY used_at", (now,)).fetchall()
            return [Entry(s, size, stored, used, bool(leased), json.loads(meta))
                    for s, size, stored, used, meta, leased in rows]

        return self._run(run, default=[])

    def stats(self):
        def run(c):
            sessions, size = c.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM entries").fetchone()
            row = c.execute("SELECT value FROM counters WHERE name = 'evictions'").fetchone()
            return {"sessions": sessions, "bytes": size, "evictions": row[0] if row else 0}

        return self._run(run, default={"sessions": 0, "bytes": 0, "evictions": 0})

    def clear(self):
        def run(c):
            for table in ("entries", "leases", "evicted", "counters"):
                c.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

        self._run(run, write=True)


@functools.lru_cache(maxsize=4)
def session_store_for(settings: Settings, max_bytes: int = DEFAULT_MAX_BYTES) -> SessionStore:
    """The process's handle on the shared session store of the active backend (MAX_SESSIONS)."""
    if settings.redis_url:
        return RedisSessionStore(redis_link(settings.redis_url), settings.max_sessions, max_bytes)
    return SqliteSessionStore(settings.data_dir / "sessions.sqlite3", settings.max_sessions, max_bytes)
