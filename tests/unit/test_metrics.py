"""The shared metrics store: SQLite (WAL) and Redis behave identically.

Proven on both stores: exact counters per pattern, per worker and per session; latency
percentiles from the histogram; a visit's own view (its counters, everyone's executions, its
latest calls and none of another visit's); callback keys of any shape; reset; no lost increment
when four processes write at once; a batch is the same as its calls one by one; workers folded
into the retired total; visits forgotten when idle, and 10,000 visits keeping the store bounded.
Also: the histogram's precision, the fast JSON encoding, and a configured but dead Redis that
never raises and costs little.
"""

import json
import math
import multiprocessing
import time
from pathlib import Path

import pytest


from lab.backend import RedisLink, redis_link
from lab.metrics import (
    RECENT_PER_SESSION,
    Call,
    RedisMetrics,
    SqliteMetrics,
    bucket_value,
    histogram_percentile,
    latency_bucket,
)


def nearest_rank(samples, q):
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]
from lab.local_servers import free_port


def make_call(pattern="p", callback="p-graph.figure", pid=101, start=0.0, ms=10.0, bytes_in=100,
              bytes_out=1000, session=None, status=200) -> Call:
    return Call(pattern=pattern, callback=callback, pid=pid, start=start, end=start + ms / 1000.0,
                bytes_in=bytes_in, bytes_out=bytes_out, session=session, status=status)


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "m.sqlite3"
        SqliteMetrics.create(path)
        return SqliteMetrics(path)
    return RedisMetrics(redis_link(request.getfixturevalue("redis_url")))


EMPTY = {"patterns": {}, "workers": {}}


def test_empty_store(store):
    assert store.summary() == EMPTY
    assert store.session_view("A", "p")["calls"] == []
    assert store.available() is True


def test_record_then_summary(store):
    durations = [12.5, 3.0, 40.25, 7.0, 100.0, 55.5, 1.0, 20.0, 9.75, 33.0]
    for i, ms in enumerate(durations):
        store.record(make_call(pid=101 if i % 2 else 2002, ms=ms, start=1000.0 + i, bytes_in=10 + i,
                               bytes_out=100 * (i + 1), status=500 if i in (3, 7) else 200))
    store.record(make_call(pattern="q", callback="q-x.children", pid=101, ms=5.0, bytes_in=1, bytes_out=2,
                           status=404))
    summary = store.summary()
    assert set(summary["patterns"]) == {"p", "q"}
    p = summary["patterns"]["p"]
    assert {k: p[k] for k in ("callbacks", "errors", "bytes_up", "bytes_down", "recomputes")} == {
        "callbacks": 10, "errors": 2, "bytes_up": sum(10 + i for i in range(10)),
        "bytes_down": sum(100 * (i + 1) for i in range(10)), "recomputes": 0}
    assert p["recomputes_by_step"] == {}
    assert p["latency_ms"]["samples"] == 10
    assert p["latency_ms"]["p50"] == pytest.approx(nearest_rank(durations, 50), rel=0.045)
    assert p["latency_ms"]["p95"] == pytest.approx(nearest_rank(durations, 95), rel=0.045)
    q = summary["patterns"]["q"]
    assert (q["callbacks"], q["errors"], q["bytes_up"], q["bytes_down"]) == (1, 1, 1, 2)
    assert q["latency_ms"]["samples"] == 1 and q["latency_ms"]["p50"] == pytest.approx(5.0, rel=0.045)

    assert list(summary["workers"]) == ["101", "2002"], "keyed by PID as a string, in numeric order"
    odd, even = range(1, 10, 2), range(0, 10, 2)
    assert summary["workers"]["101"] == {
        "callbacks": 6, "recomputes": 0, "bytes_up": sum(10 + i for i in odd) + 1,
        "bytes_down": sum(100 * (i + 1) for i in odd) + 2}
    assert summary["workers"]["2002"] == {
        "callbacks": 5, "recomputes": 0, "bytes_up": sum(10 + i for i in even),
        "bytes_down": sum(100 * (i + 1) for i in even)}


