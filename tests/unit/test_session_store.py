"""The bounded per-session store, on SQLite and on real Redis: least recently used evicted first,
leased entries never, the bound held under processes racing, evictions remembered, a session
computed once by racing processes, and an unreachable Redis degrading instead of raising."""

import multiprocessing
import os
import time

import pytest

from lab.backend import RedisLink
from lab.session_store import RedisSessionStore, SqliteSessionStore, Stored, get_or_compute
from lab.singleflight import COMPUTED, DEGRADED, HIT, WAITED, FileLocker, RedisLocker
from lab.local_servers import free_port

CTX = multiprocessing.get_context("fork")


@pytest.fixture(params=["sqlite", "redis"])
def make_store(request, tmp_path):
    """A factory: each call builds a new handle on the same shared store (as each worker does)."""
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        return lambda bound, **kw: RedisSessionStore(RedisLink(url), bound, **kw)
    return lambda bound, **kw: SqliteSessionStore(tmp_path / "sessions.sqlite3", bound, **kw)


def make_locker(store, tmp_path):
    return RedisLocker(store.link) if isinstance(store, RedisSessionStore) else FileLocker(tmp_path / "locks")


def put(store, session, size=10, **meta):
    return store.put(session, b"x" * size, {"n": session, **meta})


def test_least_recently_used_goes_first(make_store):
    store = make_store(3)
    for s in "abc":
        assert put(store, s).stored
        time.sleep(0.002)
    assert store.get("a").meta == {"n": "a"}  # a is now the most recently used
    result = put(store, "d")
    assert result.stored and result.evicted == ("b",)
    assert [e.session for e in store.entries()] == ["c", "a", "d"]
    assert store.get("b") is None and store.was_evicted("b") and not store.was_evicted("a")
    assert store.stats() == {"sessions": 3, "bytes": 30, "evictions": 1}
    assert put(store, "b").stored and not store.was_evicted("b"), "stored again: no longer 'evicted'"


def test_replacing_an_entry_keeps_the_count(make_store):
    store = make_store(2)
    put(store, "a", 10)
    put(store, "a", 25, rows=5)
    assert store.stats()["sessions"] == 1 and store.stats()["bytes"] == 25
    assert store.get("a") == Stored(b"x" * 25, {"n": "a", "rows": 5})


def test_leased_entries_are_never_evicted(make_store):
    store = make_store(2)
    put(store, "a")
    time.sleep(0.002)
    put(store, "b")
    with store.lease("a"):
        assert [e.leased for e in store.entries()] == [True, False]
        assert put(store, "c").evicted == ("b",), "a is older but leased: b goes"
        with store.lease("c"):
            result = put(store, "d")
            assert not result.stored and result.evicted == (), "everything else is in use: d is not kept"
            assert store.stats()["sessions"] == 2 and store.get("d") is None
    assert put(store, "d").evicted == ("a",), "leases released: the least recently used goes again"


def test_leases_expire(make_store):
    store = make_store(1, lease_seconds=0.2)
    put(store, "a")
    store._take_lease("a", "left-behind-by-a-killed-request")
    assert not put(store, "b").stored
    time.sleep(0.3)
    assert put(store, "b").evicted == ("a",)


def test_byte_bound(make_store):
    store = make_store(100, max_bytes=100)
    for s in "abcd":
        put(store, s, 30)
        time.sleep(0.002)
    assert store.stats()["bytes"] == 90 and [e.session for e in store.entries()] == ["b", "c", "d"]
    assert not put(store, "huge", 101).stored and store.get("huge") is None


def filler(make, worker, count, bound, failures):
    store = make(bound)
    for i in range(count):
        if not put(store, f"w{worker}-{i}").stored:
            failures.put(f"w{worker}-{i}")


def test_the_bound_holds_across_racing_processes(make_store):
    bound, workers, each = 20, 4, 300
    failures = CTX.Queue()
    procs = [CTX.Process(target=filler, args=(make_store, w, each, bound, failures)) for w in range(workers)]
    for p in procs:
        p.start()
    watcher = make_store(bound)
    seen = 0
    while any(p.is_alive() for p in procs):
        seen = max(seen, watcher.stats()["sessions"])
    for p in procs:
        p.join(30)
    stats = watcher.stats()
    assert seen <= bound and stats["sessions"] == bound
    assert stats["evictions"] == workers * each - bound
    assert failures.empty(), "nothing was leased, so every new session was kept"


