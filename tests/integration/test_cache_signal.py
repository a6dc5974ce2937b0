"""Lesson 5 under gunicorn with 4 workers, on real Redis and on the filesystem: 8 users selecting
the same uncached value compute it once (plain memoize: several times); the signal's four graph
callbacks and every later session read the cache; an expired entry is computed again once; a
worker SIGKILLed while holding the lock, with users waiting on it, blocks them only until the lock
expires and leaves no lock behind; the instructor controls (clear, crowd) are guarded and the crowd
reaches the app behind 0.0.0.0; an unreachable Redis degrades to computing without cache."""

import os
import re
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from lab.http_client import callback_body, exchange, visit_token
from lab.local_servers import free_port
from lab.singleflight import LOCK_PREFIX, LOCK_TTL_SECONDS, FileLocker

pytestmark = pytest.mark.gunicorn

P = "cache-signal"
KINDS = ("scatter", "line", "histogram", "contour")


def select(value, mode="once"):
    return callback_body([f"{P}-live-signal.data", f"{P}-live-status.children"],
                         {f"{P}-value.value": value, f"{P}-mode.value": mode}, state={f"{P}-round.data": None})


def graph(kind, signal):
    return callback_body([f"{P}-live-{kind}.figure", f"{P}-live-{kind}-note.children"], {f"{P}-live-signal.data": signal})


def clear(token=None):
    return callback_body([f"{P}-cleared.children"], {f"{P}-clear.n_clicks": 1}, state={"lab-workers-token.value": token})


def crowd(value, mode, users, token=None):
    return callback_body([f"{P}-crowd-results.data", f"{P}-crowd-view.children"], {f"{P}-crowd-fire.n_clicks": 1},
                         state={f"{P}-value.value": value, f"{P}-mode.value": mode, f"{P}-crowd-users.value": users,
                                "lab-workers-token.value": token, f"{P}-crowd-results.data": {}})


def signal_of(reply):
    assert reply.status == 200, reply.content[:300]
    return reply.json()["response"][f"{P}-live-signal"]["data"]


def executions(server, step="compute") -> int:
    """Real executions of the step so far, across every worker (written at once, not batched)."""
    figures = server.get("/api/metrics").json()["patterns"].get(P, {})
    return figures.get("recomputes_by_step", {}).get(step, 0)


def users_at_once(server, body, users=8):
    """`users` different visits post `body` at the same moment."""
    tokens = [visit_token(server.url) for _ in range(users)]
    start = threading.Barrier(users)

    def one(token):
        start.wait()
        return exchange(server.url, body, headers={"X-Lab-Session": token})

    with ThreadPoolExecutor(users) as pool:
        return list(pool.map(one, tokens))


@pytest.fixture(scope="module", params=["redis", "filesystem"])
def server(request, module_server, redis_server):
    redis_url = redis_server.fresh_db_url() if request.param == "redis" else None
    return module_server(workers=4, redis_url=redis_url, env={"STEP_SECONDS": "1"})


def test_eight_users_at_once_compute_once(server):
    replies = users_at_once(server, select("A"))
    signals = [signal_of(r) for r in replies]
    assert executions(server) == 1
    sources = sorted(s["source"] for s in signals)
    assert sources.count("computed") == 1 and set(sources) <= {"computed", "waited", "hit"}, sources
    assert len({s["fingerprint"] for s in signals}) == 1 and len({s["computed_at"] for s in signals}) == 1
    assert len({r.headers["X-Lab-Worker"] for r in replies}) == 4, "the crowd spread over every worker"


def test_plain_memoize_computes_once_per_concurrent_caller(server):
    """The reference's behaviour, kept on purpose in plain-memoize mode."""
    before = executions(server)
    signals = [signal_of(r) for r in users_at_once(server, select("B", "memoize"))]
    ran = executions(server) - before
    assert ran >= 2, "four workers missing at once all compute"
    assert sum(s["source"] == "computed" for s in signals) == ran
    assert len({s["fingerprint"] for s in signals}) == 1, "seeded data: every copy holds the same numbers"