def test_count_execution(store):
    store.count_execution("p", "load", "s1", pid=7)
    store.count_execution("p", "load", None, pid=7)
    store.count_execution("p", "plot", "s2", pid=8)
    store.count_execution("q", "main", None, pid=8)
    summary = store.summary()
    assert summary["patterns"]["p"]["recomputes"] == 3
    assert summary["patterns"]["p"]["recomputes_by_step"] == {"load": 2, "plot": 1}
    assert summary["patterns"]["q"]["recomputes_by_step"] == {"main": 1}
    assert summary["patterns"]["p"]["callbacks"] == 0
    assert summary["workers"] == {
        "7": {"callbacks": 0, "recomputes": 2, "bytes_up": 0, "bytes_down": 0},
        "8": {"callbacks": 0, "recomputes": 2, "bytes_up": 0, "bytes_down": 0},
    }


def test_session_view(store):
    store.record(make_call(session="A", callback="p-graph.figure", start=1.0, ms=10, bytes_in=100, bytes_out=1000))
    store.record(make_call(session="B", callback="p-graph.figure", start=2.0, ms=50, bytes_in=7, bytes_out=7))
    store.record(make_call(session="A", callback="p-graph.figure", start=3.0, ms=20, bytes_in=200, bytes_out=2000))
    store.record(make_call(session="A", callback="p-table.data", start=4.0, ms=4, bytes_in=1, bytes_out=2))
    store.record(make_call(session="A", pattern="q", callback="q-x.children", start=5.0, ms=3))
    store.record(make_call(session=None, callback="p-graph.figure", start=6.0))
    store.count_execution("p", "load", "A")
    store.count_execution("p", "load", "A")
    store.count_execution("p", "load", "B")
    store.count_execution("p", "plot", None)
    store.count_execution("q", "main", "A")

    view = store.session_view("A", "p")
    assert view["recomputes"] == {"mine": {"load": 2}, "everyone": {"load": 3, "plot": 1}}
    assert view["callbacks"] == {
        "p-graph.figure": {"n": 2, "in": 300, "out": 3000, "ms": 30},
        "p-table.data": {"n": 1, "in": 1, "out": 2, "ms": 4},
    }
    calls = view["calls"]
    assert [(c["t0"], c["cb"]) for c in calls] == [
        (5.0, "q-x.children"), (4.0, "p-table.data"), (3.0, "p-graph.figure"), (1.0, "p-graph.figure")]
    assert calls[0] == {**calls[0], "p": "q", "pid": 101, "up": 100, "down": 1000, "st": 200}

    other = store.session_view("B", "p")
    assert other["recomputes"]["mine"] == {"load": 1}
    assert other["callbacks"] == {"p-graph.figure": {"n": 1, "in": 7, "out": 7, "ms": 50}}
    assert [c["t0"] for c in other["calls"]] == [2.0]

    anonymous = store.session_view(None, "p")
    assert anonymous == {"recomputes": {"mine": {}, "everyone": {"load": 3, "plot": 1}},
                         "callbacks": {}, "calls": []}

    no_pattern = store.session_view("A", None)
    assert no_pattern["recomputes"] == {"mine": {}, "everyone": {}} and no_pattern["callbacks"] == {}
    assert [c["t0"] for c in no_pattern["calls"]] == [5.0, 4.0, 3.0, 1.0], "the visit's calls on every page"

    unknown = store.session_view("nobody", "p")
    assert unknown["recomputes"]["mine"] == {} and unknown["callbacks"] == {} and unknown["calls"] == []


def test_session_calls_are_capped_newest_first(store):
    total = RECENT_PER_SESSION + 5
    for i in range(total):
        store.record(make_call(session="A", start=float(i)))
    store.record(make_call(session="B", start=999.0))
    calls = store.session_view("A", "p")["calls"]
    assert [c["t0"] for c in calls] == [float(i) for i in range(total - 1, 4, -1)]
    assert len(calls) == RECENT_PER_SESSION
    assert store.session_view("A", "p")["callbacks"]["p-graph.figure"]["n"] == total, "counters are not capped"