def racer(make, tmp, session, counter, barrier, results):
    store = make(10)
    locker = make_locker(store, tmp)

    def compute(previous):
        with open(counter, "a") as f:
            f.write("x\n")
        time.sleep(0.4)
        return Stored(str(os.getpid()).encode(), {"by": os.getpid()})

    barrier.wait()
    flight = get_or_compute(store, locker, session, lambda e: True, compute)
    results.put((flight.source, flight.entry.meta["by"], flight.kept))


def test_a_session_is_computed_once_by_racing_processes(make_store, tmp_path):
    counter = tmp_path / "count"
    barrier, results = CTX.Barrier(4), CTX.Queue()
    procs = [CTX.Process(target=racer, args=(make_store, tmp_path, "s1", counter, barrier, results)) for _ in range(4)]
    for p in procs:
        p.start()
    got = [results.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(10)
    assert counter.read_text().count("x") == 1
    assert [s for s, _, _ in got].count(COMPUTED) == 1 and {s for s, _, _ in got} <= {COMPUTED, WAITED, HIT}
    assert len({by for _, by, _ in got}) == 1 and all(kept for _, _, kept in got)


def test_an_evicted_session_is_recomputed_and_says_so(make_store, tmp_path):
    store = make_store(1)
    locker = make_locker(store, tmp_path)
    compute = lambda previous: Stored(b"data", {"rows": 5})
    first = get_or_compute(store, locker, "mine", lambda e: True, compute)
    assert first.source == COMPUTED and not first.evicted_before
    assert get_or_compute(store, locker, "mine", lambda e: True, compute).source == HIT
    assert put(store, "someone-else").evicted == ("mine",)
    again = get_or_compute(store, locker, "mine", lambda e: True, compute)
    assert again.source == COMPUTED and again.evicted_before and again.evicted_now == ("someone-else",)
    # A stale entry (say, another size asked for) is recomputed, and was not evicted.
    resized = get_or_compute(store, locker, "mine", lambda e: e.meta["rows"] == 6,
                             lambda previous: Stored(b"more", {"rows": 6, "was": previous.meta["rows"]}))
    assert resized.source == COMPUTED and not resized.evicted_before and resized.entry.meta["was"] == 5


def test_unreachable_redis_degrades():
    link = RedisLink(f"redis://127.0.0.1:{free_port()}/0")
    store = RedisSessionStore(link, 5)
    t0 = time.monotonic()
    assert store.get("a") is None and put(store, "a").stored is False
    with store.lease("a"):
        pass
    assert store.entries() == [] and store.stats() == {"sessions": 0, "bytes": 0, "evictions": 0}
    assert store.was_evicted("a") is False
    flight = get_or_compute(store, RedisLocker(link), "a", lambda e: True, lambda p: Stored(b"d", {}))
    assert flight.source == DEGRADED and flight.kept is False and flight.entry.payload == b"d"
    assert time.monotonic() - t0 < 3.0


@pytest.mark.redis
def test_redis_keeps_six_keys_whatever_the_number_of_sessions(redis_url):
    """Payloads, records, last use, leases, evicted, stats: at most the same six keys (one hash
    slot) for one session or a hundred, leased or evicted (an empty sorted set is no key at all)."""
    store = RedisSessionStore(RedisLink(redis_url), 10)
    client = store.link.client
    for i in range(100):
        with store.lease(f"s{i}"):
            put(store, f"s{i}", size=1000)
    keys = {k.decode() for k in client.scan_iter("lab:*", count=1000)}
    six = {f"lab:{{sessions}}:{name}" for name in ("payloads", "meta", "lru", "leases", "evicted", "stats")}
    assert six - {"lab:{sessions}:leases"} <= keys <= six, keys
    assert client.hlen("lab:{sessions}:payloads") == 10 and client.zcard("lab:{sessions}:leases") == 0
    assert store.stats() == {"sessions": 10, "bytes": 10_000, "evictions": 90}
