"""Compute once across processes: real processes racing on a real cache and a real lock (Redis
and filelock); a SIGKILLed holder frees the lock (at once with filelock, at expiry on Redis); a
long computation keeps its lock; an unreachable Redis degrades to computing alone, never raises."""

import multiprocessing
import os
import signal
import time

import pytest
from cachelib import FileSystemCache

from lab.backend import RedisLink
from lab.cache import ResilientRedisCache
from lab.singleflight import (
    COMPUTED,
    DEGRADED,
    HIT,
    WAITED,
    LOCK_PREFIX,
    FileLocker,
    LockUnavailable,
    RedisLocker,
    cached,
    single_flight,
)
from lab.local_servers import free_port

CTX = multiprocessing.get_context("fork")
PROCESSES = 6


def make_parts(kind: str, where: str, ttl: float = 5.0):
    """A cache and a locker built inside the calling process, as each worker builds its own."""
    if kind == "redis":
        link = RedisLink(where)
        return ResilientRedisCache(link, key_prefix="lab:test:"), RedisLocker(link, ttl=ttl)
    return FileSystemCache(os.path.join(where, "cache")), FileLocker(os.path.join(where, "locks"))


def racer(kind, where, key, counter, barrier, results, seconds):
    cache, locker = make_parts(kind, where)

    def compute():
        with open(counter, "a") as f:  # O_APPEND: one line per real computation, across processes
            f.write(f"{os.getpid()}\n")
        time.sleep(seconds)
        return {"value": key, "by": os.getpid()}

    barrier.wait()
    flight = cached(cache, locker, key, compute, timeout=60)
    results.put((flight.source, flight.value["by"]))


def race(kind, where, tmp_path, key="v1", processes=PROCESSES, seconds=0.6):
    counter = tmp_path / f"{key}.count"
    barrier, results = CTX.Barrier(processes), CTX.Queue()
    procs = [CTX.Process(target=racer, args=(kind, where, key, counter, barrier, results, seconds))
             for _ in range(processes)]
    for p in procs:
        p.start()
    got = [results.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(10)
    return got, counter.read_text().split()


@pytest.fixture(params=["filesystem", "redis"])
def backend(request, tmp_path):
    if request.param == "redis":
        return "redis", request.getfixturevalue("redis_url")
    return "filesystem", str(tmp_path)


def test_racing_processes_compute_once(backend, tmp_path):
    kind, where = backend
    got, runs = race(kind, where, tmp_path)
    assert len(runs) == 1, f"{len(runs)} computations: {runs}"
    sources = [source for source, _ in got]
    assert sources.count(COMPUTED) == 1 and set(sources) <= {COMPUTED, WAITED, HIT}
    assert {by for _, by in got} == {int(runs[0])}, "every process got the one computed value"
    # Afterwards it is a plain cache hit.
    cache, locker = make_parts(kind, where)
    assert cached(cache, locker, "v1", lambda: pytest.fail("must not compute")).source == HIT


def holder(kind, where, ready, ttl):
    _cache, locker = make_parts(kind, where, ttl=ttl)
    locker.acquire("stuck", wait=5)
    ready.set()
    time.sleep(60)


def kill_a_holder(kind, where, ttl):
    ready = CTX.Event()
    proc = CTX.Process(target=holder, args=(kind, where, ready, ttl))
    proc.start()
    assert ready.wait(10)
    time.sleep(ttl)  # long enough for the holder to have renewed its lock at least once
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(5)
    return time.monotonic()


def test_killed_holder_on_redis_frees_at_expiry(redis_url):
    """The dead holder's lock still stands when the waiter comes: it waits until the lock expires
    (no sooner: Redis is the judge, by the key's own remaining time), then no later than the expiry."""
    ttl = 1.0
    killed_at = kill_a_holder("redis", redis_url, ttl)
    cache, locker = make_parts("redis", redis_url, ttl=ttl)
    asked = time.monotonic()
    remaining_ms = locker.link.client.pttl(LOCK_PREFIX + "stuck")  # the killed holder's lock, still there
    flight = cached(cache, locker, "stuck", lambda: "computed after the holder died")
    done = time.monotonic()
    assert remaining_ms > 0.3 * ttl * 1000, f"the holder's lock should still stand ({remaining_ms} ms left)"
    assert flight.source == COMPUTED and flight.value == "computed after the holder died"
    assert (done - asked) * 1000 >= remaining_ms, "computed before the dead holder's lock expired"
    assert flight.waited_ms >= 0.5 * remaining_ms, "the time went into waiting for the lock"
    waited = done - killed_at
    assert waited <= ttl + 0.5, f"blocked {waited:.2f}s, longer than the lock's expiry"


def test_killed_holder_on_filelock_frees_at_once(tmp_path):
    killed_at = kill_a_holder("filesystem", str(tmp_path), 0.2)
    cache, locker = make_parts("filesystem", str(tmp_path))
    flight = cached(cache, locker, "stuck", lambda: "computed")
    assert flight.source == COMPUTED
    assert time.monotonic() - killed_at < 0.5


def test_a_computation_longer_than_the_lock_expiry_keeps_its_lock(redis_url, tmp_path):
    """The holder renews its Redis lock: a step of 4× the expiry still runs once."""
    counter = tmp_path / "long.count"
    barrier, results = CTX.Barrier(3), CTX.Queue()

    def long_racer():
        link = RedisLink(redis_url)
        cache, locker = ResilientRedisCache(link, key_prefix="lab:test:"), RedisLocker(link, ttl=0.4)

        def compute():
            with open(counter, "a") as f:
                f.write("x\n")
            time.sleep(1.6)
            return "done"

        barrier.wait()
        results.put(cached(cache, locker, "long", compute).source)

    procs = [CTX.Process(target=long_racer) for _ in range(3)]
    for p in procs:
        p.start()
    sources = sorted(results.get(timeout=30) for _ in procs)
    for p in procs:
        p.join(10)
    assert counter.read_text().count("x") == 1
    assert sources.count(COMPUTED) == 1


def test_unreachable_redis_computes_alone_and_never_raises():
    link = RedisLink(f"redis://127.0.0.1:{free_port()}/0")
    cache, locker = ResilientRedisCache(link, key_prefix="lab:test:"), RedisLocker(link)
    with pytest.raises(LockUnavailable):
        locker.acquire("x", wait=1)
    calls = []
    t0 = time.monotonic()
    for _ in range(3):
        flight = cached(cache, locker, "x", lambda: calls.append(1) or "fresh")
        assert flight.source == DEGRADED and flight.value == "fresh"
    assert len(calls) == 3, "degraded: no cache, so every call computes"
    assert time.monotonic() - t0 < 2.0


def test_gives_up_waiting_and_computes(tmp_path):
    locker = FileLocker(tmp_path)
    store = {}
    with locker.acquire("busy", wait=1) as hold:
        assert hold.held
        flight = single_flight(locker, "busy", lambda: store.get("k"), lambda: "mine", lambda v: store.update(k=v),
                               wait=0.2)
    assert flight.source == "gave-up" and flight.value == "mine" and store == {"k": "mine"}
    assert flight.waited_ms >= 150


def test_lock_files_stay_bounded_and_outside_the_cache(tmp_path):
    locker = FileLocker(tmp_path / "locks", stripes=8)
    for i in range(100):
        with locker.acquire(f"session:{i}"):
            pass
    files = list((tmp_path / "locks").iterdir())
    assert 0 < len(files) <= 8