@pytest.mark.parametrize("key", [
    "a|b.children",
    "x.y.z.data",
    '{"index":1,"type":"x-graph"}.figure',
    "..a.children...b.data..",
    '..{"aio_id":"m|n","type":"p-x"}.children...c.value..',
])
def test_callback_keys_round_trip(store, key):
    """Keys with `|`, `.` or JSON in them come back whole as keys of `callbacks`."""
    store.record(make_call(session="A", callback=key, ms=8, bytes_in=3, bytes_out=4))
    store.record(make_call(session="A", callback=key, ms=8, bytes_in=3, bytes_out=4))
    store.record(make_call(session="A", callback="p-plain.children", ms=1, bytes_in=1, bytes_out=1))
    callbacks = store.session_view("A", "p")["callbacks"]
    assert callbacks == {key: {"n": 2, "in": 6, "out": 8, "ms": 16},
                         "p-plain.children": {"n": 1, "in": 1, "out": 1, "ms": 1}}
    assert store.session_view("A", "p")["calls"][1]["cb"] == key


def test_reset(store):
    store.record(make_call(session="A"))
    store.count_execution("p", "load", "A", pid=101)
    store.retire_workers([101])
    store.reset()
    assert store.summary() == EMPTY
    assert store.session_view("A", "p") == {"recomputes": {"mine": {}, "everyone": {}}, "callbacks": {},
                                            "calls": []}
    store.record(make_call(session="A"))
    assert store.summary()["patterns"]["p"]["callbacks"] == 1, "usable again after a reset"


# -- concurrency ---------------------------------------------------------------------------------

PROCESSES, PER_PROCESS = 4, 300


def _hammer(kind: str, where: str, worker: int) -> None:
    """In a forked child: open a store of its own and write PER_PROCESS calls and executions."""
    own = SqliteMetrics(Path(where)) if kind == "sqlite" else RedisMetrics(RedisLink(where))
    for i in range(PER_PROCESS):
        own.record(make_call(pattern="race", callback="race-x.data", pid=1000 + worker, start=float(i),
                             ms=1.0, bytes_in=i, bytes_out=2 * i + worker, session=f"s{worker}"))
        own.count_execution("race", "step", f"s{worker}", pid=1000 + worker)