@pytest.mark.parametrize("mode", ["once", "memoize"])
def test_signal_fires_four_graphs_that_read_the_cache(server, mode):
    value = "C" if mode == "once" else "D"
    token = visit_token(server.url)
    sig = signal_of(exchange(server.url, select(value, mode), headers={"X-Lab-Session": token}))
    assert sig["source"] == "computed" and len(exchange(server.url, select(value, mode)).content) < 3000
    ran = executions(server)
    with ThreadPoolExecutor(4) as pool:
        graphs = list(pool.map(lambda k: exchange(server.url, graph(k, sig), headers={"X-Lab-Session": token}), KINDS))
    for kind, reply in zip(KINDS, graphs, strict=True):
        assert reply.status == 200
        out = reply.json()["response"]
        assert "read from the cache" in out[f"{P}-live-{kind}-note"]["children"]
        assert out[f"{P}-live-{kind}"]["figure"]["data"], f"{kind} has traces"
    # A reload, a new session: cache hits, no new execution.
    again = signal_of(exchange(server.url, select(value, mode), headers={"X-Lab-Session": visit_token(server.url)}))
    assert again["source"] == "hit" and again["fingerprint"] == sig["fingerprint"]
    assert executions(server) == ran


def test_crowd_button_fires_real_users(server):
    reply = exchange(server.url, crowd("E", "once", 8))
    run = reply.json()["response"][f"{P}-crowd-results"]["data"]["once"]
    assert run["executions"] == 1 and run["users"] == 8 and run["failed"] == 0 and run["same_data"]
    firing = int(reply.headers["X-Lab-Worker"])
    assert firing not in run["pids"] and 2 <= len(run["pids"]) <= 3, "the firing worker waits: the others serve"
    assert executions(server, "crowd-compute") == 1
    # The crowd's private entries are gone, and the shared cache was never touched.
    assert signal_of(exchange(server.url, select("E")))["source"] == "computed"


# -- expiry, killed lock holders -------------------------------------------------------------------


@pytest.fixture(scope="module", params=["redis", "filesystem"])
def short_lived(request, module_server, redis_server):
    redis_url = redis_server.fresh_db_url() if request.param == "redis" else None
    return module_server(workers=4, redis_url=redis_url, env={"STEP_SECONDS": "2", "CACHE_TIMEOUT": "2"})


def test_an_expired_entry_is_computed_again_once(short_lived):
    assert signal_of(exchange(short_lived.url, select("A")))["source"] == "computed"
    assert signal_of(exchange(short_lived.url, select("A")))["source"] == "hit"
    time.sleep(2.5)
    signals = [signal_of(r) for r in users_at_once(short_lived, select("A"), users=4)]
    assert sorted(s["source"] for s in signals).count("computed") == 1
    assert executions(short_lived) == 2


def log_lines_since(server, start: int) -> str:
    return "\n".join(server.log_text().splitlines()[start:])


def wait_in_log(server, start: int, pattern: str, timeout: float = 10.0) -> int:
    """The PID in the first log line after line `start` matching `pattern` (one group: the PID)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.findall(pattern, log_lines_since(server, start))
        if found:
            return int(found[0])
        time.sleep(0.02)
    raise AssertionError(f"no log line matched {pattern!r} in {timeout:g} s")


def wait_for_pids(server, start: int, pattern: str, count: int, timeout: float = 15.0) -> list[int]:
    """The first `count` distinct PIDs in log lines after line `start` matching `pattern`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(dict.fromkeys(int(pid) for pid in re.findall(pattern, log_lines_since(server, start))))
        if len(found) >= count:
            return found[:count]
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} PIDs matched {pattern!r} in {timeout:g} s")


def lock_left_behind(server, name: str) -> bool:
    """Whether anyone still holds the compute-once lock `name`, asked of the store itself."""
    if server.redis_url:
        import redis
        return redis.Redis.from_url(server.redis_url).exists(LOCK_PREFIX + name) > 0
    hold = FileLocker(server.data_dir / "locks").acquire(name, wait=0)
    with hold:
        return not hold.held