def test_concurrent_processes_lose_no_increment(store):
    where = str(store.path) if isinstance(store, SqliteMetrics) else store.link.url
    ctx = multiprocessing.get_context("fork")
    children = [ctx.Process(target=_hammer, args=(store.kind, where, w)) for w in range(PROCESSES)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [c.exitcode for c in children] == [0] * PROCESSES

    total = PROCESSES * PER_PROCESS
    race = store.summary()["patterns"]["race"]
    assert race["callbacks"] == total and race["recomputes"] == total
    assert race["recomputes_by_step"] == {"step": total}
    assert race["bytes_up"] == PROCESSES * sum(range(PER_PROCESS))
    assert race["bytes_down"] == PROCESSES * 2 * sum(range(PER_PROCESS)) + PER_PROCESS * sum(range(PROCESSES))
    assert race["errors"] == 0
    assert race["latency_ms"]["samples"] == total
    workers = store.summary()["workers"]
    assert sorted(workers) == [str(1000 + w) for w in range(PROCESSES)]
    for w in range(PROCESSES):
        assert workers[str(1000 + w)] == {
            "callbacks": PER_PROCESS, "recomputes": PER_PROCESS, "bytes_up": sum(range(PER_PROCESS)),
            "bytes_down": 2 * sum(range(PER_PROCESS)) + PER_PROCESS * w}
        view = store.session_view(f"s{w}", "race")
        assert view["recomputes"] == {"mine": {"step": PER_PROCESS}, "everyone": {"step": total}}
        assert view["callbacks"]["race-x.data"]["n"] == PER_PROCESS


# -- latency histogram ---------------------------------------------------------------------------


@pytest.mark.parametrize("ms", [0.05, 0.1, 0.37, 1.0, 12.5, 99.0, 1000.0, 3000.0, 60_000.0])
def test_bucket_value_is_within_4_5_percent(ms):
    if ms > 0.1:
        assert bucket_value(latency_bucket(ms)) == pytest.approx(ms, rel=0.045)
    assert latency_bucket(ms) <= latency_bucket(ms * 1.1)


@pytest.mark.parametrize("samples", [[5.0], [3.0, 1.0, 2.0], list(range(1, 101)), [0.8] * 99 + [3000.0],
                                     [float(x) ** 1.7 for x in range(1, 500)]])
@pytest.mark.parametrize("q", [0, 50, 95, 100])
def test_histogram_percentile_matches_nearest_rank(samples, q):
    counts = {}
    for ms in samples:
        counts[latency_bucket(ms)] = counts.get(latency_bucket(ms), 0) + 1
    assert histogram_percentile(counts, q) == pytest.approx(nearest_rank(samples, q), rel=0.045)


def test_histogram_percentile_of_nothing():
    assert histogram_percentile({}, 50) is None


@pytest.mark.parametrize("call", [
    Call("p", "p-graph.figure", 1, 1700000000.123456, 1700000000.5, 10, 20, None, 200),
    Call("p", '{"index":1,"type":"p-graph"}.figure', 2, 0.0, 1e-05, 0, 0, "s", 500, {"step": 12.5}, 1),
    Call("ü-p", '..a.children...b.data..', 3, 123.45678, 124.0, 1, 2, "s", 204, {"step": 1.0, "ser": 0.1}, 2),
])
def test_encode_is_the_same_json_as_as_json(call):
    assert call.encode() == json.dumps(call.as_json(), separators=(",", ":"))
    assert json.loads(call.encode()) == call.as_json()


def test_a_batch_is_the_same_as_its_calls_one_by_one(store, tmp_path):
    calls = [make_call(pattern="p" if i % 3 else "q", callback=f"p-{i % 2}.data", pid=100 + i % 2, start=float(i),
                       ms=1.0 + i, bytes_in=i, bytes_out=2 * i, session="AB"[i % 2], status=500 if i == 4 else 200)
             for i in range(12)]
    store.record_many(calls)
    path = tmp_path / "one-by-one.sqlite3"
    SqliteMetrics.create(path)
    other = SqliteMetrics(path)
    for call in calls:
        other.record(call)
    assert store.summary() == other.summary()
    for session in "AB":
        assert store.session_view(session, "p") == other.session_view(session, "p")


# -- Redis down ----------------------------------------------------------------------------------


@pytest.mark.redis
def test_unreachable_redis_never_raises():
    t0 = time.monotonic()
    dead = RedisMetrics(RedisLink(f"redis://127.0.0.1:{free_port()}/0"))
    dead.record(make_call(session="A"))
    dead.count_execution("p", "load", "A")
    dead.retire_workers()
    dead.reset()
    assert dead.summary() == EMPTY
    assert dead.session_view("A", "p") == {"recomputes": {"mine": {}, "everyone": {}}, "callbacks": {},
                                           "calls": []}
    assert dead.available() is False
    assert time.monotonic() - t0 < 2.0, "a dead Redis must cost little"


# -- a visit's latest calls, and forgetting old visits --------------------------------------------


def test_visit_list_is_capped_newest_first(store):
    for i in range(RECENT_PER_SESSION + 40):
        store.record(make_call(session="A", start=float(i), bytes_in=1, bytes_out=2))
    view = store.session_view("A", "p")
    assert [c["t0"] for c in view["calls"]] == [float(i) for i in range(RECENT_PER_SESSION + 39, 39, -1)]
    assert view["callbacks"]["p-graph.figure"]["n"] == RECENT_PER_SESSION + 40, "counters stay exact"


def forgotten(view: dict) -> bool:
    """Nothing of the visit's own is left (everyone's executions are the lesson's figures)."""
    return view["recomputes"]["mine"] == {} and view["callbacks"] == {} and view["calls"] == []


def test_visits_idle_longer_than_the_limit_are_forgotten(store):
    store.visit_idle = 0.6
    store.record(make_call(session="old"))
    store.count_execution("p", "load", "old", pid=101)
    time.sleep(0.8)
    store.record(make_call(session="new"))
    store.record(make_call(session="new"))
    assert forgotten(store.session_view("old", "p"))
    assert store.session_view("new", "p")["callbacks"]["p-graph.figure"]["n"] == 2
    figures = store.summary()
    assert figures["patterns"]["p"]["callbacks"] == 3 and figures["patterns"]["p"]["recomputes"] == 1, \
        "pattern figures are kept"


def visit_rows(store) -> int:
    """Everything a visit leaves in the store: Redis keys, or SQLite rows."""
    if isinstance(store, SqliteMetrics):
        return store._execute(lambda c: c.execute("SELECT (SELECT COUNT(*) FROM visits) + (SELECT COUNT(*) FROM "
                                                  "counters WHERE scope LIKE 'S|%')").fetchone()[0])
    client = store.link.client
    return sum(1 for _ in client.scan_iter("lab:m:c:S|*", count=1000)) + \
        sum(1 for _ in client.scan_iter("lab:m:recent:*", count=1000)) + client.zcard("lab:m:visits")


def test_ten_thousand_visits_keep_the_store_bounded(store):
    """10,000 visits, each a page load with a callback and an execution, written in batches as the
    workers' flushers write them: the visits' keys (or rows) never exceed what MAX_VISITS allows,
    while the lesson's own figures stay exact."""
    store.record(make_call(session="one"))
    store.count_execution("p", "load", "one", pid=101)
    per_visit = visit_rows(store)  # Redis: its counters, its list, its place in the index; SQLite: rows
    assert per_visit >= 3
    store.reset()
    store.max_visits = 200
    highest = 0
    for batch in range(100):
        calls = [make_call(session=f"v{batch}-{i}", start=float(i)) for i in range(100)]
        store.record_many(calls)
        for call in calls[:10]:
            store.count_execution("p", "load", call.session, pid=101)
        highest = max(highest, visit_rows(store))
    assert highest <= store.max_visits * per_visit, (highest, per_visit)
    assert store.summary()["patterns"]["p"]["callbacks"] == 10_000
    assert store.summary()["patterns"]["p"]["recomputes"] == 1_000
    assert store.session_view("v99-99", "p")["callbacks"]["p-graph.figure"]["n"] == 1, "the latest visits are kept"
    assert forgotten(store.session_view("v0-0", "p")), "the oldest are gone"


def test_workers_are_folded_into_the_retired_total(store):
    for pid in (101, 202, 303):
        store.record(make_call(pid=pid, bytes_in=pid, bytes_out=1))
        store.count_execution("p", "load", None, pid=pid)
    store.retire_workers([101])
    store.retire_workers([101])  # twice: nothing more to fold
    figures = store.summary()
    assert sorted(figures["workers"]) == ["202", "303"]
    assert figures["retired_workers"] == {"callbacks": 1, "recomputes": 1, "bytes_up": 101, "bytes_down": 1,
                                          "workers": 1}
    store.retire_workers()  # a fresh start: every worker of the earlier run
    figures = store.summary()
    assert figures["workers"] == {}
    assert figures["retired_workers"] == {"callbacks": 3, "recomputes": 3, "bytes_up": 606, "bytes_down": 3,
                                          "workers": 3}
    assert figures["patterns"]["p"]["callbacks"] == 3, "the lesson's figures are untouched"


def test_sqlite_rebuilds_a_database_of_another_version(tmp_path):
    path = tmp_path / "m.sqlite3"
    import sqlite3
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE calls (id INTEGER PRIMARY KEY, record TEXT)")
    conn.execute("PRAGMA user_version=2")
    conn.commit()
    conn.close()
    SqliteMetrics.create(path)
    store = SqliteMetrics(path)
    store.record(make_call(session="A"))
    assert store.summary()["patterns"]["p"]["callbacks"] == 1