def test_a_killed_lock_holder_blocks_its_waiters_only_until_the_lock_expires(short_lived):
    """SIGKILL the worker computing a value while three other users wait on its lock (the log shows
    each waiter's worker blocked on it before the kill): every waiter is served, one of them
    computes the value again within the lock's expiry plus one step, the others read it, and no
    lock is left behind."""
    name, waiters = "cache-signal:shared:F", 3
    visits = [visit_token(short_lived.url) for _ in range(waiters)]  # before: the step is only 2 s
    log_lines = len(short_lived.log_text().splitlines())
    with ThreadPoolExecutor(1 + waiters) as pool:
        first = pool.submit(exchange, short_lived.url, select("F"), timeout=30)
        holder = wait_in_log(short_lived, log_lines, r"step=compute pid=(\d+)")
        waiting = [pool.submit(exchange, short_lived.url, select("F"), headers={"X-Lab-Session": visit}, timeout=30)
                   for visit in visits]
        blocked = wait_for_pids(short_lived, log_lines, rf"waiting for the lock: name={name} pid=(\d+)", waiters)
        assert holder not in blocked
        assert not first.done(), "the holder was still computing while the others waited"
        os.kill(holder, signal.SIGKILL)
        killed_at = time.monotonic()
        replies = [w.result() for w in waiting]
        waited = time.monotonic() - killed_at
        try:
            killed_status = first.result().status
        except requests.RequestException:
            killed_status = None  # the connection died with the worker
    assert killed_status != 200
    signals = [signal_of(reply) for reply in replies]  # every waiter served: 200
    sources = sorted(s["source"] for s in signals)
    assert sources.count("computed") == 1 and set(sources) <= {"computed", "waited", "hit"}, sources
    computed = next(s for s in signals if s["source"] == "computed")
    assert computed["pid"] in blocked, "a waiting worker computed it"
    assert len({s["fingerprint"] for s in signals}) == 1
    expiry = LOCK_TTL_SECONDS if short_lived.redis_url else 0.0  # filelock: the kernel frees it at the kill
    step = 2.0
    assert waited <= expiry + step + 1.5, f"waited {waited:.1f}s after the kill (lock {expiry:g} s + step {step:g} s)"
    print(f"\nkilled lock holder ({'redis' if short_lived.redis_url else 'filesystem'}): {waiters} waiters served "
          f"{waited:.2f}s after the kill")
    assert not lock_left_behind(short_lived, name)
    assert executions(short_lived) >= 2  # the killed run was counted when it started, then the retry


# -- served to others: guarded controls, the crowd through 0.0.0.0 ---------------------------------


def test_instructor_controls_on_a_served_lab(lab_server):
    server = lab_server(workers=4, host="0.0.0.0", env={"STEP_SECONDS": "0.5", "INSTRUCTOR_TOKEN": "pick-one-1234"})
    assert signal_of(exchange(server.url, select("A")))["source"] == "computed"
    refused = exchange(server.url, clear()).json()["response"][f"{P}-cleared"]["children"]
    assert "instructor token" in str(refused)
    assert signal_of(exchange(server.url, select("A")))["source"] == "hit", "a refused clear changed nothing"
    cleared = exchange(server.url, clear("pick-one-1234")).json()["response"][f"{P}-cleared"]["children"]
    assert "Cleared" in cleared
    assert signal_of(exchange(server.url, select("A")))["source"] == "computed"

    no_token = exchange(server.url, crowd("B", "once", 4)).json()["response"]
    assert no_token[f"{P}-crowd-results"]["data"] == {} and "instructor token" in str(no_token[f"{P}-crowd-view"])
    run = exchange(server.url, crowd("B", "once", 4, "pick-one-1234")).json()["response"][f"{P}-crowd-results"]["data"]
    assert run["once"]["executions"] == 1 and run["once"]["failed"] == 0, "reached the app through 0.0.0.0"


def test_crowd_needs_a_second_worker(lab_server):
    server = lab_server(workers=1, env={"STEP_SECONDS": "0"})
    view = exchange(server.url, crowd("A", "once", 4), timeout=10).json()["response"][f"{P}-crowd-view"]
    assert "at least 2 workers" in str(view)


@pytest.mark.redis
def test_unreachable_redis_computes_without_cache(lab_server):
    server = lab_server(workers=2, redis_url=f"redis://127.0.0.1:{free_port()}/0", env={"STEP_SECONDS": "0.2"})
    for _ in range(2):
        sig = signal_of(exchange(server.url, select("A")))
        assert sig["source"] == "degraded"
    reply = exchange(server.url, graph("line", sig))
    assert reply.status == 200 and "Redis unreachable" in reply.json()["response"][f"{P}-live-line-note"]["children"]
